package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.MiniLmOracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text inputs end to end with the real fp32 all-MiniLM-L6-v2 (batch-invariant, so batched results
 * must equal unbatched ones). The oracle tokenizes each sentence alone with DJL directly (no
 * batchinfer code), runs ONNX Runtime on {@code [1, L]}, mean-pools (every token is real when a
 * sentence is alone) and L2-normalizes.
 */
class TextEmbeddingTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType().add("id", DataTypes.LongType, false).add("text", DataTypes.StringType, true);
  private static MiniLmOracle oracle;

  @TempDir Path tmp;

  @BeforeAll
  static void oracle() throws Exception {
    oracle = new MiniLmOracle();
  }

  @AfterAll
  static void closeOracle() throws Exception {
    oracle.close();
  }

  private Dataset<Row> sentences(int n, int partitions, String... extra) {
    List<Row> rows =
        new ArrayList<>(
            spark
                .read()
                .parquet(Projects.sentences().toString())
                .orderBy("id")
                .limit(n)
                .collectAsList());
    long id = 1_000_000;
    for (String e : extra) {
      rows.add(RowFactory.create(id++, e));
    }
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions).sortWithinPartitions("id");
  }

  private static BatchInference.Builder embedder(int batchSize, int window) {
    return BatchInference.builder()
        .modelPath(Projects.miniLm().toString(), null)
        .text(TextInput.of("text", Projects.miniLmTokenizer().toString(), 128))
        .output(
            "last_hidden_state",
            OutputMapping.toColumn("embedding").withPooling(Pooling.MEAN).withNormalize())
        .passthrough(List.of("id", "text"))
        .batchSize(batchSize)
        .lengthWindow(window);
  }

  private static Map<Long, float[]> embeddings(List<Row> rows) {
    Map<Long, float[]> out = new HashMap<>();
    for (Row r : rows) {
      List<Float> v = r.getList(2);
      float[] f = new float[v.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = v.get(i);
      }
      out.put(r.getLong(0), f);
    }
    return out;
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * (double) b[i];
      na += a[i] * (double) a[i];
      nb += b[i] * (double) b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void batchedEmbeddingsEqualUnbatchedOracle() throws Exception {
    // 40 real sentences + an empty string + a text longer than 128 tokens, in 3 partitions, batch 6
    // (divides nothing here), length-aware windows of 3 batches.
    String longText = String.join(" ", java.util.Collections.nCopies(60, "extraordinarily long"));
    Dataset<Row> input = sentences(40, 3, "", longText);
    InferencePlan.Scored scored = embedder(6, 3).score(input);
    List<Row> rows = scored.scored().collectAsList();

    assertThat(rows).hasSize(42);
    assertThat(scored.metrics().textsTruncated()).isEqualTo(1);
    for (Row r : rows) {
      float[] got = embeddings(List.of(r)).get(r.getLong(0));
      float[] want = oracle.embed(r.getString(1));
      assertThat(got).hasSize(384);
      for (int h = 0; h < 384; h++) {
        assertThat(got[h])
            .as("id %d component %d", r.getLong(0), h)
            .isCloseTo(want[h], within(1e-4f));
      }
      assertThat(cosine(got, want)).isGreaterThanOrEqualTo(0.99999);
    }
  }

  @Test
  void lengthAwareBatchingKeepsOutputAndOrder() {
    Dataset<Row> input = sentences(60, 2);
    List<Row> plain = embedder(8, 1).score(input).scored().collectAsList();
    List<Row> sorted = embedder(8, 4).score(input).scored().collectAsList();
    assertThat(sorted)
        .extracting(r -> r.getLong(0))
        .containsExactlyElementsOf(plain.stream().map(r -> r.getLong(0)).toList());
    Map<Long, float[]> a = embeddings(plain);
    Map<Long, float[]> b = embeddings(sorted);
    for (Long id : a.keySet()) {
      for (int h = 0; h < 384; h++) {
        assertThat(b.get(id)[h]).isCloseTo(a.get(id)[h], within(1e-5f));
      }
    }
  }

  @Test
  void paraphrasesAreCloserThanUnrelatedSentences() throws IOException {
    List<String> lines =
        Files.readAllLines(Projects.root().resolve("src/test/resources/paraphrases.csv"));
    List<Row> rows = new ArrayList<>();
    List<String[]> triples = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] t = line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
      triples.add(t);
    }
    long id = 0;
    for (String[] t : triples) {
      for (String s : t) {
        rows.add(RowFactory.create(id++, s.replace("\"", "")));
      }
    }
    Map<Long, float[]> e =
        embeddings(
            embedder(4, 1).score(spark.createDataFrame(rows, SCHEMA)).scored().collectAsList());
    for (int i = 0; i < triples.size(); i++) {
      double paraphrase = cosine(e.get(3L * i), e.get(3L * i + 1));
      double unrelated = cosine(e.get(3L * i), e.get(3L * i + 2));
      assertThat(paraphrase)
          .as("triple %d: %s", i, String.join(" | ", triples.get(i)))
          .isGreaterThan(unrelated + 0.2);
    }
  }

  @Test
  void nullTextFailsNamingRowAndColumn() {
    List<Row> rows = List.of(RowFactory.create(1L, "fine"), RowFactory.create(2L, null));
    Dataset<Row> input = spark.createDataFrame(rows, SCHEMA).coalesce(1);
    assertThatThrownBy(() -> embedder(4, 1).score(input).scored().collectAsList())
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("(id=2)")
        .hasMessageContaining("column 'text': null text");
  }

  @Test
  void rejectsMissingOrInvalidTokenizer() throws IOException {
    Dataset<Row> input = sentences(2, 1);
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(Projects.miniLm().toString(), null)
                    .text(TextInput.of("text", tmp.resolve("none.json").toString(), 128))
                    .output(
                        "last_hidden_state", OutputMapping.toColumn("e").withPooling(Pooling.MEAN))
                    .plan(spark, input.schema()))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("text.tokenizer: tokenizer file not found");
    Path bogus = Files.writeString(tmp.resolve("bogus.json"), "{\"not\": \"a tokenizer\"}");
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(Projects.miniLm().toString(), null)
                    .text(TextInput.of("text", bogus.toString(), 128))
                    .output(
                        "last_hidden_state", OutputMapping.toColumn("e").withPooling(Pooling.MEAN))
                    .plan(spark, input.schema()))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("text.tokenizer:")
        .hasMessageContaining("is not a usable HuggingFace tokenizer.json");
  }

  @Test
  void rejectsTextForModelWithoutTokenInputs() {
    Dataset<Row> input = sentences(2, 1);
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(Projects.irisModel().toString(), null)
                    .text(TextInput.of("text", Projects.miniLmTokenizer().toString(), 128))
                    .output("output", OutputMapping.toColumn("p"))
                    .plan(spark, input.schema()))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("text: the model has no token input left to fill")
        .hasMessageContaining("inputs: model input 'input' ([batch, 4] float32) is not mapped");
  }
}
