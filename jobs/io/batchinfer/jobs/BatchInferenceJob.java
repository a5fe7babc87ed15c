package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferenceMetrics;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.RowRejectedException;
import io.batchinfer.udfs.ValidationException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The config-driven batch inference job: reads Parquet, scores it with an ONNX model on every
 * executor, writes Parquet, prints a one-line summary. Launched by {@code spark-submit} (or
 * {@code submit-scripts/run-local.sh}); see {@code conf/README.md} for the config keys and
 * {@link ExitCodes} for exit codes. A session that already exists (tests, notebooks) is reused
 * and left running; one created here is stopped at the end.
 */
@Command(
    name = "batchinfer",
    mixinStandardHelpOptions = true,
    versionProvider = BatchInferenceJob.Version.class,
    sortOptions = false,
    description = "Score a Parquet dataset with an ONNX model on Spark and write the predictions as Parquet.",
    footer = {"", "Exit codes: 0 ok, 1 failed while running, 2 bad command line, 3 invalid config/input/model (nothing written)."})
public final class BatchInferenceJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(BatchInferenceJob.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "YAML job config (see conf/README.md): a local path, or hdfs://, s3a://, ... through Hadoop.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set model.batch_size=64 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--var", paramLabel = "NAME=VALUE",
      description = "Set a config variable referenced as ${NAME}, e.g. --var ds=2026-11-23 (repeatable). ${run_id} is"
          + " generated unless set; ${env:NAME} reads the environment.")
  Map<String, String> vars = new LinkedHashMap<>();

  @Option(names = "--dry-run", description = "Validate config, input schema and model signature, print the plan, run nothing.")
  boolean dryRun;

  @Option(names = "--progress", negatable = true,
      description = "Print a progress line on stderr (default: on when running in a terminal in local mode).")
  Boolean progress;

  @Option(names = "--summary-json", paramLabel = "FILE",
      description = "Also write the run's summary as JSON to this local file, on success and on failure (for schedulers).")
  Path summaryJson;

  @Option(names = "--verbose", description = "Print stack traces of failures.")
  boolean verbose;

  private PrintStream out = System.out;
  private PrintStream err = System.err;
  private RunSummary lastSummary;
  private Variables variables;
  private JobPlan plan;
  private final JobRun.Failure failure = new JobRun.Failure();

  /** Entry point for spark-submit. */
  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }

  /** Runs the CLI and returns the exit code (used by {@link #main} and tests). */
  public static int run(PrintStream out, PrintStream err, String... args) {
    BatchInferenceJob job = new BatchInferenceJob();
    job.out = out;
    job.err = err;
    CommandLine cli = new CommandLine(job);
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> job.onFailure(e));
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    variables = Variables.of(vars, System::getenv);
    ConfigLoader.Loaded loaded = ConfigLoader.load(config, overrides, variables);
    JobConfig cfg = loaded.config();
    try {
      JobValidator.precheck(cfg);
    } catch (ValidationException e) {
      throw e.withSource(config.toString());
    }
    boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession spark = session(cfg);
    try {
      try {
        plan = JobValidator.validate(cfg, spark);
      } catch (ValidationException e) {
        throw e.withSource(config.toString());
      }
      LOG.info("plan for job {}:\n{}", plan.name(), plan.describe());
      if (dryRun) {
        out.println(plan.describe());
        out.println("dry run: configuration is valid; nothing was run.");
        return ExitCodes.OK;
      }
      boolean terminal = System.console() != null;
      boolean showProgress = progress != null ? progress : terminal && spark.sparkContext().isLocal();
      JobRun.Outcome outcome = JobRun.run(plan, spark,
          new JobRun.Context(loaded.tree(), variables, showProgress, terminal, err), failure);
      lastSummary = outcome.summary();
      out.println(outcome.line());
      if (summaryJson != null) {
        ObjectNode summary = SummaryJson.of("ok", ExitCodes.OK, plan.name(), variables.runId());
        SummaryJson.addRun(summary, outcome.report(), outcome.reportLocation(), plan.output());
        writeSummary(summary);
      }
      return ExitCodes.OK;
    } catch (RuntimeException e) {
      // A context stopped under us (master unreachable, application killed) surfaces as odd errors
      // from whatever ran next: say what happened instead.
      if (spark.sparkContext().isStopped() && !(e instanceof JobFailedException)) {
        throw new JobFailedException(masterGone(spark.sparkContext().master()), e);
      }
      throw e;
    } finally {
      if (!existed) {
        spark.stop();
      }
    }
  }

  /** Scores and writes; returns the summary. */
  static RunSummary execute(JobPlan plan, SparkSession spark) {
    return execute(plan, spark, m -> { });
  }

  /** Scores and writes, handing the run's metrics to {@code onMetrics} before anything runs; returns the summary. */
  static RunSummary execute(JobPlan plan, SparkSession spark, Consumer<InferenceMetrics> onMetrics) {
    long start = System.nanoTime();
    for (ParquetFooterCheck.Corrupt c : plan.skippedFiles()) {
      LOG.warn("skipping corrupt input file {} ({}): input.ignore_corrupt_files is true", c.file(), c.reason());
    }
    InferencePlan.Scored scored = plan.inference().apply(plan.scoringInput());
    InferenceMetrics m = scored.metrics();
    onMetrics.accept(m);
    if (plan.errorPolicy() == ErrorPolicy.FAIL) {
      writeScored(plan, scored.scored());
    } else {
      // Score once into Spark's cache (spilling to disk), check the rejections, then write from the
      // cache: nothing is written when too many rows were rejected, and the model runs once.
      Dataset<Row> emitted = scored.emitted().persist(StorageLevel.MEMORY_AND_DISK());
      try {
        emitted.count();
        checkRejections(plan, m);
        writeScored(plan, scored.scored());
        if (plan.errorPolicy() == ErrorPolicy.DEAD_LETTER && plan.deadLetterTable() != null) {
          TableOutput.write(scored.rejected(), plan.deadLetterTable());
        } else if (plan.errorPolicy() == ErrorPolicy.DEAD_LETTER) {
          // Partitioned like the output when the partition columns are input columns (always so
          // under overwrite-partitions, checked by JobValidator): a rerun of a day replaces only
          // that day's dead letters.
          List<String> inputCols = List.of(plan.input().columns());
          write(plan, scored.rejected(), plan.deadLetterPath(),
              inputCols.containsAll(plan.partitionBy()) ? plan.partitionBy() : List.of());
        }
      } finally {
        emitted.unpersist(false);
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    if (m.rowsIn() != m.rowsOut() + m.rowsRejected()) {
      throw new JobFailedException("row accounting mismatch: " + m.rowsIn() + " rows in, but " + m.rowsOut()
          + " written and " + m.rowsRejected() + " rejected. This is a bug in batchinfer; please report it.");
    }
    TableOutput.Version version = plan.outputTable() == null ? null : TableOutput.version(spark, plan.outputTable().table());
    return new RunSummary(plan.name(), m.rowsIn(), m.rowsOut(), m.rowsRejected(), m.batches(), m.sessionsCreated(),
        m.textsTruncated(), m.inferenceSeconds(), wall,
        plan.outputTable() == null ? plan.outputPath() : "table:" + plan.outputTable().table(),
        plan.deadLetterTable() == null ? plan.deadLetterPath() : "table:" + plan.deadLetterTable().table(),
        spark.sparkContext().applicationId(), plan.skippedFiles().size(), version);
  }

  /** Writes the scored rows to output.table or output.path. */
  private static void writeScored(JobPlan plan, Dataset<Row> rows) {
    if (plan.outputTable() != null) {
      TableOutput.write(rows, plan.outputTable());
    } else {
      write(plan, rows, plan.outputPath(), plan.partitionBy());
    }
  }

  private static void write(JobPlan plan, Dataset<Row> rows, String path, List<String> partitionBy) {
    DataFrameWriter<Row> writer = rows.write()
        .mode(plan.mode())
        .option("compression", plan.compression());
    if (plan.mode() == SaveMode.Overwrite) {
      // Explicit either way, so a session-wide spark.sql.sources.partitionOverwriteMode can't change what
      // output.mode means: overwrite replaces the path, overwrite-partitions only the partitions written.
      writer = writer.option("partitionOverwriteMode", plan.options().dynamicOverwrite() ? "dynamic" : "static");
    }
    if (!partitionBy.isEmpty()) {
      writer = writer.partitionBy(partitionBy.toArray(new String[0]));
    }
    try (ObjectStoreCommit.Scope commit = ObjectStoreCommit.open(rows.sparkSession(), path)) {
      writer.options(commit.writeOptions()).parquet(path);
    }
  }

  /** Fails the job, before anything is written, when more rows were rejected than allowed. */
  private static void checkRejections(JobPlan plan, InferenceMetrics m) {
    Double max = plan.maxRejectedFraction();
    if (max == null || m.rowsIn() == 0) {
      return;
    }
    double fraction = (double) m.rowsRejected() / m.rowsIn();
    if (fraction > max) {
      throw new JobFailedException(String.format(java.util.Locale.ROOT,
          "%d of %d rows (%.4f) were rejected, more than errors.max_rejected_fraction %s; nothing was written. The"
              + " input is probably wrong (schema drift, a broken upstream job); rerun with errors.policy: dead-letter"
              + " and no limit to inspect the rejected rows.", m.rowsRejected(), m.rowsIn(), fraction, max));
    }
  }

  /** @return the summary of the last successful run in this instance (tests) */
  RunSummary lastSummary() {
    return lastSummary;
  }

  private static SparkSession session(JobConfig cfg) {
    SparkConf conf = new SparkConf();
    String jobName = cfg.job().name() == null ? ConfigKeys.JOB_NAME_DEFAULT : cfg.job().name();
    // spark-submit always sets spark.app.name, to the main class unless --name is given: prefer job.name then.
    if (!conf.contains("spark.app.name") || BatchInferenceJob.class.getName().equals(conf.get("spark.app.name"))) {
      conf.set("spark.app.name", jobName);
    }
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    // Executors load ONNX Runtime with a long command line: without this, ORT 1.29 segfaults.
    conf.setIfMissing("spark.executorEnv.ORT_DISABLE_TELEMETRY", "1");
    conf.setIfMissing("spark.executorEnv.DJL_OFFLINE", "true");
    conf.setIfMissing("spark.executorEnv.OPT_OUT_TRACKING", "true");
    for (Map.Entry<String, Object> e : cfg.spark().entrySet()) {
      conf.set(e.getKey(), String.valueOf(e.getValue()));
    }
    SparkSession spark;
    try {
      spark = SparkSession.builder().config(conf).getOrCreate();
    } catch (IllegalStateException e) {
      // A standalone scheduler waits for the master while the context starts; when Spark gives up
      // it stops the context under construction.
      if (String.valueOf(e.getMessage()).contains("stopped SparkContext")) {
        throw new JobFailedException(masterGone(conf.get("spark.master")), e);
      }
      throw e;
    }
    for (Map.Entry<String, Object> e : cfg.spark().entrySet()) {
      if (!spark.conf().isModifiable(e.getKey())) {
        continue;
      }
      spark.conf().set(e.getKey(), String.valueOf(e.getValue()));
    }
    return spark;
  }

  private static String masterGone(String master) {
    return "Spark stopped the application before the job finished: the master " + master + " is unreachable,"
        + " rejected the application, or killed it (Spark gives up after 3 registration attempts 20 s apart)."
        + " Check --master / spark.master and the cluster; the driver log has Spark's reason.";
  }

  /** Reports a failure, writes the summary JSON if asked, and returns the exit code. */
  private int onFailure(Exception e) {
    int code = report(e);
    if (summaryJson != null) {
      String job = plan != null ? plan.name() : null;
      ObjectNode summary = SummaryJson.of(code == ExitCodes.INVALID ? "invalid" : "failed", code, job,
          variables == null ? null : variables.runId());
      if (failure.report != null && plan != null) {
        SummaryJson.addRun(summary, failure.report, failure.reportLocation, plan.output());
      }
      Throwable cause = rootUserCause(e);
      summary.put("error", cause != null ? cause.getMessage() : e.getMessage() != null ? e.getMessage() : e.toString());
      writeSummary(summary);
    }
    return code;
  }

  private void writeSummary(ObjectNode summary) {
    try {
      SummaryJson.write(summaryJson, summary);
    } catch (IOException | RuntimeException e) {
      err.println("batchinfer: warning: cannot write --summary-json " + summaryJson + ": " + e.getMessage());
    }
  }

  private int report(Exception e) {
    if (e instanceof JobFailedException f) {
      err.println("batchinfer: job failed: " + f.getMessage());
      if (verbose) {
        e.printStackTrace(err);
      }
      return ExitCodes.FAILED;
    }
    if (e instanceof ValidationException v) {
      err.println("batchinfer: " + v.getMessage());
      err.println("Nothing was run or written.");
      if (verbose) {
        e.printStackTrace(err);
      }
      return ExitCodes.INVALID;
    }
    Throwable cause = rootUserCause(e);
    if (cause != null) {
      err.println("batchinfer: job failed: " + cause.getMessage());
      if (verbose) {
        e.printStackTrace(err);
      } else {
        err.println("(run with --verbose for the stack trace)");
      }
      return ExitCodes.FAILED;
    }
    err.println("batchinfer: job failed: " + e);
    e.printStackTrace(err);
    return ExitCodes.FAILED;
  }

  /** @return the engine's own executor-side exception inside a Spark failure, if any */
  private static Throwable rootUserCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RowRejectedException || t instanceof InferenceRunException
          || t instanceof io.batchinfer.udfs.session.SessionCache.SessionCreationException) {
        return t;
      }
    }
    return null;
  }

  /** Reports the project version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = BatchInferenceJob.class.getPackage().getImplementationVersion();
      return new String[] {"batchinfer " + (v == null ? "dev" : v).toLowerCase(Locale.ROOT)};
    }
  }
}
