package io.batchinfer.jobs;

import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferenceMetrics;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.RejectionSummary;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: one scoring pass of a {@link JobPlan}: applies the engine's plan to the input
 * ({@link InputReader}'s rows), gates the rejections ({@code errors.max_rejected_fraction}, checked
 * before anything is written), writes through the {@link OutputWriter}, and checks the row
 * accounting ({@code rows_in = rows_out + rows_rejected}). Under {@code skip}/{@code dead-letter}
 * it scores once into Spark's cache (spilling to disk) and writes from there, so the model runs
 * once. A plain run is one pass; a resumable one ({@link ChunkedRunner}) is one pass per chunk.
 * Stateless.
 */
final class JobExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(JobExecutor.class);

  private JobExecutor() {}

  /**
   * Scores and writes, handing the pass's metrics to {@code onMetrics} before anything runs.
   *
   * @return the pass's metrics, complete (rows in = rows out + rows rejected)
   */
  static InferenceMetrics execute(JobPlan plan, Consumer<InferenceMetrics> onMetrics) {
    for (ParquetFooterCheck.Corrupt c : plan.skippedFiles()) {
      LOG.warn(
          "skipping corrupt input file {} ({}): input.ignore_corrupt_files is true",
          c.file(),
          c.reason());
    }
    InferencePlan.Scored scored = plan.scoring().apply(plan.scoringInput());
    InferenceMetrics m = scored.metrics();
    onMetrics.accept(m);
    OutputWriter writer = OutputWriter.forPlan(plan);
    if (plan.errorPolicy() == ErrorPolicy.FAIL) {
      writer.writeScored(scored.scored());
    } else {
      // Score once into Spark's cache (spilling to disk), check the rejections, then write from the
      // cache: nothing is written when too many rows were rejected, and the model runs once.
      Dataset<Row> emitted = scored.emitted().persist(StorageLevel.MEMORY_AND_DISK());
      try {
        emitted.count();
        checkRejections(plan, m);
        writer.writeScored(scored.scored());
        if (plan.errorPolicy() == ErrorPolicy.DEAD_LETTER) {
          writer.writeRejected(scored.rejected());
        }
      } finally {
        emitted.unpersist(false);
        scored.intermediates().forEach(d -> d.unpersist(false));
      }
    }
    if (m.rowsIn() != m.rowsOut() + m.rowsRejected()) {
      throw new JobFailedException(
          "row accounting mismatch: "
              + m.rowsIn()
              + " rows in, but "
              + m.rowsOut()
              + " written and "
              + m.rowsRejected()
              + " rejected. This is a bug in batchinfer; please report it.");
    }
    return m;
  }

  /**
   * Fails the job, before anything is written, when every row was rejected (unless {@code
   * errors.max_rejected_fraction} is 1) or more rows were rejected than allowed; logs why rows were
   * rejected, one line per reason.
   */
  static void checkRejections(JobPlan plan, InferenceMetrics m) {
    List<RejectionSummary> reasons = m.rejections();
    for (RejectionSummary r : reasons) {
      LOG.warn(
          "rejected {}{}",
          r.describe(),
          r.count() > 1
              ? String.format(
                  Locale.ROOT, "; … and %,d more rows rejected with the same error", r.count() - 1)
              : "");
    }
    Double max = plan.maxRejectedFraction();
    if (m.rowsIn() == 0) {
      return;
    }
    String why =
        reasons.isEmpty()
            ? ""
            : " Why: "
                + String.join(
                    "; ", reasons.stream().limit(3).map(RejectionSummary::describe).toList())
                + (reasons.size() > 3 ? "; and " + (reasons.size() - 3) + " more reasons" : "")
                + ".";
    if (m.rowsOut() == 0 && m.rowsRejected() == m.rowsIn() && (max == null || max < 1)) {
      throw new JobFailedException(
          JobFailedException.EMPTY_RUN,
          String.format(
              Locale.ROOT,
              "empty run: all %,d"
                  + " input rows were rejected and none was scored, so nothing was written.%s A run that turns input into no"
                  + " output is a failure, not a success: fix the input (or the mapping in inputs.*), or set"
                  + " errors.max_rejected_fraction: 1 if an empty result is acceptable.",
              m.rowsIn(),
              why));
    }
    if (max == null) {
      return;
    }
    double fraction = (double) m.rowsRejected() / m.rowsIn();
    if (fraction > max) {
      throw new JobFailedException(
          JobFailedException.TOO_MANY_REJECTED,
          String.format(
              Locale.ROOT,
              "%d of %d rows (%.4f) were rejected, more than errors.max_rejected_fraction %s; nothing was written.%s The"
                  + " input is probably wrong (schema drift, a broken upstream job); rerun with errors.policy: dead-letter"
                  + " and errors.max_rejected_fraction: 1 to inspect the rejected rows.",
              m.rowsRejected(),
              m.rowsIn(),
              fraction,
              max,
              why));
    }
  }
}
