package io.batchinfer.tools;

import io.batchinfer.tools.bench.BenchData;
import io.batchinfer.tools.bench.FloatWorkloads;
import io.batchinfer.tools.bench.Report;
import io.batchinfer.tools.bench.TextWorkload;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark behind {@code docs/PERFORMANCE.md}: for each workload, in one invocation and in
 * alternating order after a warm-up, (1) raw ONNX Runtime on the rows pre-loaded as tensors, same
 * batch size and threads, (2) Spark reading and writing the same columns with no inference, (3) the
 * engine API in this JVM, (4) the job as a user runs it ({@code submit-scripts/run-local.sh}, a
 * fresh JVM). Prints rows/s and the ratios to raw, to I/O and to the combined limit 1/(1/raw +
 * 1/io); writes {@code benchmark.json} and {@code benchmark.png}. Ratios, never assertions: shared
 * machines are noisy. Run it with {@code submit-scripts/benchmark.sh}; it is never part of the test
 * run.
 */
@Command(
    name = "benchmark.sh",
    mixinStandardHelpOptions = true,
    description =
        "Measures batchinfer against raw ONNX Runtime and Parquet I/O (see docs/PERFORMANCE.md).")
public final class Benchmark implements Callable<Integer> {
  @Option(
      names = "--root",
      description = "Repository root (default: ${DEFAULT-VALUE}).",
      defaultValue = ".")
  Path root;

  @Option(
      names = "--out",
      description = "Where data, outputs, JSON and PNG go (default: ${DEFAULT-VALUE}).",
      defaultValue = "target/benchmark")
  Path out;

  @Option(
      names = "--workloads",
      split = ",",
      description =
          "Any of tabular, wide, text, fixed, encode, memory (default: ${DEFAULT-VALUE}).",
      defaultValue = "encode,tabular,wide,text,fixed")
  List<String> workloads;

  @Option(
      names = "--tabular-rows",
      split = ",",
      description = "Row counts for the tabular workloads (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000000")
  List<Long> tabularRows;

  @Option(
      names = "--wide-rows",
      description = "Rows for the wide MLP workload (default: ${DEFAULT-VALUE}).",
      defaultValue = "100000")
  long wideRows;

  @Option(
      names = "--text-rows",
      description = "Sentences for the text workload, at most 8000 (default: ${DEFAULT-VALUE}).",
      defaultValue = "8000")
  int textRows;

  @Option(
      names = "--memory-rows",
      description =
          "Rows for the memory check (workload memory, or benchmark.sh --memory): the job in a"
              + " 512 MB heap (default: ${DEFAULT-VALUE}).",
      defaultValue = "2000000")
  long memoryRows;

  @Option(
      names = "--fixed-files",
      description = "Small files for the fixed-cost workload (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int fixedFiles;

  @Option(
      names = "--extras-max-rows",
      description =
          "Run the variant modes (one setting changed) only on workloads of"
              + " at most this many rows (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000000")
  long extrasMaxRows;

  @Option(
      names = "--repeats",
      description = "Counted rounds per workload, after one warm-up (default: ${DEFAULT-VALUE}).",
      defaultValue = "3")
  int repeats;

  @Option(
      names = "--modes",
      split = ",",
      description =
          "Run only these modes, as mode or workload:mode (e.g. io,tabular-array-1000000:engine"
              + " for a profile); default: every mode of each workload.")
  List<String> modes = List.of();

  @Option(
      names = "--no-job",
      negatable = true,
      description = "Also run the job in a fresh JVM per round (default: on).",
      defaultValue = "true")
  boolean job;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Benchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    root = root.toAbsolutePath().normalize();
    io.batchinfer.tools.bench.Trial.only(modes);
    out = root.resolve(out).toAbsolutePath().normalize();
    SparkSession spark =
        SparkSession.builder()
            .master("local[*]")
            .appName("batchinfer-benchmark")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    int threads = spark.sparkContext().defaultParallelism();
    Report report =
        new Report()
            .machine("cores", Runtime.getRuntime().availableProcessors())
            .machine("spark_master", "local[" + threads + "]")
            .machine("java", System.getProperty("java.version"))
            .machine("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
            .machine("repeats", repeats)
            .machine("started", java.time.Instant.now().toString());
    BenchData data = new BenchData(root, out, spark, threads, job, extrasMaxRows);
    try {
      for (String w : workloads) {
        switch (w.trim()) {
          case "tabular" -> {
            for (long rows : tabularRows) {
              FloatWorkloads.tabular(data, rows, repeats, report);
            }
          }
          case "wide" -> FloatWorkloads.wide(data, wideRows, repeats, report);
          case "text" -> TextWorkload.run(data, textRows, repeats, report);
          case "fixed" -> io.batchinfer.jobs.FixedCosts.run(data, fixedFiles, repeats, report);
          case "memory" -> io.batchinfer.tools.bench.MemoryCheck.run(data, memoryRows, report);
          case "encode" ->
              io.batchinfer.tools.bench.EncodeWorkload.run(2_000_000, Math.max(repeats, 5), report);
          default ->
              throw new CommandLine.ParameterException(
                  new CommandLine(this),
                  "unknown workload '"
                      + w
                      + "'; expected tabular, wide, text, fixed, encode or memory");
        }
      }
    } finally {
      report.machine("finished", java.time.Instant.now().toString());
      report.write(out);
      spark.stop();
    }
    System.out.println(
        "wrote " + out.resolve("benchmark.json") + " and " + out.resolve("benchmark.png"));
    return 0;
  }
}
