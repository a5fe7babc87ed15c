package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.session.SessionCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime tuning ({@code model.onnxruntime.*}): every non-default setting still gives what
 * ONNX Runtime run directly gives (within 1e-6), and the optimised-model cache writes its file once
 * and is read back by the next session.
 */
class OrtTuningTest extends SparkTestBase {
  private static final int N = 8;
  private static final int ROWS = 57;

  @TempDir static Path dir;

  private static Path model;
  private static float[][] features;
  private static Dataset<Row> df;

  @BeforeAll
  static void data() {
    Random random = new Random(5);
    float[][] w = new float[N][2];
    for (float[] row : w) {
      row[0] = (float) random.nextGaussian();
      row[1] = (float) random.nextGaussian();
    }
    model =
        TestModels.write(
            TestModels.linearSoftmax("x", "y", w, new float[] {0.1f, -0.1f}),
            dir.resolve("m.onnx"));
    features = new float[ROWS][N];
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      List<Float> v = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        features[r][i] = (float) random.nextGaussian();
        v.add(features[r][i]);
      }
      rows.add(RowFactory.create(r, v));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.createArrayType(DataTypes.FloatType));
    spark
        .createDataFrame(rows, schema)
        .repartition(2)
        .write()
        .parquet(dir.resolve("in").toString());
    df = spark.read().parquet(dir.resolve("in").toString());
  }

  @Test
  void everyNonDefaultSettingGivesOnnxRuntimesResult() throws Exception {
    OnnxRuntimeOptions tuning =
        new OnnxRuntimeOptions(2, true, false, false, false, OptimizationLevel.BASIC, null);
    assertEqualsOracle(tuning, 2);
    assertEqualsOracle(
        new OnnxRuntimeOptions(1, false, false, true, true, OptimizationLevel.DISABLE, null), 1);
  }

  @Test
  void globalThreadPoolFallsBackToSessionThreadsWhenOnnxRuntimeAlreadyStarted() throws Exception {
    // Other tests in this JVM have started ONNX Runtime: the pool cannot be created any more.
    OrtRuntime.environment();
    assertEqualsOracle(
        new OnnxRuntimeOptions(1, false, true, true, true, OptimizationLevel.ALL, null), 2);
    assertThat(OrtRuntime.globalThreadPoolActive()).isFalse();
  }

  @Test
  void optimizedModelCacheWritesOnceAndIsReadBack() throws Exception {
    Path cache = dir.resolve("ort-cache");
    OnnxRuntimeOptions tuning =
        new OnnxRuntimeOptions(
            1, false, false, true, true, OptimizationLevel.EXTENDED, cache.toString());
    SessionCache.closeAll();
    assertEqualsOracle(tuning, 1);
    List<Path> files;
    try (Stream<Path> s = Files.list(cache)) {
      files = s.toList();
    }
    assertThat(files).hasSize(1);
    assertThat(files.get(0).getFileName().toString()).endsWith("-extended.onnx");
    long modified = Files.getLastModifiedTime(files.get(0)).toMillis();

    SessionCache.closeAll(); // the next session is created from the cached file
    assertEqualsOracle(tuning, 1);
    try (Stream<Path> s = Files.list(cache)) {
      assertThat(s.toList()).containsExactlyElementsOf(files);
    }
    assertThat(Files.getLastModifiedTime(files.get(0)).toMillis()).isEqualTo(modified);
  }

  private static void assertEqualsOracle(OnnxRuntimeOptions tuning, int threads) throws Exception {
    List<Row> got =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("x", InputMapping.column("v"))
            .output("y", OutputMapping.toColumn("y"))
            .passthrough(List.of("id"))
            .batchSize(10)
            .threads(threads)
            .onnxRuntime(tuning)
            .score(df)
            .scored()
            .collectAsList();
    assertThat(got).hasSize(ROWS);
    try (Oracle oracle = new Oracle(model)) {
      for (Row r : got) {
        float[] expected = oracle.runRow("x", "y", features[r.getInt(0)]);
        List<Float> y = r.getList(1);
        for (int k = 0; k < expected.length; k++) {
          assertThat(y.get(k))
              .as("%s row %d", tuning, r.getInt(0))
              .isCloseTo(expected[k], within(1e-6f));
        }
      }
    }
  }
}
