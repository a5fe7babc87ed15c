package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX-ML models through the Java API: ZipMap outputs ({@code seq(map(int64|string, float))}) as
 * map and array columns, string and int64 label outputs, many {@code [N, 1]} inputs (numeric and
 * string) mapped one by one or by name. The fixtures are written by {@code
 * src/test/python/make_onnxml_models.py}; the oracle is ONNX Runtime called directly on the same
 * rows (reading its {@link OnnxSequence} of {@link OnnxMap}s), and for the tree ensemble also the
 * sums of leaf weights worked out by hand.
 */
class OnnxMlTest extends SparkTestBase {
  static final Path TREE = Projects.root().resolve("src/test/resources/onnxml/tree-zipmap.onnx");
  static final Path MIXED = Projects.root().resolve("src/test/resources/onnxml/mixed-columns.onnx");
  static final Path IRIS = Projects.root().resolve("models/iris-sklearn/iris-sklearn.onnx");

  private static final StructType TREE_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("x0", DataTypes.FloatType, false)
          .add("x1", DataTypes.FloatType, false)
          .add("x2", DataTypes.FloatType, false);

  static final StructType MIXED_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("age", DataTypes.DoubleType, true)
          .add("city", DataTypes.StringType, true)
          .add("plan", DataTypes.StringType, true)
          .add("visits", DataTypes.LongType, true);

  private static OrtSession treeOracle;
  private static OrtSession mixedOracle;

  @BeforeAll
  static void oracles() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    treeOracle = env.createSession(TREE.toString(), new OrtSession.SessionOptions());
    mixedOracle = env.createSession(MIXED.toString(), new OrtSession.SessionOptions());
  }

  @AfterAll
  static void closeOracles() throws Exception {
    treeOracle.close();
    mixedOracle.close();
  }

  /**
   * Rows whose tree-ensemble scores were worked out by hand from the weights in
   * make_onnxml_models.py (BRANCH_LEQ: the true branch when x <= threshold; post_transform NONE:
   * the score of a class is the sum of its weights in the two reached leaves; classes 3, 7, 9):
   *
   * <pre>
   * id x0   x1  x2   tree 0 (x0<=0.5? leaf1 : x1<=2? leaf3 : leaf4)  tree 1 (x2<=1? leaf1 : leaf2)  sum            label
   * 0  0.0  0.0 0.0  leaf1 [0.6, 0.3, 0.1]                           leaf1 [0.5, 0.25, 0.25]        [1.1, 0.55, 0.35]  3
   * 1  1.0  1.0 2.0  leaf3 [0.1, 0.8, 0.1]                           leaf2 [0.0, 0.5, 0.5]          [0.1, 1.3, 0.6]    7
   * 2  1.0  3.0 2.0  leaf4 [0.2, 0.2, 0.6]                           leaf2 [0.0, 0.5, 0.5]          [0.2, 0.7, 1.1]    9
   * 3  0.5  5.0 1.0  leaf1 (0.5 <= 0.5)                              leaf1 (1.0 <= 1.0)             [1.1, 0.55, 0.35]  3
   * 4  0.6  2.0 1.5  leaf3 (2.0 <= 2.0)                              leaf2                          [0.1, 1.3, 0.6]    7
   * </pre>
   */
  private static final float[][] HAND_ROWS = {
    {0f, 0f, 0f}, {1f, 1f, 2f}, {1f, 3f, 2f}, {0.5f, 5f, 1f}, {0.6f, 2f, 1.5f}
  };

  private static final double[][] HAND_SCORES = {
    {1.1, 0.55, 0.35}, {0.1, 1.3, 0.6}, {0.2, 0.7, 1.1}, {1.1, 0.55, 0.35}, {0.1, 1.3, 0.6}
  };
  private static final long[] HAND_LABELS = {3, 7, 9, 3, 7};

  private static Dataset<Row> treeRows(float[][] features, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < features.length; i++) {
      rows.add(RowFactory.create((long) i, features[i][0], features[i][1], features[i][2]));
    }
    return spark.createDataFrame(rows, TREE_SCHEMA).repartition(partitions);
  }

  private static float[][] randomFeatures(long seed, int n) {
    Random random = new Random(seed);
    float[][] f = new float[n][3];
    for (float[] row : f) {
      row[0] = random.nextFloat();
      row[1] = 4 * random.nextFloat();
      row[2] = 2 * random.nextFloat();
    }
    return f;
  }

  @Test
  void treeEnsembleZipMapMatchesHandWorkedScores() {
    List<Row> out =
        BatchInference.builder()
            .modelPath(TREE.toString(), null)
            .input("features", InputMapping.columns("x0", "x1", "x2"))
            .output("label", OutputMapping.toColumn("label"))
            .output("probabilities", OutputMapping.toColumn("scores"))
            .passthrough(List.of("id"))
            .batchSize(2)
            .score(treeRows(HAND_ROWS, 2))
            .scored()
            .collectAsList();
    assertThat(out).hasSize(HAND_ROWS.length);
    for (Row r : out) {
      int id = (int) r.getLong(0);
      assertThat(r.getLong(1)).as("label of row %d", id).isEqualTo(HAND_LABELS[id]);
      Map<Long, Float> scores = r.getJavaMap(2);
      assertThat(scores).containsOnlyKeys(3L, 7L, 9L);
      long[] keys = {3, 7, 9};
      for (int c = 0; c < 3; c++) {
        assertThat((double) scores.get(keys[c]))
            .as("row %d class %d", id, keys[c])
            .isCloseTo(HAND_SCORES[id][c], within(1e-6));
      }
    }
  }

  @Test
  void treeEnsembleArrayFormTakesArgmaxLabelsAndTopK() {
    InferencePlan plan =
        BatchInference.builder()
            .modelPath(TREE.toString(), null)
            .input("features", InputMapping.columns("x0", "x1", "x2"))
            .output(
                "probabilities",
                OutputMapping.toColumn("scores")
                    .asArray(null)
                    .withArgmax("best")
                    .withLabels(List.of("three", "seven", "nine"), "best_label")
                    .withTopK(2, "top_classes", "top_scores"))
            .passthrough(List.of("id"))
            .plan(spark, TREE_SCHEMA);
    assertThat(plan.outputSchema().apply("scores").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThat(plan.describe())
        .contains("outputs label [N] int64, probabilities seq(map(int64, float32))\n")
        .contains("probabilities seq(map(int64, float32)) as array -> scores, best (argmax)");
    List<Row> out = plan.apply(treeRows(HAND_ROWS, 1)).scored().collectAsList();
    String[] names = {"three", "seven", "nine"};
    for (Row r : out) {
      int id = (int) r.getLong(0);
      List<Float> scores = r.getList(1);
      // Keys sorted ascending: 3, 7, 9.
      for (int c = 0; c < 3; c++) {
        assertThat((double) scores.get(c)).isCloseTo(HAND_SCORES[id][c], within(1e-6));
      }
      int best = HAND_LABELS[id] == 3 ? 0 : HAND_LABELS[id] == 7 ? 1 : 2;
      assertThat(r.getInt(2)).isEqualTo(best);
      assertThat(r.getString(3)).isEqualTo(names[best]);
      assertThat(r.<Integer>getList(4).get(0)).isEqualTo(best);
      assertThat((double) r.<Float>getList(5).get(0))
          .isCloseTo(HAND_SCORES[id][best], within(1e-6));
    }
  }

  @Test
  void configuredClassOrderReordersTheArray() {
    List<Row> out =
        BatchInference.builder()
            .modelPath(TREE.toString(), null)
            .input("features", InputMapping.columns("x0", "x1", "x2"))
            .output(
                "probabilities",
                OutputMapping.toColumn("scores").asArray(List.of("9", "3", "7")).withArgmax("best"))
            .passthrough(List.of("id"))
            .score(treeRows(HAND_ROWS, 1))
            .scored()
            .collectAsList();
    for (Row r : out) {
      int id = (int) r.getLong(0);
      List<Float> scores = r.getList(1);
      assertThat((double) scores.get(0)).isCloseTo(HAND_SCORES[id][2], within(1e-6));
      assertThat((double) scores.get(1)).isCloseTo(HAND_SCORES[id][0], within(1e-6));
      assertThat((double) scores.get(2)).isCloseTo(HAND_SCORES[id][1], within(1e-6));
      int best = HAND_LABELS[id] == 9 ? 0 : HAND_LABELS[id] == 3 ? 1 : 2;
      assertThat(r.getInt(2)).isEqualTo(best);
    }
  }

  /** Map of class to score per row, straight from ONNX Runtime's sequence of maps. */
  static List<Map<Object, Float>> oracleMaps(OrtSession session, Map<String, OnnxTensor> feeds)
      throws Exception {
    try (OrtSession.Result r = session.run(feeds)) {
      OnnxSequence seq =
          (OnnxSequence)
              r.get(
                      session.getOutputNames().stream()
                          .filter(n -> n.contains("prob"))
                          .findFirst()
                          .orElseThrow())
                  .orElseThrow();
      List<Map<Object, Float>> maps = new ArrayList<>();
      for (OnnxValue v : seq.getValue()) {
        try (OnnxMap m = (OnnxMap) v) {
          Map<Object, Float> copy = new LinkedHashMap<>();
          m.getValue().forEach((k, x) -> copy.put(k, (Float) x));
          maps.add(copy);
        }
      }
      return maps;
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 500})
  void treeEnsembleMatchesOnnxRuntimeForAnyBatchSize(int batchSize) throws Exception {
    float[][] features = randomFeatures(42, 120);
    List<Row> out =
        BatchInference.builder()
            .modelPath(TREE.toString(), null)
            .input("features", InputMapping.columns("x0", "x1", "x2"))
            .output("label", OutputMapping.toColumn("label"))
            .output("probabilities", OutputMapping.toColumn("scores"))
            .passthrough(List.of("id"))
            .batchSize(batchSize)
            .score(treeRows(features, 3))
            .scored()
            .collectAsList();
    List<Map<Object, Float>> want;
    long[] labels;
    try (OnnxTensor x = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), features)) {
      want = oracleMaps(treeOracle, Map.of("features", x));
      try (OrtSession.Result r = treeOracle.run(Map.of("features", x))) {
        labels = (long[]) r.get("label").orElseThrow().getValue();
      }
    }
    assertThat(out).hasSize(features.length);
    for (Row r : out) {
      int id = (int) r.getLong(0);
      assertThat(r.getLong(1)).isEqualTo(labels[id]);
      Map<Long, Float> got = r.getJavaMap(2);
      assertThat(new HashMap<Object, Float>(got)).isEqualTo(want.get(id));
    }
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
      return oracleMaps(mixedOracle, Map.of("age", a, "city", c, "plan", p, "visits", v));
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
      List<Map<Object, Float>> maps = oracleMaps(iris, feeds);
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
  void badMapConfigsFailAtPlanningNamingTheKey() {
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(TREE.toString(), null)
                    .input("features", InputMapping.columns("x0", "x1", "x2"))
                    .output("label", OutputMapping.toColumn("label").asArray(null))
                    .output("probabilities", OutputMapping.toColumn("p").withArgmax("best"))
                    .plan(spark, TREE_SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("outputs.label.as: only for model outputs that are maps")
        .hasMessageContaining("'label' is a tensor [N] int64")
        .hasMessageContaining(
            "outputs.probabilities: softmax, argmax, top_k, labels, pooling and normalize work on"
                + " the array form")
        .hasMessageContaining("add outputs.probabilities.as: array");
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(TREE.toString(), null)
                    .input("features", InputMapping.columns("x0", "x1", "x2"))
                    .output(
                        "probabilities",
                        OutputMapping.toColumn("p")
                            .asArray(List.of("3", "seven", "3"))
                            .withLabels(List.of("a", "b"), null))
                    .plan(spark, TREE_SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("outputs.probabilities.classes[1]: 'seven' is not an integer")
        .hasMessageContaining("outputs.probabilities.classes[2]: '3' is listed twice");
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(TREE.toString(), null)
                    .input("features", InputMapping.columns("x0", "x1", "x2"))
                    .output(
                        "probabilities",
                        OutputMapping.toColumn("p")
                            .asArray(List.of("3", "7", "9"))
                            .withLabels(List.of("a", "b"), null))
                    .plan(spark, TREE_SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("outputs.probabilities.labels:")
        .hasMessageContaining("has 3 classes");
    assertThatThrownBy(
            () ->
                BatchInference.builder()
                    .modelPath(TREE.toString(), null)
                    .input("features", InputMapping.columns("x0", "x1", "x2"))
                    .output(
                        "probabilities",
                        OutputMapping.toColumn("p").withForm(null, List.of("3", "7", "9")))
                    .plan(spark, TREE_SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probabilities: classes orders the array form of model output 'probabilities'"
                + " (seq(map(int64, float32))); add outputs.probabilities.as: array");
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
