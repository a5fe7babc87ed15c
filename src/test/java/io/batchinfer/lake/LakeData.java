package io.batchinfer.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.jobs.BatchInferenceJob;
import io.batchinfer.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Data, model and oracle shared by the table and object-store tests. Rows are {@code (id, day, x1,
 * x2)} from a fixed seed; every 50th row has {@code x2 = NaN}, which the job rejects ({@code
 * nan_value}). The model is one Gemm, {@code y = [x1 + 2·x2 + 0.5, -x1 + x2]}, so the expected
 * scores are computed here by hand, in float32 like ONNX Runtime, independently of the job.
 */
public final class LakeData {
  private LakeData() {}

  public static final String[] DAYS = {"2026-11-01", "2026-11-02", "2026-11-03"};
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("day", DataTypes.StringType, false)
          .add("x1", DataTypes.DoubleType, false)
          .add("x2", DataTypes.DoubleType, false);

  /**
   * @return the model's bytes: input {@code x [?, 2]}, output {@code y [?, 2]} float32
   */
  public static byte[] model() {
    return TestModels.linear("x", "y", new float[][] {{1, -1}, {2, 1}}, new float[] {0.5f, 0});
  }

  /**
   * @return whether row {@code id} is bad (NaN feature) and so rejected
   */
  public static boolean bad(long id) {
    return id % 50 == 7;
  }

  /**
   * @return {@code n} rows with ids from {@code firstId}, spread over {@link #DAYS}
   */
  public static List<Row> rows(long firstId, int n, long seed) {
    Random random = new Random(seed);
    List<Row> rows = new ArrayList<>(n);
    for (long id = firstId; id < firstId + n; id++) {
      double x1 = random.nextGaussian();
      double x2 = bad(id) ? Double.NaN : random.nextGaussian();
      rows.add(RowFactory.create(id, DAYS[(int) (id % DAYS.length)], x1, x2));
    }
    return rows;
  }

  /**
   * @return the rows as a DataFrame in {@code partitions} partitions
   */
  public static Dataset<Row> frame(SparkSession spark, List<Row> rows, int partitions) {
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  /**
   * @return the expected {@code y} of a row, in float32 as the Gemm computes it
   */
  public static float[] expected(double x1, double x2) {
    float a = (float) x1;
    float b = (float) x2;
    return new float[] {a * 1f + b * 2f + 0.5f, a * -1f + b * 1f};
  }

  /**
   * Checks scored rows (columns {@code id, x1, x2, y}) against the hand-computed oracle and returns
   * them by id; fails on a duplicate id.
   */
  public static Map<Long, Row> checkScores(Dataset<Row> scored) {
    Map<Long, Row> byId = new HashMap<>();
    for (Row r : scored.select("id", "x1", "x2", "y").collectAsList()) {
      long id = r.getLong(0);
      assertThat(byId.put(id, r)).as("id %d appears once", id).isNull();
      float[] want = expected(r.getDouble(1), r.getDouble(2));
      List<Float> got = r.getList(3);
      assertThat(got).hasSize(2);
      assertThat(got.get(0)).as("y[0] of id %d", id).isCloseTo(want[0], within(1e-5f));
      assertThat(got.get(1)).as("y[1] of id %d", id).isCloseTo(want[1], within(1e-5f));
    }
    return byId;
  }

  /** Writes {@code bytes} to {@code location} through Hadoop (any file system). */
  public static void put(Configuration conf, String location, byte[] bytes) throws IOException {
    Path p = new Path(location);
    FileSystem fs = p.getFileSystem(conf);
    try (OutputStream os = fs.create(p, true)) {
      os.write(bytes);
    }
  }

  /**
   * Writes {@code rows} as Parquet in a local folder and copies the files to {@code location} (any
   * Hadoop file system): test setup that does not depend on the committer under test.
   */
  public static void putParquet(
      SparkSession spark, Dataset<Row> rows, java.nio.file.Path localTmp, String location)
      throws IOException {
    java.nio.file.Path local = localTmp.resolve("upload-" + System.nanoTime());
    rows.write().parquet(local.toString());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path dst = new Path(location);
    FileSystem dstFs = dst.getFileSystem(conf);
    FileSystem localFs = FileSystem.getLocal(conf);
    dstFs.mkdirs(dst);
    for (var status :
        localFs.listStatus(new Path(local.toUri()), p -> p.getName().endsWith(".parquet"))) {
      org.apache.hadoop.fs.FileUtil.copy(
          localFs, status.getPath(), dstFs, new Path(dst, status.getPath().getName()), false, conf);
    }
  }

  /** Reads {@code location} through Hadoop. */
  public static String get(Configuration conf, String location) throws IOException {
    Path p = new Path(location);
    try (var in = p.getFileSystem(conf).open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The outcome of one in-process CLI run. */
  public record Run(int exitCode, String out, String err) {}

  /** Runs the job's CLI in this JVM (it reuses the test's SparkSession). */
  public static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        BatchInferenceJob.run(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
