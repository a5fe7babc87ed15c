package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text example config as shipped, and the per-input {@code inputs.<name>.text} form. */
class TextEmbeddingsJobTest extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  void shippedExampleWritesNormalizedEmbeddings() {
    Path out = tmp.resolve("emb");
    JobTestSupport.Run run = cli("--config", Projects.root().resolve("conf/examples/text-embeddings.yaml").toString(),
        "--set", "input.path=" + Projects.sentences(), "--set", "input.filter=id % 30 = 0",
        "--set", "model.path=" + Projects.root().resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx"),
        "--set", "text.tokenizer=" + Projects.root().resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q-tokenizer.json"),
        "--set", "output.path=" + out);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=100 rows_out=100").contains("texts_truncated=0");
    List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
    assertThat(rows).hasSize(100);
    for (Row r : rows) {
      List<Float> e = r.getList(r.fieldIndex("embedding"));
      assertThat(e).hasSize(384);
      double norm = e.stream().mapToDouble(f -> f * f).sum();
      assertThat(norm).isBetween(0.9999, 1.0001);
    }
  }

  @Test
  void perInputTextBlocksAndTruncationCount() throws Exception {
    String tokenizer = Projects.miniLmTokenizer().toString();
    String yaml = """
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
        """.formatted(Projects.sentences(), Projects.miniLm(), tokenizer, tokenizer, tokenizer, tmp.resolve("out"));
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    // Every corpus sentence has at least 6 words, so at max_length 8 (2 special tokens) most are cut;
    // the exact count is checked against DJL in TextEmbeddingTest; here: counted and reported.
    assertThat(run.out()).containsPattern("texts_truncated=[1-9][0-9]*");
    long expected = spark.read().parquet(Projects.sentences().toString()).filter("id < 40").count();
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count()).isEqualTo(expected).isPositive();
  }

  @Test
  void textConfigErrorsNameTheirKeys() throws Exception {
    String yaml = """
        input: {path: "%s"}
        model: {path: "%s"}
        text: {column: txt, tokenizer: "%s", max_length: 0}
        outputs:
          last_hidden_state: {column: e, pooling: maximum}
        output: {path: "%s"}
        """.formatted(Projects.sentences(), Projects.miniLm(), Projects.miniLmTokenizer(), tmp.resolve("o"));
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err()).contains("outputs.last_hidden_state.pooling: unknown pooling 'maximum'");
    yaml = yaml.replace("pooling: maximum", "pooling: mean");
    run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.err()).contains("text.column: column 'txt' not found in input; available: [id, text]",
        "Did you mean 'text'?", "text.max_length: must be a positive number of tokens; found 0");
  }
}
