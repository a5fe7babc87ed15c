package io.batchinfer.tools.bench;

import static io.batchinfer.tools.bench.BenchData.q;

import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OnnxRuntimeOptions;
import io.batchinfer.udfs.OptimizationLevel;
import io.batchinfer.udfs.OutputMapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.functions;

/**
 * The float workloads. Tabular: 16 float columns {@code f0..f15} and one {@code array<float>[16]}
 * column {@code v} into a 16→32→3 MLP (I/O-bound: what most batch scoring looks like), scored once
 * from the columns with only {@code id} passed through and once from the array with {@code id} and
 * the array passed through. Wide: {@code array<float>[256]} into a 256→1024→1024→10 MLP
 * (compute-bound). The "engine" mode writes with Spark's default Parquet settings;
 * "engine-plain-float-arrays" with the job's (float arrays without dictionary encoding). Benchmark
 * code, driver JVM only.
 */
public final class FloatWorkloads {
  /**
   * Raw ONNX Runtime is measured on at most this many pre-loaded rows (its rate does not depend on
   * the count).
   */
  static final int RAW_ROWS_MAX = 1_000_000;

  static final int TABULAR_BATCH = 1024;
  static final int WIDE_BATCH = 256;

  /**
   * What the job passes to Spark's Parquet writer for these workloads' columns
   * (ParquetWriteOptions).
   */
  static final Map<String, String> PLAIN_FLOAT_ARRAYS =
      Map.of(
          "parquet.enable.dictionary#probabilities.list.element", "false",
          "parquet.enable.dictionary#v.list.element", "false");

  private FloatWorkloads() {}

  public static void tabular(BenchData d, long rows, int repeats, Report report) throws Exception {
    Path model = tabularModel(d);
    Path data = tabularData(d, rows);
    List<String> features = IntStream.range(0, 16).mapToObj(i -> "f" + i).toList();

    // Scalar columns in, id passed through.
    String name = "tabular-id-" + rows;
    String yaml =
        job(
            name,
            data,
            model,
            "columns: [" + String.join(", ", features) + "]",
            List.of("id"),
            TABULAR_BATCH,
            d.output(name + "-job"));
    Trial t =
        new Trial(name)
            .add("raw", raw(d, model, data, features, 16, TABULAR_BATCH, rows))
            .add("io", () -> d.ioOnly(data, concat("id", features), null, rows, name))
            .add(
                "engine",
                () ->
                    engine(
                        d,
                        model,
                        data,
                        InputMapping.columns(features.toArray(new String[0])),
                        List.of("id"),
                        TABULAR_BATCH,
                        OnnxRuntimeOptions.DEFAULT,
                        1,
                        name,
                        null,
                        rows));
    if (d.extras(rows)) {
      t.add(
          "engine-plain-float-arrays",
          () ->
              engine(
                  d,
                  model,
                  data,
                  InputMapping.columns(features.toArray(new String[0])),
                  List.of("id"),
                  TABULAR_BATCH,
                  OnnxRuntimeOptions.DEFAULT,
                  1,
                  name + "-plain",
                  PLAIN_FLOAT_ARRAYS,
                  rows));
    }
    if (SynapseMl.available()) {
      t.add(
          "synapseml",
          () -> SynapseMl.score(d, model, data, features, SynapseMl.BATCH, name, rows));
    }
    if (d.job) {
      t.addCold("job", () -> d.runJob(name, yaml, rows));
      if (d.extras(rows)) {
        t.addCold(
            "job-no-cds",
            () -> d.runJob(name + "-no-cds", yaml, rows, Map.of("BATCHINFER_CDS", "0")));
      }
      t.addCold("empty-spark-app", () -> d.runEmptySparkApp(rows));
    }
    Map<String, double[]> samples = t.run(repeats);
    report.add(
        new Report.Workload(
            name,
            "16 float columns -> MLP 16-32-3, passthrough id, outputs probabilities"
                + " array<float>[3] + argmax",
            rows,
            TABULAR_BATCH,
            samples,
            coldNotes(d, name, rows, samples)));

    // Array column in, id and the array passed through.
    String aname = "tabular-array-" + rows;
    String ayaml =
        job(
            aname,
            data,
            model,
            "column: v",
            List.of("id", "v"),
            TABULAR_BATCH,
            d.output(aname + "-job"));
    Trial a =
        new Trial(aname)
            .add("raw", raw(d, model, data, List.of("v"), 16, TABULAR_BATCH, rows))
            .add("io", () -> d.ioOnly(data, List.of("id", "v"), null, rows, aname))
            .add(
                "engine",
                () ->
                    engine(
                        d,
                        model,
                        data,
                        InputMapping.column("v"),
                        List.of("id", "v"),
                        TABULAR_BATCH,
                        OnnxRuntimeOptions.DEFAULT,
                        1,
                        aname,
                        null,
                        rows));
    if (d.extras(rows)) {
      a.add(
              "engine-elementwise-copy",
              () -> {
                System.setProperty("batchinfer.codec.elementwise", "true");
                try {
                  return engine(
                      d,
                      model,
                      data,
                      InputMapping.column("v"),
                      List.of("id", "v"),
                      TABULAR_BATCH,
                      OnnxRuntimeOptions.DEFAULT,
                      1,
                      aname + "-elementwise",
                      null,
                      rows);
                } finally {
                  System.clearProperty("batchinfer.codec.elementwise");
                }
              })
          .add(
              "engine-plain-float-arrays",
              () ->
                  engine(
                      d,
                      model,
                      data,
                      InputMapping.column("v"),
                      List.of("id", "v"),
                      TABULAR_BATCH,
                      OnnxRuntimeOptions.DEFAULT,
                      1,
                      aname + "-plain",
                      PLAIN_FLOAT_ARRAYS,
                      rows))
          .add(
              "engine-no-dictionary",
              () ->
                  engine(
                      d,
                      model,
                      data,
                      InputMapping.column("v"),
                      List.of("id", "v"),
                      TABULAR_BATCH,
                      OnnxRuntimeOptions.DEFAULT,
                      1,
                      aname + "-nodict",
                      Map.of("parquet.enable.dictionary", "false"),
                      rows));
    }
    if (d.job) {
      a.addCold("job", () -> d.runJob(aname, ayaml, rows));
    }
    Map<String, double[]> asamples = a.run(repeats);
    report.add(
        new Report.Workload(
            aname,
            "array<float>[16] -> MLP 16-32-3, passthrough id and the array",
            rows,
            TABULAR_BATCH,
            asamples,
            coldNotes(d, aname, rows, asamples)));
  }

  /**
   * @return the tabular workloads' model, a 16-32-3 MLP with softmax (input x, output y)
   */
  static Path tabularModel(BenchData d) throws java.io.IOException {
    return TestModels.write(
        TestModels.mlp("x", "y", new int[] {16, 32, 3}, 1), d.out.resolve("models/tabular.onnx"));
  }

  /**
   * @return the tabular data of {@code rows} rows: id, f0..f15 and v array<float>[16]
   */
  static Path tabularData(BenchData d, long rows) {
    List<Column> cols = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      cols.add(functions.expr(BenchData.floatExpr("id", i)).as("f" + i));
    }
    cols.add(
        functions
            .expr("transform(sequence(0, 15), i -> " + BenchData.floatExpr("id", "100 + i") + ")")
            .as("v"));
    return d.generate("tabular-" + rows, rows, 2 * d.threads, cols.toArray(new Column[0]));
  }

  public static void wide(BenchData d, long rows, int repeats, Report report) throws Exception {
    Path model =
        TestModels.write(
            TestModels.mlp("x", "y", new int[] {256, 1024, 1024, 10}, 2),
            d.out.resolve("models/wide.onnx"));
    Path data =
        d.generate(
            "wide-" + rows,
            rows,
            2 * d.threads,
            functions
                .expr("transform(sequence(0, 255), i -> " + BenchData.floatExpr("id", "i") + ")")
                .as("x"));
    String name = "wide-" + rows;
    String yaml =
        job(name, data, model, "column: x", List.of("id"), WIDE_BATCH, d.output(name + "-job"));
    OnnxRuntimeOptions spin =
        new OnnxRuntimeOptions(1, true, false, true, true, OptimizationLevel.ALL, null);
    Trial t =
        new Trial(name)
            .add("raw", raw(d, model, data, List.of("x"), 256, WIDE_BATCH, rows))
            .add("io", () -> d.ioOnly(data, List.of("id", "x"), null, rows, name))
            .add(
                "engine",
                () ->
                    engine(
                        d,
                        model,
                        data,
                        InputMapping.column("x"),
                        List.of("id"),
                        WIDE_BATCH,
                        OnnxRuntimeOptions.DEFAULT,
                        1,
                        name,
                        null,
                        rows))
            .add(
                "engine-2threads-nospin",
                () ->
                    engine(
                        d,
                        model,
                        data,
                        InputMapping.column("x"),
                        List.of("id"),
                        WIDE_BATCH,
                        OnnxRuntimeOptions.DEFAULT,
                        2,
                        name + "-t2",
                        null,
                        rows))
            .add(
                "engine-2threads-spin",
                () ->
                    engine(
                        d,
                        model,
                        data,
                        InputMapping.column("x"),
                        List.of("id"),
                        WIDE_BATCH,
                        spin,
                        2,
                        name + "-t2s",
                        null,
                        rows));
    Map<String, String> notes = new LinkedHashMap<>();
    if (d.job) {
      t.addCold("job", () -> d.runJob(name, yaml, rows));
      String pooled =
          yaml.replace(
              "  threads: 1\n", "  threads: 2\n  onnxruntime: {global_thread_pool: true}\n");
      t.addCold("job-global-pool-2threads", () -> d.runJob(name + "-global", pooled, rows));
      notes.put(
          "job-global-pool-2threads",
          "one JVM-wide ONNX Runtime pool of 2 threads shared by both tasks");
    }
    notes.put(
        "engine-2threads-*",
        "each task's session has 2 intra-op threads on 2 cores (4 threads for 2 cores)");
    report.add(
        new Report.Workload(
            name,
            "array<float>[256] -> MLP 256-1024-1024-10 (softmax), passthrough id",
            rows,
            WIDE_BATCH,
            t.run(repeats),
            notes));
  }

  /**
   * Mode (1): pre-loads up to {@link #RAW_ROWS_MAX} rows as tensors on its first (warm-up) run;
   * each round runs them all.
   */
  static Trial.Mode raw(
      BenchData d, Path model, Path data, List<String> columns, int width, int batch, long rows) {
    RawOrt[] loaded = new RawOrt[1];
    return () -> {
      if (loaded[0] == null) {
        loaded[0] = preloadRaw(d, model, data, columns, width, batch, rows);
      }
      return loaded[0].runAll();
    };
  }

  private static RawOrt preloadRaw(
      BenchData d, Path model, Path data, List<String> columns, int width, int batch, long rows)
      throws Exception {
    int n = (int) Math.min(rows, RAW_ROWS_MAX);
    Dataset<Row> df =
        d.spark.read().parquet(data.toString()).selectExpr(columns.toArray(new String[0]));
    float[] flat = BenchData.preload(df, n, width);
    RawOrt raw = new RawOrt(model, d.threads);
    for (int start = 0; start < n; start += batch) {
      int b = Math.min(batch, n - start);
      float[] slice = java.util.Arrays.copyOfRange(flat, start * width, (start + b) * width);
      raw.addFloatBatch("x", slice, b, width);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    raw.close();
                  } catch (Exception ignored) {
                    // process exit
                  }
                }));
    return raw;
  }

  /** Mode (3): the engine API in this JVM, scoring the Parquet input and writing Parquet. */
  static long engine(
      BenchData d,
      Path model,
      Path data,
      InputMapping input,
      List<String> passthrough,
      int batch,
      OnnxRuntimeOptions tuning,
      int threads,
      String name,
      Map<String, String> writeOptions,
      long rows) {
    Dataset<Row> in = d.spark.read().parquet(data.toString());
    Dataset<Row> scored =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("x", input)
            .output("y", OutputMapping.toColumn("probabilities").withArgmax("label"))
            .passthrough(passthrough)
            .batchSize(batch)
            .threads(threads)
            .onnxRuntime(tuning)
            .score(in)
            .scored();
    var writer = scored.write().mode(SaveMode.Overwrite);
    if (writeOptions != null) {
      writer = writer.options(writeOptions);
    }
    writer.parquet(d.output(name + "-engine").toString());
    return rows;
  }

  static String job(
      String name,
      Path data,
      Path model,
      String mapping,
      List<String> passthrough,
      int batch,
      Path output) {
    return """
        job: {name: %s}
        input: {path: %s}
        model:
          path: %s
          batch_size: %d
          threads: 1
        inputs:
          x: {%s}
        outputs:
          y: {column: probabilities, argmax: label}
        passthrough: [%s]
        output: {path: %s, mode: overwrite}
        """
        .formatted(
            name, q(data), q(model), batch, mapping, String.join(", ", passthrough), q(output));
  }

  /**
   * Notes on a workload's cold job runs: the median time of each phase, and how the job compares
   * with the warm engine once the start and stop of an empty Spark application are taken off.
   */
  static Map<String, String> coldNotes(
      BenchData d, String name, long rows, Map<String, double[]> samples) {
    Map<String, String> notes = new LinkedHashMap<>();
    List<ColdPhases> runs = d.phases.get(name);
    if (runs != null && !runs.isEmpty()) {
      notes.put("job phases (s, median of " + runs.size() + " runs)", ColdPhases.medians(runs));
    }
    double job = seconds(rows, samples.get("job"));
    double engine = seconds(rows, samples.get("engine"));
    double empty = seconds(rows, samples.get("empty-spark-app"));
    if (!Double.isNaN(job) && !Double.isNaN(engine)) {
      String s =
          String.format(
              java.util.Locale.ROOT,
              "job %.1f s vs warm engine %.1f s: %.2fx",
              job,
              engine,
              job / engine);
      if (!Double.isNaN(empty)) {
        s +=
            String.format(
                java.util.Locale.ROOT,
                "; an empty Spark application (start, one trivial job, stop) takes %.1f s, so the"
                    + " job minus it is %.2fx the warm engine, and engine + empty app is %.2fx",
                empty,
                (job - empty) / engine,
                (engine + empty) / engine);
      }
      notes.put("job vs warm engine", s);
    }
    return notes;
  }

  /**
   * @return the median seconds of a mode from its rows/s samples, NaN when the mode did not run
   */
  private static double seconds(long rows, double[] rates) {
    return rates == null ? Double.NaN : rows / Trial.median(rates);
  }

  static List<String> concat(String first, List<String> rest) {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), rest.stream())
        .collect(Collectors.toList());
  }
}
