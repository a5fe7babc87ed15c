package io.batchinfer.udfs.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.session.SessionCache;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL function against ONNX Runtime called directly ({@link Oracle}) on the 150 committed iris
 * rows, and every check it makes at registration and while a query is analysed.
 */
class BatchInferenceSqlTest extends SparkTestBase {
  private static final Path MODEL = Projects.root().resolve("models/iris/iris-logreg.onnx");
  private static final String[] FEATURES = {
    "sepal_length", "sepal_width", "petal_length", "petal_width"
  };

  @BeforeAll
  static void irisView() {
    spark
        .read()
        .option("header", "true")
        .schema(
            "id INT, sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE,"
                + " petal_width DOUBLE, species STRING")
        .csv(Projects.root().resolve("data/iris/iris.csv").toString())
        .repartition(3)
        .createOrReplaceTempView("iris");
  }

  private static BatchInference.Builder iris() {
    return BatchInference.builder()
        .modelPath(MODEL.toString(), null)
        .input("input", InputMapping.columns(FEATURES))
        .output("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
  }

  @Test
  void scoresEveryRowLikeOnnxRuntimeCalledDirectly() throws Exception {
    SqlFunction f = BatchInferenceSql.register(spark, "iris_predict", iris());
    assertThat(f.signature())
        .isEqualTo(
            "iris_predict(sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE,"
                + " petal_width DOUBLE)");
    assertThat(f.returnType().fieldNames()).containsExactly("probabilities", "class_index");
    long sessionsBefore = SessionCache.sessionsCreated();
    List<Row> rows =
        spark
            .sql(
                "SELECT id, sepal_length, sepal_width, petal_length, petal_width,"
                    + " iris_predict(sepal_length, sepal_width, petal_length, petal_width) AS p"
                    + " FROM iris")
            .collectAsList();
    // One session per model and options per JVM (local mode: driver and executor are one JVM).
    assertThat(SessionCache.sessionsCreated() - sessionsBefore).isLessThanOrEqualTo(1);
    assertThat(rows).hasSize(150);
    try (Oracle oracle = new Oracle(MODEL)) {
      for (Row r : rows) {
        float[] x = new float[4];
        for (int i = 0; i < 4; i++) {
          x[i] = (float) r.getDouble(1 + i);
        }
        float[] expected = oracle.runRow("input", "output", x);
        Row p = r.getStruct(5);
        List<Float> probs = p.getList(0);
        assertThat(probs).hasSize(3);
        int argmax = 0;
        for (int k = 0; k < 3; k++) {
          assertThat(probs.get(k))
              .as("row %d class %d", r.getInt(0), k)
              .isCloseTo(expected[k], within(1e-6f));
          argmax = expected[k] > expected[argmax] ? k : argmax;
        }
        assertThat(p.getInt(1)).as("row %d", r.getInt(0)).isEqualTo(argmax);
      }
    }
  }

  @Test
  void acceptsOtherNumericArgumentTypesAndExpressions() throws Exception {
    BatchInferenceSql.register(spark, "iris_predict_cast", iris());
    List<Row> rows =
        spark
            .sql(
                "SELECT id, iris_predict_cast(CAST(sepal_length AS FLOAT), sepal_width * 1,"
                    + " CAST(petal_length * 10 AS INT), 0.5).probabilities AS probs"
                    + " FROM iris WHERE id < 10")
            .collectAsList();
    List<Row> inputs =
        spark
            .sql("SELECT id, sepal_length, sepal_width, petal_length FROM iris WHERE id < 10")
            .collectAsList();
    assertThat(rows).hasSize(10);
    try (Oracle oracle = new Oracle(MODEL)) {
      for (Row in : inputs) {
        float[] x = {
          (float) in.getDouble(1), (float) in.getDouble(2), (int) (in.getDouble(3) * 10), 0.5f
        };
        float[] expected = oracle.runRow("input", "output", x);
        Row out = rows.stream().filter(r -> r.getInt(0) == in.getInt(0)).findFirst().orElseThrow();
        List<Float> probs = out.getList(1);
        for (int k = 0; k < 3; k++) {
          assertThat(probs.get(k)).isCloseTo(expected[k], within(1e-6f));
        }
      }
    }
  }

  @Test
  void wrongArgumentCountFailsAtAnalysisNamingTheParameters() {
    BatchInferenceSql.register(spark, "iris_predict_arity", iris());
    assertThatThrownBy(
            () -> spark.sql("SELECT iris_predict_arity(sepal_length, sepal_width) FROM iris"))
        .hasMessageContaining("SQL function iris_predict_arity: expects 4 argument(s)")
        .hasMessageContaining(
            "iris_predict_arity(sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE,"
                + " petal_width DOUBLE)")
        .hasMessageContaining("the call passes 2");
  }

  @Test
  void wrongArgumentTypeFailsAtAnalysisNamingParameterAndModelInput() {
    BatchInferenceSql.register(spark, "iris_predict_types", iris());
    assertThatThrownBy(
            () ->
                spark.sql(
                    "SELECT iris_predict_types(sepal_length, sepal_width, species, petal_width)"
                        + " FROM iris"))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("SQL function iris_predict_types called as")
        .hasMessageContaining("petal_length STRING")
        .hasMessageContaining("inputs.input.columns[2]")
        .hasMessageContaining("petal_length");
  }

  @Test
  void registrationChecksTheModelMappingsAndPolicy() {
    assertThatThrownBy(
            () ->
                BatchInferenceSql.register(
                    spark,
                    "bad_inputs",
                    BatchInference.builder()
                        .modelPath(MODEL.toString(), null)
                        .input("features", InputMapping.columns(FEATURES))
                        .output("output", OutputMapping.toColumn("p"))))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("SQL function bad_inputs")
        .hasMessageContaining("inputs.features");
    assertThatThrownBy(
            () ->
                BatchInferenceSql.register(
                    spark, "dead_letter", iris().errorPolicy(ErrorPolicy.DEAD_LETTER)))
        .hasMessageContaining("errors.policy: dead-letter");
    assertThatThrownBy(() -> BatchInferenceSql.register(spark, "1st", iris()))
        .hasMessageContaining("name: '1st' is not a SQL function name");
    assertThatThrownBy(
            () ->
                BatchInferenceSql.register(
                    spark,
                    "missing_model",
                    iris().modelPath(MODEL.resolveSibling("nope.onnx").toString(), null)))
        .hasMessageContaining("model.path")
        .hasMessageContaining("nope.onnx");
  }

  @Test
  void nullArgumentFailsTheQueryUnderFailAndGivesNullUnderSkip() {
    BatchInferenceSql.register(spark, "iris_predict_fail", iris());
    assertThatThrownBy(
            () ->
                spark
                    .sql(
                        "SELECT iris_predict_fail(sepal_length, sepal_width,"
                            + " IF(id = 7, NULL, petal_length), petal_width) FROM iris")
                    .collectAsList())
        .hasStackTraceContaining("SQL function iris_predict_fail")
        .hasStackTraceContaining("argument 'petal_length'")
        .hasStackTraceContaining("null");
    BatchInferenceSql.register(spark, "iris_predict_skip", iris().errorPolicy(ErrorPolicy.SKIP));
    List<Row> rows =
        spark
            .sql(
                "SELECT id, iris_predict_skip(sepal_length, sepal_width,"
                    + " IF(id = 7, NULL, petal_length), petal_width) AS p FROM iris")
            .collectAsList();
    assertThat(rows).hasSize(150);
    assertThat(rows.stream().filter(r -> r.isNullAt(1)).map(r -> r.getInt(0))).containsExactly(7);
  }

  @Test
  void explicitParameterTypesAreUsedForTheSignature() {
    SqlFunction f =
        BatchInferenceSql.register(
            spark,
            "iris_predict_float",
            iris(),
            StructType.fromDDL(
                "sepal_length FLOAT, sepal_width FLOAT, petal_length FLOAT, petal_width FLOAT"));
    assertThat(f.signature()).contains("sepal_length FLOAT");
    assertThat(
            spark
                .sql("SELECT iris_predict_float(1.0F, 2.0F, 3.0F, 4.0F).class_index AS c")
                .collectAsList())
        .hasSize(1);
  }

  @Test
  void arrayParameterFeedsAWholeModelInputAndFunctionIsSessionScoped() throws Exception {
    SqlFunction f =
        BatchInferenceSql.register(
            spark,
            "iris_predict_array",
            BatchInference.builder()
                .modelPath(MODEL.toString(), null)
                .input("input", InputMapping.column("features"))
                .output("output", OutputMapping.toColumn("probabilities")));
    assertThat(f.signature()).isEqualTo("iris_predict_array(features ARRAY<DOUBLE>)");
    List<Row> rows =
        spark
            .sql(
                "SELECT sepal_length, sepal_width, petal_length, petal_width,"
                    + " iris_predict_array(array(sepal_length, sepal_width, petal_length,"
                    + " petal_width)).probabilities FROM iris WHERE id % 10 = 0")
            .collectAsList();
    assertThat(rows).hasSize(15);
    try (Oracle oracle = new Oracle(MODEL)) {
      for (Row r : rows) {
        float[] x = new float[4];
        for (int i = 0; i < 4; i++) {
          x[i] = (float) r.getDouble(i);
        }
        float[] expected = oracle.runRow("input", "output", x);
        List<Float> probs = r.getList(4);
        for (int k = 0; k < 3; k++) {
          assertThat(probs.get(k)).isCloseTo(expected[k], within(1e-6f));
        }
      }
    }
    assertThatThrownBy(() -> spark.newSession().sql("SELECT iris_predict_array(array(1.0D))"))
        .hasMessageContaining("iris_predict_array");
  }
}
