package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX-ML outputs through the Java API: ZipMap outputs ({@code seq(map(int64, float))}) as map and
 * array columns (class order sorted or configured; argmax, labels and top-k on the array), int64
 * label outputs, and the planning errors for map-only keys. The fixture {@code tree-zipmap.onnx} is
 * written by {@code src/test/python/make_onnxml_models.py}; the oracles are the sums of leaf
 * weights worked out by hand from its parameters and ONNX Runtime called directly on the same rows
 * (reading its {@link OnnxSequence} of {@link OnnxMap}s).
 */
class OnnxMlOutputsTest extends SparkTestBase {
  static final Path TREE = Projects.root().resolve("src/test/resources/onnxml/tree-zipmap.onnx");

  private static final StructType TREE_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("x0", DataTypes.FloatType, false)
          .add("x1", DataTypes.FloatType, false)
          .add("x2", DataTypes.FloatType, false);

  private static OrtSession treeOracle;

  @BeforeAll
  static void oracle() throws Exception {
    treeOracle =
        OrtEnvironment.getEnvironment()
            .createSession(TREE.toString(), new OrtSession.SessionOptions());
  }

  @AfterAll
  static void closeOracle() throws Exception {
    treeOracle.close();
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
      want = OrtMaps.sequenceOfMaps(treeOracle, Map.of("features", x), "probabilities");
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
}
