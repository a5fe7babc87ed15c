package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.testing.OrtMaps;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONNX-ML inputs through the Java API: many {@code [N, 1]} inputs, numeric and string, mapped one
 * line each or by name ({@link AutoInputs#BY_NAME}), a null string rejected as {@code null_value},
 * unknown categories passed through to the model's encoders, a string label output, and the
 * planning errors of {@code inputs.auto}. The fixtures ({@code mixed-columns.onnx}: Scaler,
 * OneHotEncoder, LabelEncoder, Cast, LinearClassifier, ZipMap; {@code iris-sklearn.onnx}) are
 * written by {@code src/test/python/make_onnxml_models.py}; the oracle is ONNX Runtime called
 * directly on the same rows.
 */
class OnnxMlInputsTest extends SparkTestBase {
  static final Path MIXED = Projects.root().resolve("src/test/resources/onnxml/mixed-columns.onnx");
  static final Path IRIS = Projects.root().resolve("models/iris-sklearn/iris-sklearn.onnx");

  static final StructType MIXED_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("age", DataTypes.DoubleType, true)
          .add("city", DataTypes.StringType, true)
          .add("plan", DataTypes.StringType, true)
          .add("visits", DataTypes.LongType, true);

  private static OrtSession mixedOracle;

  @BeforeAll
  static void oracle() throws Exception {
    mixedOracle =
        OrtEnvironment.getEnvironment()
            .createSession(MIXED.toString(), new OrtSession.SessionOptions());
  }

  @AfterAll
  static void closeOracle() throws Exception {
    mixedOracle.close();
  }

  static List<Row> mixedRows() {
    String[] cities = {"paris", "london", "tokyo", "berlin"};
    String[] plans = {"basic", "plus", "pro", "gold"};
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      rows.add(
          RowFactory.create(
              (long) i,
              18 + 60 * random.nextDouble(),
              i == 13 ? null : cities[random.nextInt(cities.length)],
              plans[random.nextInt(plans.length)],
              (long) random.nextInt(20)));
    }
    return rows;
  }

  /** ONNX Runtime on {@code rows} (none null), one tensor [n, 1] per input. */
  static List<Map<Object, Float>> mixedOracle(List<Row> rows) throws Exception {
    int n = rows.size();
    float[][] age = new float[n][1];
    String[] city = new String[n];
    String[] plan = new String[n];
    long[][] visits = new long[n][1];
    for (int i = 0; i < n; i++) {
      Row r = rows.get(i);
      age[i][0] = (float) r.getDouble(1);
      city[i] = r.getString(2);
      plan[i] = r.getString(3);
      visits[i][0] = r.getLong(4);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor a = OnnxTensor.createTensor(env, age);
        OnnxTensor c = OnnxTensor.createTensor(env, city, new long[] {n, 1});
        OnnxTensor p = OnnxTensor.createTensor(env, plan, new long[] {n, 1});
        OnnxTensor v = OnnxTensor.createTensor(env, visits)) {
      return OrtMaps.sequenceOfMaps(
          mixedOracle, Map.of("age", a, "city", c, "plan", p, "visits", v), "output_probability");
    }
  }

  @Test
  void columnInputsByNameWithStringsMatchOnnxRuntimeAndRejectNulls() throws Exception {
    List<Row> rows = mixedRows();
    Dataset<Row> input = spark.createDataFrame(rows, MIXED_SCHEMA).repartition(2);
    InferencePlan.Scored scored =
        BatchInference.builder()
            .modelPath(MIXED.toString(), null)
            .autoInputs(AutoInputs.BY_NAME)
            .input("visits", InputMapping.column("visits")) // an explicit line wins over auto
            .output("output_label", OutputMapping.toColumn("churn"))
            .output("output_probability", OutputMapping.toColumn("probability"))
            .passthrough(List.of("id"))
            .batchSize(16)
            .errorPolicy(ErrorPolicy.DEAD_LETTER)
            .score(input);
    scored.emitted().persist(StorageLevel.MEMORY_ONLY());
    List<Row> good = scored.scored().collectAsList();
    List<Row> rejected = scored.rejected().collectAsList();
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).getLong(0)).isEqualTo(13L);
    assertThat(rejected.get(0).<String>getAs("_error_code")).isEqualTo("null_value");
    assertThat(rejected.get(0).<String>getAs("_error_column")).contains("city");

    List<Row> clean = new ArrayList<>(rows);
    clean.remove(13);
    List<Map<Object, Float>> want = mixedOracle(clean);
    Map<Long, Map<Object, Float>> byId = new HashMap<>();
    for (int i = 0; i < clean.size(); i++) {
      byId.put(clean.get(i).getLong(0), want.get(i));
    }
    assertThat(good).hasSize(59);
    for (Row r : good) {
      Map<Object, Float> expected = byId.get(r.getLong(0));
      Map<Long, Float> got = r.getJavaMap(2);
      assertThat(got.keySet()).containsExactlyInAnyOrder(0L, 1L);
      for (Map.Entry<Long, Float> e : got.entrySet()) {
        assertThat(e.getValue()).isCloseTo(expected.get(e.getKey()), within(1e-6f));
      }
      long argmax = got.get(1L) > got.get(0L) ? 1 : 0;
      assertThat(r.getLong(1)).isEqualTo(argmax);
    }
    scored.emitted().unpersist();
  }

  @Test
  void stringLabelOutputIsAStringColumn() throws Exception {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("sepal_length", DataTypes.DoubleType, false)
            .add("sepal_width", DataTypes.DoubleType, false)
            .add("petal_length", DataTypes.DoubleType, false)
            .add("petal_width", DataTypes.DoubleType, false);
    InferencePlan plan =
        BatchInference.builder()
            .modelPath(IRIS.toString(), null)
            // one line per [N, 1] input: 'column' feeds [N] and [N, 1] alike
            .input("sepal_length", InputMapping.column("sepal_length"))
            .input("sepal_width", InputMapping.column("sepal_width"))
            .input("petal_length", InputMapping.column("petal_length"))
            .input("petal_width", InputMapping.column("petal_width"))
            .output("output_label", OutputMapping.toColumn("species"))
            .output(
                "output_probability",
                OutputMapping.toColumn("probability").asArray(null).withArgmax("best"))
            .passthrough(List.of("id"))
            .plan(spark, schema);
    assertThat(plan.outputSchema().apply("species").dataType()).isEqualTo(DataTypes.StringType);
    List<Row> rows =
        List.of(
            RowFactory.create(0L, 5.1, 3.5, 1.4, 0.2),
            RowFactory.create(1L, 6.4, 3.2, 4.5, 1.5),
            RowFactory.create(2L, 7.7, 3.8, 6.7, 2.2));
    List<Row> out = plan.apply(spark.createDataFrame(rows, schema)).scored().collectAsList();
    String[] expected = new String[3];
    float[][] probs = new float[3][];
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession iris = env.createSession(IRIS.toString(), new OrtSession.SessionOptions())) {
      Map<String, OnnxTensor> feeds = new HashMap<>();
      String[] names = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
      for (int c = 0; c < 4; c++) {
        float[][] col = new float[3][1];
        for (int i = 0; i < 3; i++) {
          col[i][0] = (float) rows.get(i).getDouble(c + 1);
        }
        feeds.put(names[c], OnnxTensor.createTensor(env, col));
      }
      try (OrtSession.Result r = iris.run(feeds)) {
        String[] labels = (String[]) r.get("output_label").orElseThrow().getValue();
        System.arraycopy(labels, 0, expected, 0, 3);
      }
      List<Map<Object, Float>> maps = OrtMaps.sequenceOfMaps(iris, feeds, "output_probability");
      for (int i = 0; i < 3; i++) {
        Map<Object, Float> m = maps.get(i);
        probs[i] = new float[] {m.get("setosa"), m.get("versicolor"), m.get("virginica")};
      }
      feeds.values().forEach(OnnxTensor::close);
    }
    assertThat(expected).containsExactly("setosa", "versicolor", "virginica");
    for (Row r : out) {
      int id = (int) r.getLong(0);
      assertThat(r.getString(r.fieldIndex("species"))).isEqualTo(expected[id]);
      List<Float> p = r.getList(r.fieldIndex("probability"));
      for (int c = 0; c < 3; c++) {
        assertThat(p.get(c)).isCloseTo(probs[id][c], within(1e-6f));
      }
      assertThat(r.getInt(r.fieldIndex("best"))).isEqualTo(id);
    }
  }

  @Test
  void autoByNameNamesTheMissingInputAndTheColumns() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("age", DataTypes.DoubleType, true)
            .add("citty", DataTypes.StringType, true)
            .add("plan", DataTypes.IntegerType, true)
            .add("visits", DataTypes.LongType, true);
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(MIXED.toString(), null)
                    .autoInputs(AutoInputs.BY_NAME)
                    .output("output_label", OutputMapping.toColumn("churn"))
                    .plan(spark, schema))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.auto: by_name feeds model input 'city' ([N, 1] string) from the column of the"
                + " same name, but the input has no column 'city'; available: [id, age, citty,"
                + " plan, visits]. Did you mean 'citty'?")
        .hasMessageContaining("map the input explicitly with inputs.city.column")
        .hasMessageContaining(
            "inputs.auto: by_name feeds model input 'plan' ([N, 1] string) from column 'plan',"
                + " which is int; the input takes a string column.")
        .hasMessageNotContaining("is not mapped")
        .hasMessageNotContaining("inputs.plan.column: column");
  }
}
