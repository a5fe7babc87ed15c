package io.batchinfer.tools;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.text.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Benchmarks that print ratios measured in one run (never assertions: machines here are shared
 * and noisy). Run with {@code submit-scripts/benchmark.sh}.
 *
 * <ol>
 *   <li>Tabular: the "Python script" baseline (one thread, one ONNX Runtime call per row over rows
 *       already in memory) against the engine on local[*] with batches, same model and rows.
 *   <li>Text: length-aware batching off and on, with the int8 MiniLM model on the sentences corpus:
 *       padded tokens fed to the model (exact, deterministic) and rows/s.
 * </ol>
 */
public final class Benchmark {
  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 400_000;
    SparkSession spark = SparkSession.builder().master("local[*]").appName("batchinfer-benchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      tabular(spark, root, rows);
      text(spark, root);
    } finally {
      spark.stop();
    }
  }

  private static void tabular(SparkSession spark, Path root, int n) throws Exception {
    Path model = root.resolve("models/iris/iris-logreg.onnx");
    Random random = new Random(1);
    List<Row> data = new ArrayList<>(n);
    float[][] features = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] f = {4 + 4 * random.nextFloat(), 2 + 2 * random.nextFloat(), 1 + 6 * random.nextFloat(), 2 * random.nextFloat()};
      features[i] = f;
      data.add(RowFactory.create((long) i, (double) f[0], (double) f[1], (double) f[2], (double) f[3]));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("a", DataTypes.DoubleType)
        .add("b", DataTypes.DoubleType).add("c", DataTypes.DoubleType).add("d", DataTypes.DoubleType);
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(spark.sparkContext().defaultParallelism()).cache();
    df.count();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long start = System.nanoTime();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), o)) {
        for (float[] f : features) {
          try (OnnxTensor t = OnnxTensor.createTensor(env, new float[][] {f});
              OrtSession.Result r = session.run(Map.of("input", t))) {
            r.get(0).getValue();
          }
        }
      }
    }
    double baseline = n / ((System.nanoTime() - start) / 1e9);

    InferencePlan plan = BatchInference.builder().modelPath(model.toString(), null)
        .input("input", InputMapping.columns("a", "b", "c", "d"))
        .output("output", OutputMapping.toColumn("p").withArgmax("k"))
        .passthrough(List.of("id")).batchSize(1024).plan(spark, df.schema());
    plan.apply(df).scored().write().format("noop").mode("overwrite").save(); // warm-up: sessions, JIT
    start = System.nanoTime();
    plan.apply(df).scored().write().format("noop").mode("overwrite").save();
    double engine = n / ((System.nanoTime() - start) / 1e9);
    System.out.printf(Locale.ROOT, "tabular: %d rows, iris model: one-row loop %.0f rows/s, batchinfer local[%d]"
        + " batch 1024 %.0f rows/s, ratio %.1fx%n", n, baseline, spark.sparkContext().defaultParallelism(), engine,
        engine / baseline);
    df.unpersist();
  }

  private static void text(SparkSession spark, Path root) throws Exception {
    Path model = root.resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
    Path tokenizer = root.resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q-tokenizer.json");
    Dataset<Row> df = spark.read().parquet(root.resolve("data/sentences/sentences.parquet").toString())
        .repartition(spark.sparkContext().defaultParallelism()).cache();
    List<String> texts = df.select("text").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    int batch = 32;
    int window = 8;
    long plain;
    long sorted;
    long real = 0;
    try (TextTokenizer t = TextTokenizer.fromFile(tokenizer, 128)) {
      int[] counts = texts.stream().mapToInt(t::tokenCount).toArray();
      for (int c : counts) {
        real += c;
      }
      plain = padded(counts, batch, 1);
      sorted = padded(counts, batch, window);
    }
    double[] rate = new double[2];
    int[] windows = {1, window};
    // Warm-up: create the session and tokenizer in every executor thread's JVM, warm the JIT.
    BatchInference.builder().modelPath(model.toString(), null)
        .text(TextInput.of("text", tokenizer.toString(), 128))
        .output("last_hidden_state", OutputMapping.toColumn("e").withPooling(Pooling.MEAN))
        .batchSize(batch).score(df.limit(256)).scored().write().format("noop").mode("overwrite").save();
    for (int i = 0; i < 2; i++) {
      InferencePlan plan = BatchInference.builder().modelPath(model.toString(), null)
          .text(TextInput.of("text", tokenizer.toString(), 128))
          .output("last_hidden_state", OutputMapping.toColumn("e").withPooling(Pooling.MEAN).withNormalize())
          .passthrough(List.of("id")).batchSize(batch).lengthWindow(windows[i]).plan(spark, df.schema());
      long start = System.nanoTime();
      plan.apply(df).scored().write().format("noop").mode("overwrite").save();
      rate[i] = texts.size() / ((System.nanoTime() - start) / 1e9);
    }
    System.out.printf(Locale.ROOT, "text: %d sentences, MiniLM int8, batch %d: tokens fed %d without / %d with"
        + " length-aware windows of %d batches (real tokens %d; padding cut %.1fx); %.0f vs %.0f sentences/s, ratio"
        + " %.2fx%n", texts.size(), batch, plain, sorted, window, real, (double) (plain - real) / Math.max(1, sorted - real),
        rate[0], rate[1], rate[1] / rate[0]);
    df.unpersist();
  }

  /** Tokens fed (rows x longest row per batch) when batching in input order or sorted within windows. */
  private static long padded(int[] counts, int batch, int window) {
    long total = 0;
    int w = batch * window;
    for (int start = 0; start < counts.length; start += w) {
      List<Integer> part = new ArrayList<>();
      for (int i = start; i < Math.min(start + w, counts.length); i++) {
        part.add(counts[i]);
      }
      if (window > 1) {
        part.sort(Comparator.naturalOrder());
      }
      for (int b = 0; b < part.size(); b += batch) {
        List<Integer> sub = part.subList(b, Math.min(b + batch, part.size()));
        total += (long) sub.size() * sub.stream().mapToInt(Integer::intValue).max().orElse(0);
      }
    }
    return total;
  }
}
