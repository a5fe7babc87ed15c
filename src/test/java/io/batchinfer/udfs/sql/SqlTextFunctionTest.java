package io.batchinfer.udfs.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.MiniLmOracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.TextInput;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A text model as a SQL function: {@code embed(text)} tokenizes in the JVM and returns the
 * mean-pooled, normalised sentence embedding, equal to the reference ({@link MiniLmOracle}: DJL +
 * ONNX Runtime on one sentence, no batchinfer code) for real sentences.
 */
@Tag("slow")
class SqlTextFunctionTest extends SparkTestBase {
  @Test
  void embedsEachSentenceLikeTheReference() throws Exception {
    spark.read().parquet(Projects.sentences().toString()).limit(40).createOrReplaceTempView("s");
    SqlFunction f =
        BatchInferenceSql.register(
            spark,
            "embed",
            BatchInference.builder()
                .modelPath(Projects.miniLm().toString(), null)
                .text(TextInput.of("text", Projects.miniLmTokenizer().toString(), 128))
                .output(
                    "last_hidden_state",
                    OutputMapping.toColumn("embedding").withPooling(Pooling.MEAN).withNormalize()));
    assertThat(f.signature()).isEqualTo("embed(text STRING)");
    List<Row> rows = spark.sql("SELECT text, embed(text).embedding AS e FROM s").collectAsList();
    assertThat(rows).hasSize(40);
    try (MiniLmOracle oracle = new MiniLmOracle()) {
      for (Row r : rows) {
        float[] expected = oracle.embed(r.getString(0));
        List<Float> actual = r.getList(1);
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
          assertThat(actual.get(i))
              .as("%s [%d]", r.getString(0), i)
              .isCloseTo(expected[i], within(1e-4f));
        }
      }
    }
  }
}
