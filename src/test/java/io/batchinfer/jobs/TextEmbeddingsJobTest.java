package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.batchinfer.testing.MiniLmOracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text example config as shipped, and the per-input {@code inputs.<name>.text} form. The oracle
 * uses no batchinfer code: DJL's tokenizer called directly, ONNX Runtime on each sentence alone
 * ({@code [1, L]}: the int8 model's results depend on the batch, so the job runs with batch_size 1
 * where values are compared), mean pooling and L2 normalization by hand.
 */
class TextEmbeddingsJobTest extends SparkTestBase {
  private static final Path QUANTIZED_MODEL =
      Projects.root().resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
  private static final Path QUANTIZED_TOKENIZER =
      Projects.root().resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q-tokenizer.json");
  private static MiniLmOracle oracle;
  private static HuggingFaceTokenizer untruncated;

  @TempDir Path tmp;

  @BeforeAll
  static void oracle() throws Exception {
    oracle = new MiniLmOracle(QUANTIZED_MODEL, QUANTIZED_TOKENIZER);
    untruncated =
        HuggingFaceTokenizer.newInstance(
            Projects.miniLmTokenizer(), Map.of("truncation", "false", "padding", "false"));
  }

  @AfterAll
  static void closeOracle() throws Exception {
    oracle.close();
    untruncated.close();
  }

  @Test
  void shippedExampleWritesTheOraclesEmbeddings() throws Exception {
    Path out = tmp.resolve("emb");
    JobTestSupport.Run run =
        cli(
            "--config",
            Projects.root().resolve("conf/examples/text-embeddings.yaml").toString(),
            "--set",
            "input.path=" + Projects.sentences(),
            "--set",
            "input.filter=id % 30 = 0",
            "--set",
            "model.path=" + QUANTIZED_MODEL,
            "--set",
            "text.tokenizer=" + QUANTIZED_TOKENIZER,
            "--set",
            "model.batch_size=1",
            "--set",
            "output.path=" + out);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=100 rows_out=100").contains("texts_truncated=0");
    List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
    assertThat(rows).hasSize(100);
    for (Row r : rows) {
      List<Float> e = r.getList(r.fieldIndex("embedding"));
      assertThat(e).hasSize(384);
      double norm = e.stream().mapToDouble(f -> f * f).sum();
      assertThat(norm).isBetween(0.9999, 1.0001);
      float[] want = oracle.embed(r.getString(r.fieldIndex("text")));
      for (int h = 0; h < want.length; h++) {
        assertThat(e.get(h))
            .as("id %d dim %d", r.getLong(r.fieldIndex("id")), h)
            .isCloseTo(want[h], offset(1e-5f));
      }
    }
  }

  @Test
  void perInputTextBlocksAndTruncationCount() throws Exception {
    String tokenizer = Projects.miniLmTokenizer().toString();
    String yaml =
        """
        job: {name: text-per-input}
        input: {path: "%s", filter: "id < 40"}
        model: {path: "%s", batch_size: 8}
        inputs:
          input_ids: {text: {column: text, tokenizer: "%s", max_length: 8}}
          attention_mask: {text: {column: text, tokenizer: "%s", max_length: 8}}
          token_type_ids: {text: {column: text, tokenizer: "%s", max_length: 8, field: token_type_ids}}
        outputs:
          last_hidden_state: {column: cls, pooling: cls}
        passthrough: [id]
        output: {path: "%s"}
        """
            .formatted(
                Projects.sentences(),
                Projects.miniLm(),
                tokenizer,
                tokenizer,
                tokenizer,
                tmp.resolve("out"));
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    // A text is cut when DJL, untruncated, gives it more than max_length 8 tokens (special tokens
    // included); counted once per row, whichever of the three inputs is encoded first.
    List<Row> input =
        spark.read().parquet(Projects.sentences().toString()).filter("id < 40").collectAsList();
    long longer =
        input.stream()
            .filter(r -> untruncated.encode(r.getString(r.fieldIndex("text"))).getIds().length > 8)
            .count();
    assertThat(longer).isPositive().isLessThanOrEqualTo(input.size());
    assertThat(run.out()).contains("texts_truncated=" + longer + " ");
    long expected = input.size();
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count())
        .isEqualTo(expected)
        .isPositive();
  }

  @Test
  void textConfigErrorsNameTheirKeys() throws Exception {
    String yaml =
        """
        input: {path: "%s"}
        model: {path: "%s"}
        text: {column: txt, tokenizer: "%s", max_length: 0}
        outputs:
          last_hidden_state: {column: e, pooling: maximum}
        output: {path: "%s"}
        """
            .formatted(
                Projects.sentences(),
                Projects.miniLm(),
                Projects.miniLmTokenizer(),
                tmp.resolve("o"));
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err()).contains("outputs.last_hidden_state.pooling: unknown pooling 'maximum'");
    yaml = yaml.replace("pooling: maximum", "pooling: mean");
    run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.err())
        .contains(
            "text.column: column 'txt' not found in input; available: [id, text]",
            "Did you mean 'text'?",
            "text.max_length: must be a positive number of tokens; found 0");
    // field belongs to one input's text block; the top-level block feeds each input by its name.
    yaml = yaml.replace("max_length: 0}", "max_length: 0, field: input_ids}");
    run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("text.field: set on the top-level text block")
        .contains("inputs.<onnx input>.text");
  }
}
