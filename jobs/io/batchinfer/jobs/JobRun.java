package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: one run of a validated {@link JobPlan} with what watches it: a {@link TaskCounter}
 * and an optional {@link ProgressReporter} on the listener bus, the {@link RunReport} (written when
 * the run ends, ok or failed, see {@link ReportWriter#mayWriteFailureReport}), and the choice
 * between a plain run and a resumable one ({@link ChunkedRunner}). Stateless.
 */
final class JobRun {
  private static final Logger LOG = LoggerFactory.getLogger(JobRun.class);
  private static final long LISTENER_DRAIN_MILLIS = 10_000;
  private static final long PROGRESS_INTERVAL_MILLIS = 3_000;

  private JobRun() {}

  /**
   * @param config the config tree after {@code --set} and variables (for the report; redacted
   *     there)
   * @param variables the run's variables
   * @param progress print a progress line on stderr
   * @param console stderr, where progress and report warnings go (progress rewrites one line on a
   *     terminal)
   * @param timeline the task timeline, registered on the listener bus before planning (so it shows
   *     the passes before scoring too), or null
   */
  record Context(
      JsonNode config,
      Variables variables,
      boolean progress,
      StatusLine console,
      TaskTimeline timeline) {}

  /** The result of a run that failed, for the summary JSON; set before the exception propagates. */
  static final class Failure {
    RunResult result;
  }

  static RunResult run(
      JobPlan plan, SparkSession spark, Context ctx, Failure failure, JobPhases phases) {
    SparkContext sc = spark.sparkContext();
    // Parquet answers an unfiltered count from its footers; with a filter it would be a scan.
    // The footer check already summed the files' row counts; count only when it could not.
    long totalRows =
        !ctx.progress() || plan.options().inputFiltered()
            ? -1
            : plan.inputFileRows() >= 0 ? plan.inputFileRows() : plan.input().count();
    RunReport report = new RunReport(plan, ctx.config(), ctx.variables());
    report.spark(sc);
    TaskCounter tasks = new TaskCounter();
    report.tasks(tasks);
    sc.addSparkListener(tasks);
    report.timeline(ctx.timeline());
    ProgressReporter progress = null;
    if (ctx.progress()) {
      progress = new ProgressReporter(ctx.console(), PROGRESS_INTERVAL_MILLIS);
      progress.totalRows(totalRows);
      sc.addSparkListener(progress);
    }
    long start = System.nanoTime();
    boolean ok = false;
    try {
      if (plan.options().resume()) {
        report.resume(ChunkedRunner.run(plan, spark, report::add, progress));
      } else {
        JobExecutor.execute(plan, report::add);
      }
      if (plan.outputTable() != null) {
        report.tableVersion(TableOutput.version(spark, plan.outputTable().table()));
      }
      ok = true;
      // Wall time of scoring and writing, the same figure for the summary line, the JSON and the
      // report.
      double wall = (System.nanoTime() - start) / 1e9;
      phases.mark("scored");
      drain(sc);
      report.succeeded(wall);
      String location = write(spark, plan, report, ctx.console());
      phases.mark("report");
      return RunResult.of(plan, report, location);
    } catch (Throwable e) {
      // Throwable: Spark's failures are the checked SparkException, thrown undeclared from Scala.
      double wall = (System.nanoTime() - start) / 1e9;
      drain(sc);
      report.failed(e, wall);
      String location =
          ReportWriter.mayWriteFailureReport(plan)
              ? write(spark, plan, report, ctx.console())
              : null;
      failure.result = RunResult.of(plan, report, location);
      throw e;
    } finally {
      sc.removeSparkListener(tasks);
      if (progress != null) {
        sc.removeSparkListener(progress);
        progress.finish();
      }
      LOG.debug("run ended, ok={}", ok);
    }
  }

  /**
   * @return the JSON report's location, or null when it could not be written (a warning, not a
   *     failure)
   */
  private static String write(
      SparkSession spark, JobPlan plan, RunReport report, StatusLine console) {
    String location = ReportWriter.jsonLocation(plan);
    try {
      ReportWriter.write(spark.sparkContext().hadoopConfiguration(), location, report);
      LOG.info("run report written to {} and {}", location, ReportWriter.htmlLocation(location));
      return location;
    } catch (Exception e) {
      console.println(
          "batchinfer: warning: cannot write the run report to "
              + location
              + ": "
              + e.getMessage());
      LOG.warn("cannot write the run report to {}", location, e);
      return null;
    }
  }

  /**
   * Waits until the listener bus has delivered every event posted so far, so the task counts
   * include the last tasks of the run. Spark's own tests do the same; the method is {@code
   * private[spark]} in Scala and so callable from Java.
   */
  private static void drain(SparkContext sc) {
    try {
      sc.listenerBus().waitUntilEmpty(LISTENER_DRAIN_MILLIS);
    } catch (Exception | LinkageError e) {
      LOG.debug("could not wait for the listener bus: {}", e.toString());
    }
  }
}
