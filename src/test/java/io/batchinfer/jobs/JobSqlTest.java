package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.sql.SqlFunction;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * A SQL function registered from the example job config scores like ONNX Runtime called directly
 * ({@link Oracle}) on the committed iris rows; config mistakes are named by key.
 */
class JobSqlTest extends SparkTestBase {
  private static final Path ROOT = Projects.root();
  private static final Path IRIS_CONFIG = ROOT.resolve("conf/examples/iris.yaml");

  @Test
  void registersTheExampleJobsModelAsAFunction() throws Exception {
    SqlFunction f =
        JobSql.register(
            spark,
            "iris_from_config",
            IRIS_CONFIG,
            List.of("model.path=" + ROOT.resolve("models/iris/iris-logreg.onnx")));
    // The example's outputs block: probabilities, class_index and the label column.
    assertThat(f.returnType().fieldNames())
        .containsExactly("probabilities", "class_index", "predicted_species");
    spark
        .read()
        .parquet(ROOT.resolve("data/iris/iris.parquet").toString())
        .createOrReplaceTempView("iris_rows");
    List<Row> rows =
        spark
            .sql(
                "SELECT sepal_length, sepal_width, petal_length, petal_width,"
                    + " iris_from_config(sepal_length, sepal_width, petal_length, petal_width) AS p"
                    + " FROM iris_rows")
            .collectAsList();
    assertThat(rows).hasSize(150);
    List<String> labels = List.of("setosa", "versicolor", "virginica");
    try (Oracle oracle = new Oracle(ROOT.resolve("models/iris/iris-logreg.onnx"))) {
      for (Row r : rows) {
        float[] x = new float[4];
        for (int i = 0; i < 4; i++) {
          x[i] = ((Number) r.get(i)).floatValue();
        }
        float[] expected = oracle.runRow("input", "output", x);
        Row p = r.getStruct(4);
        List<Float> probs = p.getList(0);
        int argmax = 0;
        for (int k = 0; k < 3; k++) {
          assertThat(probs.get(k)).isCloseTo(expected[k], within(1e-6f));
          argmax = expected[k] > expected[argmax] ? k : argmax;
        }
        assertThat(p.getInt(1)).isEqualTo(argmax);
        assertThat(p.getString(2)).isEqualTo(labels.get(argmax));
      }
    }
  }

  @Test
  void aChainConfigIsRefusedWithTheFix() {
    assertThatThrownBy(
            () ->
                JobSql.register(
                    spark, "chain_fn", ROOT.resolve("conf/examples/iris-chain.yaml"), List.of()))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("SQL function chain_fn")
        .hasMessageContaining("models: a SQL function runs one model");
  }

  @Test
  void modelKeyMistakesAreNamedAndJobOnlyKeysAreNotRequired() {
    assertThatThrownBy(
            () ->
                JobSql.register(
                    spark,
                    "bad_fn",
                    IRIS_CONFIG,
                    List.of(
                        "model.path=" + ROOT.resolve("models/iris/iris-logreg.onnx"),
                        "model.batch_size=0",
                        "output.mode=sideways")))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("model.batch_size")
        .hasMessageNotContaining("output.mode");
  }
}
