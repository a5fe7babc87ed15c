package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bulk copy of float/double array columns (Spark's binary arrays, as read from Parquet) into
 * the input tensor: a dense linear model scored through the engine must equal ONNX Runtime run
 * directly on the same rows (within 1e-6), for float and double columns and batch sizes that do and
 * do not divide the row count; bad elements must still be named, which proves the bulk path falls
 * back to the element-by-element one instead of copying them.
 */
class BulkArrayInputTest extends SparkTestBase {
  private static final int N = 24;
  private static final int K = 3;
  private static final int ROWS = 101;

  @TempDir static Path dir;

  private static Path model;
  private static float[][] features;

  @BeforeAll
  static void model() {
    Random random = new Random(7);
    float[][] w = new float[N][K];
    for (float[] row : w) {
      for (int k = 0; k < K; k++) {
        row[k] = (float) random.nextGaussian();
      }
    }
    model =
        TestModels.write(
            TestModels.linear("x", "y", w, new float[] {0.5f, -0.25f, 1f}),
            dir.resolve("linear.onnx"));
    features = new float[ROWS][N];
    for (float[] f : features) {
      for (int i = 0; i < N; i++) {
        f[i] = (float) (random.nextGaussian() * 10);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 64, 500})
  void floatArraysEqualOnnxRuntimeRunDirectly(int batchSize) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      List<Float> v = new ArrayList<>();
      for (float x : features[r]) {
        v.add(x);
      }
      rows.add(RowFactory.create(r, v));
    }
    Dataset<Row> df = writeAndRead("float-" + batchSize, rows, DataTypes.FloatType);
    assertMatchesOracle(df, batchSize, features);
  }

  @Test
  void doubleArraysIntoAFloatModelEqualOnnxRuntimeOnTheRoundedValues() throws Exception {
    List<Row> rows = new ArrayList<>();
    float[][] rounded = new float[ROWS][N];
    Random random = new Random(11);
    for (int r = 0; r < ROWS; r++) {
      List<Double> v = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        double d = random.nextGaussian() * 10;
        v.add(d);
        rounded[r][i] = (float) d; // what the engine feeds a float32 input: round to nearest
      }
      rows.add(RowFactory.create(r, v));
    }
    Dataset<Row> df = writeAndRead("double", rows, DataTypes.DoubleType);
    assertMatchesOracle(df, 16, rounded);
  }

  @Test
  void nanInsideAnArrayIsStillNamedByElement() {
    List<Float> v = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      v.add(i == 17 ? Float.NaN : 1f);
    }
    Dataset<Row> df = writeAndRead("nan", List.of(RowFactory.create(0, v)), DataTypes.FloatType);
    Dataset<Row> scored = plan(df, 8).apply(df).scored();
    assertThatThrownBy(scored::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("column 'v[17]': value NaN is not a finite number");
  }

  @Test
  void doubleThatOverflowsFloat32IsStillRejectedByElement() {
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      v.add(i == 5 ? 1e300 : 1d);
    }
    Dataset<Row> df =
        writeAndRead("overflow", List.of(RowFactory.create(0, v)), DataTypes.DoubleType);
    Dataset<Row> scored = plan(df, 8).apply(df).scored();
    assertThatThrownBy(scored::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("column 'v[5]': value 1.0E300 is out of the range of float32");
  }

  @Test
  void nullElementIsStillNamed() {
    List<Float> v = new ArrayList<>(Arrays.asList(new Float[N]));
    v.replaceAll(x -> 2f);
    v.set(3, null);
    Dataset<Row> df = writeAndRead("null", List.of(RowFactory.create(0, v)), DataTypes.FloatType);
    Dataset<Row> scored = plan(df, 8).apply(df).scored();
    assertThatThrownBy(scored::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("column 'v[3]': null element");
  }

  private static void assertMatchesOracle(Dataset<Row> df, int batchSize, float[][] fed)
      throws Exception {
    Map<Integer, float[]> got = new HashMap<>();
    for (Row r : plan(df, batchSize).apply(df).scored().collectAsList()) {
      List<Float> y = r.getList(1);
      float[] a = new float[y.size()];
      for (int k = 0; k < a.length; k++) {
        a[k] = y.get(k);
      }
      got.put(r.getInt(0), a);
    }
    assertThat(got).hasSize(ROWS);
    try (Oracle oracle = new Oracle(model)) {
      for (int r = 0; r < ROWS; r++) {
        float[] expected = oracle.runRow("x", "y", fed[r]);
        for (int k = 0; k < K; k++) {
          assertThat(got.get(r)[k])
              .as("row %d output %d", r, k)
              .isCloseTo(expected[k], within(1e-6f * Math.max(1f, Math.abs(expected[k]))));
        }
      }
    }
  }

  private static InferencePlan plan(Dataset<Row> df, int batchSize) {
    return BatchInference.builder()
        .modelPath(model.toString(), null)
        .input("x", InputMapping.column("v"))
        .output("y", OutputMapping.toColumn("y"))
        .passthrough(List.of("id"))
        .batchSize(batchSize)
        .plan(spark, df.schema());
  }

  /**
   * Writes to Parquet in two files and reads back: the scan yields Spark's binary (unsafe) arrays.
   */
  private static Dataset<Row> writeAndRead(
      String name, List<Row> rows, org.apache.spark.sql.types.DataType element) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.createArrayType(element));
    String path = dir.resolve(name).toString();
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(path);
    return spark.read().parquet(path);
  }
}
