package io.batchinfer.tools;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ml.OnnxTransformer;
import io.batchinfer.udfs.sql.BatchInferenceSql;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The ways in, measured on the same rows in one run (never asserted): the SQL function (one ONNX
 * Runtime call per row), the engine API ({@code BatchInference}, batches of 256) and the ML stage
 * ({@code OnnxTransformer}, same engine). Rows are random iris-like measurements (seed 42), cached
 * in memory first so that no path pays for reading; each path sums its {@code class_index} so the
 * model runs on every row and nothing is written. Each path runs once on 1% of the rows to warm up
 * (JIT, session creation), then the paths alternate {@code repeats} times and the best time counts.
 * Prints rows/s and the ratio batch/SQL.
 *
 * <p>Run: {@code submit-scripts/benchmark.sh sql [rows] [repeats] [cores]} (defaults 500000, 2, 2:
 * local[cores], one Spark task per core).
 */
public final class SqlFunctionBenchmark {
  private static final String[] FEATURES = {
    "sepal_length", "sepal_width", "petal_length", "petal_width"
  };

  private SqlFunctionBenchmark() {}

  public static void main(String[] args) {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 500_000;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int cores = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    String model =
        Path.of(System.getProperty("batchinfer.project.dir", "."))
            .resolve("models/iris/iris-logreg.onnx")
            .toAbsolutePath()
            .toString();
    SparkSession spark =
        SparkSession.builder()
            .master("local[" + cores + "]")
            .appName("batchinfer-sql-benchmark")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    try {
      Dataset<Row> data = data(spark, rows, cores).cache();
      data.count();
      data.createOrReplaceTempView("bench");
      Dataset<Row> warm = data.limit((int) Math.max(1000, rows / 100));
      warm.createOrReplaceTempView("bench_warm");
      BatchInferenceSql.register(spark, "iris_predict", builder(model));
      InferencePlan plan = builder(model).plan(spark, data.schema());
      OnnxTransformer stage =
          new OnnxTransformer()
              .setModelPath(model)
              .setInput("input", InputMapping.columns(FEATURES))
              .setOutput(
                  "output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
      System.out.printf(
          Locale.ROOT,
          "ways in: %d rows (cached), iris-logreg 4->3, local[%d], best of %d%n",
          rows,
          cores,
          repeats);
      sql(spark, "bench_warm");
      batch(builder(model).plan(spark, warm.schema()), warm);
      sum(stage.transform(warm));
      double sqlBest = Double.MAX_VALUE;
      double batchBest = Double.MAX_VALUE;
      double stageBest = Double.MAX_VALUE;
      for (int r = 0; r < repeats; r++) {
        sqlBest = Math.min(sqlBest, sql(spark, "bench"));
        batchBest = Math.min(batchBest, batch(plan, data));
        stageBest = Math.min(stageBest, time(() -> sum(stage.transform(data))));
      }
      print("SQL function (row by row)", rows, sqlBest);
      print("BatchInference API (batch 256)", rows, batchBest);
      print("OnnxTransformer (ML stage)", rows, stageBest);
      System.out.printf(
          Locale.ROOT, "ratio batch/SQL: %.1fx%n", sqlBest / Math.max(batchBest, 1e-9));
    } finally {
      spark.stop();
    }
  }

  private static BatchInference.Builder builder(String model) {
    return BatchInference.builder()
        .modelPath(model, null)
        .input("input", InputMapping.columns(FEATURES))
        .output("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
  }

  private static Dataset<Row> data(SparkSession spark, long rows, int partitions) {
    return spark
        .range(0, rows, 1, partitions)
        .select(
            functions.col("id"),
            functions.rand(42).multiply(3.6).plus(4.3).as("sepal_length"),
            functions.rand(43).multiply(2.4).plus(2.0).as("sepal_width"),
            functions.rand(44).multiply(5.9).plus(1.0).as("petal_length"),
            functions.rand(45).multiply(2.4).plus(0.1).as("petal_width"));
  }

  private static double sql(SparkSession spark, String view) {
    return time(
        () ->
            spark
                .sql(
                    "SELECT sum(iris_predict(sepal_length, sepal_width, petal_length,"
                        + " petal_width).class_index) FROM "
                        + view)
                .collectAsList());
  }

  private static double batch(InferencePlan plan, Dataset<Row> input) {
    return time(() -> sum(plan.apply(input).scored()));
  }

  private static Object sum(Dataset<Row> scored) {
    return scored.agg(functions.sum("class_index")).collectAsList();
  }

  private static double time(Runnable r) {
    long start = System.nanoTime();
    r.run();
    return (System.nanoTime() - start) / 1e9;
  }

  private static void print(String what, long rows, double seconds) {
    System.out.printf(
        Locale.ROOT, "  %-32s %8.2f s  %,12.0f rows/s%n", what, seconds, rows / seconds);
  }
}
