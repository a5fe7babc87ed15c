package io.batchinfer.jobs;

import io.batchinfer.testing.TestModels;
import io.batchinfer.tools.bench.BenchData;
import io.batchinfer.tools.bench.Report;
import io.batchinfer.tools.bench.Trial;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * The benchmark's fixed-cost workload: the job's steps before scoring, each timed on its own in a
 * warm JVM, on an input of many small files (default 1,000 files of 1,000 rows): the Parquet footer
 * check over every file, the input count that feeds the progress line, the engine's plan, then the
 * whole job in this JVM and as a user runs it (a fresh JVM). Lives in the jobs package for the
 * package-private footer check. Benchmark code, never part of the test run.
 */
public final class FixedCosts {
  static final int ROWS_PER_FILE = 1000;

  private FixedCosts() {}

  public static void run(BenchData d, int files, int repeats, Report report) throws Exception {
    Path model =
        TestModels.write(
            TestModels.mlp("x", "y", new int[] {16, 32, 3}, 1),
            d.out.resolve("models/tabular.onnx"));
    long rows = (long) files * ROWS_PER_FILE;
    List<Column> cols = new ArrayList<>();
    List<String> features = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      cols.add(functions.expr(BenchData.floatExpr("id", i)).as("f" + i));
      features.add("f" + i);
    }
    Path data = d.generate("small-files-" + files, rows, files, cols.toArray(new Column[0]));
    String name = "fixed-" + files + "-files";
    String yaml =
        """
        job: {name: %s}
        input: {path: %s}
        model: {path: %s, batch_size: 1024, threads: 1}
        inputs:
          x: {columns: [%s]}
        outputs:
          y: {column: probabilities, argmax: label}
        passthrough: [id]
        output: {path: %s, mode: overwrite}
        """
            .formatted(
                name,
                BenchData.q(data),
                BenchData.q(model),
                String.join(", ", features),
                BenchData.q(d.output(name + "-job")));
    Path conf = d.out.resolve("conf").resolve(name + "-inprocess.yaml");
    Files.createDirectories(conf.getParent());
    Files.writeString(conf, yaml.replace(name + "-job", name + "-inprocess"));
    String[] inputFiles = d.spark.read().parquet(data.toString()).inputFiles();
    if (inputFiles.length != files) {
      throw new IllegalStateException(
          "expected " + files + " input files, found " + inputFiles.length);
    }

    // Each step returns the job's row count so that rows/s of every step compare with the job's.
    Trial t =
        new Trial(name)
            .add(
                "footer-check",
                () -> {
                  List<ParquetFooterCheck.Corrupt> bad =
                      ParquetFooterCheck.findCorrupt(d.spark, inputFiles);
                  if (!bad.isEmpty()) {
                    throw new IllegalStateException("corrupt: " + bad);
                  }
                  return rows;
                })
            .add(
                "count",
                () -> {
                  long n = d.spark.read().parquet(data.toString()).count();
                  if (n != rows) {
                    throw new IllegalStateException("count " + n);
                  }
                  return rows;
                })
            .add(
                "plan",
                () -> {
                  BatchInference.builder()
                      .modelPath(model.toString(), null)
                      .input("x", InputMapping.columns(features.toArray(new String[0])))
                      .output("y", OutputMapping.toColumn("probabilities").withArgmax("label"))
                      .passthrough(List.of("id"))
                      .batchSize(1024)
                      .plan(d.spark, d.spark.read().parquet(data.toString()).schema());
                  return rows;
                })
            .add(
                "job-in-process",
                () -> {
                  ByteArrayOutputStream out = new ByteArrayOutputStream();
                  int code =
                      BatchInferenceJob.run(
                          new PrintStream(out, true, StandardCharsets.UTF_8),
                          System.err,
                          "--config",
                          conf.toString(),
                          "--no-progress");
                  if (code != 0) {
                    throw new IllegalStateException("job exited " + code + ": " + out);
                  }
                  return rows;
                });
    if (d.job) {
      t.addCold("job", () -> d.runJob(name, yaml, rows));
    }
    Map<String, double[]> samples = t.run(repeats);
    Map<String, String> notes = new LinkedHashMap<>();
    double job = Trial.median(samples.get("job-in-process"));
    for (String step : List.of("footer-check", "count", "plan")) {
      double seconds = rows / Trial.median(samples.get(step));
      notes.put(
          step,
          String.format(
              Locale.ROOT,
              "%.2f s = %.1f%% of the in-process job (%.2f s)",
              seconds,
              100 * seconds / (rows / job),
              rows / job));
    }
    notes.put(
        "note",
        "footer-check is the one pre-scoring pass; 'count' is what --progress used to add before the"
            + " footer check's row counts replaced it; 'raw' and 'io' are absent here, so the ratio columns are empty");
    report.add(
        new Report.Workload(
            name,
            files
                + " Parquet files x "
                + ROWS_PER_FILE
                + " rows, 16 float columns,"
                + " MLP 16-32-3",
            rows,
            1024,
            samples,
            notes));
  }
}
