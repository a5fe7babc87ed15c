package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.ModelFailureException;
import io.batchinfer.udfs.RowRejectedException;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.session.SessionCache.SessionCreationException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkUserAppException;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The config-driven batch inference job: reads Parquet, scores it with an ONNX model on every
 * executor, writes Parquet, prints a one-line summary. Launched by {@code spark-submit} (or {@code
 * submit-scripts/run-local.sh}); see {@code conf/README.md} for the config keys and {@link
 * ExitCodes} for exit codes. A session that already exists (tests, notebooks) is reused and left
 * running; one created here is stopped at the end.
 */
@Command(
    name = "batchinfer",
    mixinStandardHelpOptions = true,
    versionProvider = BatchInferenceJob.Version.class,
    sortOptions = false,
    description =
        "Score a Parquet dataset with an ONNX model on Spark and write the predictions as Parquet.",
    footer = {
      "",
      "Exit codes: 0 ok, 1 failed while running, 2 bad command line, 3 invalid config/input/model (nothing written).",
      "",
      "batchinfer doctor [--master URL] [--config FILE]: check the machines and the device first (doctor --help)."
    })
public final class BatchInferenceJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(BatchInferenceJob.class);

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description =
          "YAML job config (see conf/README.md): a local path, or hdfs://, s3a://, ... through Hadoop.")
  String config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override a config key, e.g. --set model.batch_size=64 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--var",
      paramLabel = "NAME=VALUE",
      description =
          "Set a config variable referenced as ${NAME}, e.g. --var ds=2026-11-23 (repeatable). ${run_id} is"
              + " generated unless set; ${env:NAME} reads the environment.")
  Map<String, String> vars = new LinkedHashMap<>();

  @Option(
      names = "--dry-run",
      description =
          "Validate config, input schema and model signature, print the plan, run nothing.")
  boolean dryRun;

  @Option(
      names = "--progress",
      negatable = true,
      description =
          "Print a progress line on stderr (default: on when running in a terminal in local mode).")
  Boolean progress;

  @Option(
      names = "--summary-json",
      paramLabel = "FILE",
      description =
          "Also write the run's summary as JSON to this local file, on success and on failure (for schedulers).")
  Path summaryJson;

  @Option(
      names = "--verbose",
      description =
          "Print stack traces of failures; in a terminal, also keep INFO logs on the"
              + " console (by default they go to driver.log next to the run report).")
  boolean verbose;

  private PrintStream out = System.out;
  private PrintStream err = System.err;
  private Variables variables;
  private JobPlan plan;
  private final JobRun.Failure failure = new JobRun.Failure();
  private DriverLogging logging;
  private Configuration hadoopConf;
  private final JobPhases phases = new JobPhases();

  /** Entry point for spark-submit. */
  public static void main(String[] args) throws SparkUserAppException {
    DriverExit.exit(run(System.out, System.err, args));
  }

  /** Runs the CLI and returns the exit code (used by {@link #main} and tests). */
  public static int run(PrintStream out, PrintStream err, String... args) {
    if (args.length > 0 && "doctor".equals(args[0])) {
      return DoctorCommand.run(out, err, java.util.Arrays.copyOfRange(args, 1, args.length));
    }
    BatchInferenceJob job = new BatchInferenceJob();
    job.out = out;
    job.err = err;
    CommandLine cli = new CommandLine(job);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> job.onFailure(e));
    try {
      return cli.execute(args);
    } finally {
      if (job.logging != null) {
        job.logging.close();
      }
    }
  }

  @Override
  public Integer call() {
    phases.mark("main");
    // In a terminal: warnings, progress and the summary on the console, INFO in driver.log
    // (DriverLogging).
    logging = DriverLogging.configure(err, DriverLogging.stderrIsTerminal(), verbose);
    variables = Variables.of(vars, System::getenv);
    ConfigLoader.Loaded loaded = ConfigLoader.load(config, overrides, variables);
    JobConfig cfg = loaded.config();
    try {
      JobSettings.precheck(cfg);
    } catch (ValidationException e) {
      throw e.withSource(config.toString());
    }
    boolean existed =
        SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    phases.mark("config");
    SparkSession spark = JobSession.open(cfg);
    phases.mark("session");
    ExecutorStartWatchdog watchdog =
        ExecutorStartWatchdog.start(spark.sparkContext(), cfg.job().executorStartTimeout());
    hadoopConf = spark.sparkContext().hadoopConfiguration();
    // From here on, every task is on the report's timeline: planning's passes, scoring, writing.
    TaskTimeline timeline = new TaskTimeline();
    spark.sparkContext().addSparkListener(timeline);
    try {
      try {
        plan = JobPlanner.plan(cfg, spark);
        phases.mark("planned");
      } catch (ValidationException e) {
        throw e.withSource(config.toString());
      }
      if (dryRun) {
        // The plan is the dry run's output: stdout only, once (logging it too would print it twice
        // in a terminal).
        out.println(plan.describe());
        out.println("dry run: configuration is valid; nothing was run.");
        return ExitCodes.OK;
      }
      LOG.info("plan for job {}:\n{}", plan.name(), plan.describe());
      StatusLine console = logging.status();
      boolean showProgress =
          progress != null ? progress : console.terminal() && spark.sparkContext().isLocal();
      RunResult result =
          JobRun.run(
              plan,
              spark,
              new JobRun.Context(loaded.tree(), variables, showProgress, console, timeline),
              failure,
              phases);
      String log = logging.publish(hadoopConf, result.reportLocation());
      out.println(result.line() + (log == null ? "" : " log=" + log));
      String evaluation = Evaluation.run(spark, cfg, plan);
      if (evaluation != null) {
        out.println(evaluation);
      }
      if (summaryJson != null) {
        ObjectNode summary = SummaryJson.of("ok", ExitCodes.OK, plan.name(), variables.runId());
        result.addTo(summary);
        if (log != null) {
          summary.put("log", log);
        }
        writeSummary(summary);
      }
      return ExitCodes.OK;
    } catch (RuntimeException e) {
      watchdog.failIfFired(e);
      // A context stopped under us (master unreachable, application killed) surfaces as odd errors
      // from whatever ran next: say what happened instead.
      if (spark.sparkContext().isStopped() && !(e instanceof JobFailedException)) {
        throw new JobFailedException(JobSession.masterGone(spark.sparkContext().master()), e);
      }
      throw e;
    } finally {
      watchdog.close();
      spark.sparkContext().removeSparkListener(timeline);
      if (!existed) {
        spark.stop();
      }
      phases.mark("stopped");
      LOG.info(phases.line());
    }
  }

  /** Reports a failure, writes the summary JSON if asked, and returns the exit code. */
  private int onFailure(Exception e) {
    int code = report(e);
    String log = null;
    if (code == ExitCodes.FAILED && logging != null && logging.file() != null) {
      log =
          logging.publish(
              hadoopConf == null ? new Configuration() : hadoopConf,
              failure.result == null ? null : failure.result.reportLocation());
    }
    if (failure.result != null) {
      // The run got as far as scoring: the summary line says failed, and why, as a successful one
      // says ok.
      out.println(failure.result.line() + (log == null ? "" : " log=" + log));
    } else if (log != null) {
      err.println("batchinfer: driver log: " + log);
    }
    if (summaryJson != null) {
      String job = plan != null ? plan.name() : null;
      ObjectNode summary =
          SummaryJson.of(
              code == ExitCodes.INVALID ? "invalid" : "failed",
              code,
              job,
              variables == null ? null : variables.runId());
      if (failure.result != null) {
        failure.result.addTo(summary);
      }
      Throwable cause = rootUserCause(e);
      summary.put("reason", JobFailedException.reasonOf(e));
      summary.put(
          "error",
          cause != null
              ? cause.getMessage()
              : e.getMessage() != null ? e.getMessage() : e.toString());
      if (log != null) {
        summary.put("log", log);
      }
      writeSummary(summary);
    }
    return code;
  }

  private void writeSummary(ObjectNode summary) {
    try {
      SummaryJson.write(summaryJson, summary);
    } catch (IOException | RuntimeException e) {
      err.println(
          "batchinfer: warning: cannot write --summary-json "
              + summaryJson
              + ": "
              + e.getMessage());
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

  /**
   * @return the engine's own executor-side exception inside a Spark failure, if any
   */
  private static Throwable rootUserCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RowRejectedException
          || t instanceof InferenceRunException
          || t instanceof ModelFailureException
          || t instanceof SessionCreationException) {
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
