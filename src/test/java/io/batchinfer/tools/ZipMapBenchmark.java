package io.batchinfer.tools;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.AutoInputs;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.OutputMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * What a ZipMap output ({@code seq(map(int64, float))}) costs, measured and printed as ratios from
 * one run (never asserted). Model: {@code src/test/resources/onnxml/mixed-columns.onnx} (four
 * {@code [N, 1]} inputs, Scaler, OneHotEncoder, LabelEncoder, LinearClassifier, ZipMap).
 *
 * <ol>
 *   <li>ONNX Runtime alone, one thread, batches of 256: microseconds per row to run the model for
 *       its label tensor, to run it for the ZipMap output, and to copy the maps out through ONNX
 *       Runtime Java ({@link OnnxSequence#getValue()}, {@link OnnxMap#getValue()}: native calls per
 *       row), which is the cost batchinfer cannot avoid for map outputs;
 *   <li>the engine on local[2]: rows/s writing the label, the probabilities as a map column, and as
 *       an array with argmax, alternating, {@code repeats} times.
 * </ol>
 *
 * Run: {@code submit-scripts/benchmark.sh zipmap [rows] [repeats]} (defaults 400000, 3).
 */
public final class ZipMapBenchmark {
  private static final int BATCH = 256;

  private ZipMapBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 400_000;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path model = Path.of("src/test/resources/onnxml/mixed-columns.onnx").toAbsolutePath();
    ortAlone(model, repeats);
    engine(model, rows, repeats);
  }

  private static void ortAlone(Path model, int repeats) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), options)) {
        float[][] age = new float[BATCH][1];
        String[] city = new String[BATCH];
        String[] plan = new String[BATCH];
        long[][] visits = new long[BATCH][1];
        String[] cities = {"paris", "london", "tokyo", "berlin"};
        for (int i = 0; i < BATCH; i++) {
          age[i][0] = 20 + i % 50;
          city[i] = cities[i % 4];
          plan[i] = i % 2 == 0 ? "basic" : "pro";
          visits[i][0] = i % 20;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, age);
            OnnxTensor c = OnnxTensor.createTensor(env, city, new long[] {BATCH, 1});
            OnnxTensor p = OnnxTensor.createTensor(env, plan, new long[] {BATCH, 1});
            OnnxTensor v = OnnxTensor.createTensor(env, visits)) {
          Map<String, OnnxTensor> feeds = Map.of("age", a, "city", c, "plan", p, "visits", v);
          int calls = 400;
          for (int r = 0; r <= repeats; r++) {
            long label = 0;
            long zipmap = 0;
            long extract = 0;
            double sink = 0;
            for (int k = 0; k < calls; k++) {
              long t0 = System.nanoTime();
              try (OrtSession.Result res = session.run(feeds, Set.of("output_label"))) {
                sink += ((long[]) res.get(0).getValue())[0];
              }
              long t1 = System.nanoTime();
              try (OrtSession.Result res = session.run(feeds, Set.of("output_probability"))) {
                long t2 = System.nanoTime();
                for (OnnxValue m : ((OnnxSequence) res.get(0)).getValue()) {
                  try (OnnxMap map = (OnnxMap) m) {
                    sink += map.getValue().size();
                  }
                }
                extract += System.nanoTime() - t2;
                zipmap += t2 - t1;
              }
              label += t1 - t0;
            }
            double perRow = 1e3 * calls * BATCH;
            System.out.printf(
                "%s ort-alone: run for label %.2f us/row, run for zipmap %.2f us/row, copy maps out"
                    + " %.2f us/row (copy / run-for-label = %.1fx)%s%n",
                r == 0 ? "warm-up" : "repeat " + r,
                label / perRow,
                zipmap / perRow,
                extract / perRow,
                (double) extract / label,
                sink < 0 ? "!" : "");
          }
        }
      }
    }
  }

  private static void engine(Path model, int rows, int repeats) {
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("zipmap-benchmark")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    try {
      Dataset<Row> in =
          spark
              .sql(
                  "SELECT id, CAST(20 + id % 50 AS DOUBLE) AS age,"
                      + " element_at(array('paris','london','tokyo','berlin'),"
                      + " CAST(id % 4 + 1 AS INT)) AS city,"
                      + " element_at(array('basic','plus','pro'), CAST(id % 3 + 1 AS INT)) AS plan,"
                      + " id % 20 AS visits FROM range("
                      + rows
                      + ")")
              .repartition(2)
              .cache();
      in.count();
      String[] modes = {"label", "map", "array"};
      for (int r = 0; r <= repeats; r++) {
        double[] perSecond = new double[modes.length];
        for (int m = 0; m < modes.length; m++) {
          BatchInference.Builder b =
              BatchInference.builder()
                  .modelPath(model.toString(), null)
                  .autoInputs(AutoInputs.BY_NAME)
                  .batchSize(BATCH)
                  .passthrough(List.of("id"));
          String sum;
          if (modes[m].equals("label")) {
            b.output("output_label", OutputMapping.toColumn("l"));
            sum = "id + l";
          } else if (modes[m].equals("map")) {
            b.output("output_probability", OutputMapping.toColumn("p"));
            sum = "id + size(map_keys(p))";
          } else {
            b.output(
                "output_probability", OutputMapping.toColumn("p").asArray(null).withArgmax("k"));
            sum = "id + k + size(p)";
          }
          long t = System.nanoTime();
          b.score(in).scored().selectExpr(sum + " AS h").agg(functions.sum("h")).collectAsList();
          perSecond[m] = rows / ((System.nanoTime() - t) / 1e9);
        }
        System.out.printf(
            "%s engine local[2] %d rows: label %.0f rows/s, map %.0f rows/s (%.2fx of label),"
                + " array+argmax %.0f rows/s (%.2fx of label)%n",
            r == 0 ? "warm-up" : "repeat " + r,
            rows,
            perSecond[0],
            perSecond[1],
            perSecond[1] / perSecond[0],
            perSecond[2],
            perSecond[2] / perSecond[0]);
      }
    } finally {
      spark.stop();
    }
  }
}
