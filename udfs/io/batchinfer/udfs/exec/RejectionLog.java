package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.RejectionSummary;
import io.batchinfer.udfs.codec.RowProblem;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor side, one per task: keeps rejection logging to a few lines however many rows are
 * rejected. The first row rejected for a reason (code, column and message with numbers masked) is
 * logged with its position; later ones are only counted, and when the task's input ends one line
 * per reason says "… and 19,744 more rows rejected with the same error". Failed batches are treated
 * alike. The counts go to the job's metrics ({@link InferenceMetrics#rejections()}) so the driver
 * can say the same in one place. Not thread-safe.
 */
final class RejectionLog {
  private static final Logger LOG = LoggerFactory.getLogger(RejectionLog.class);

  /**
   * Reasons told apart by message per task; past this, reasons are grouped by code and column only.
   */
  static final int MAX_REASONS = 32;

  private final int partition;
  private final Map<String, Reason> reasons = new LinkedHashMap<>();
  private long batchesFailed;

  private static final class Reason {
    final String code;
    final String column;
    final String example;
    long count;

    Reason(String code, String column, String example) {
      this.code = code;
      this.column = column;
      this.example = example;
    }
  }

  RejectionLog(int partition) {
    this.partition = partition;
  }

  /**
   * Records a rejected row; {@code where} names it (partition, row, id), built only for the first
   * row of each reason, the only one logged.
   */
  void rejected(RowProblem problem, Supplier<String> where) {
    String column = problem.column() == null ? "" : problem.column();
    String key = problem.code() + '\u0000' + column;
    if (reasons.size() < MAX_REASONS) {
      key += '\u0000' + mask(problem.message());
    }
    Reason reason = reasons.get(key);
    if (reason == null) {
      String row = where.get();
      reason = new Reason(problem.code(), column, row + ": " + problem.message());
      reasons.put(key, reason);
      LOG.warn(
          "{} rejected ({}{}): {}. Further rows rejected with the same error are counted, not logged.",
          row,
          problem.code(),
          column.isEmpty() ? "" : " in " + column,
          problem.message());
    }
    reason.count++;
  }

  /** Records a batch that failed in ONNX Runtime and is retried row by row; logs only the first. */
  void batchFailed(int rows, String reason) {
    if (batchesFailed++ == 0) {
      LOG.warn(
          "partition {}: a batch of {} rows failed in ONNX Runtime ({}); retrying its rows one by one. Further"
              + " failed batches are counted, not logged.",
          partition,
          rows,
          reason);
    }
  }

  /**
   * Logs the counts not logged yet and adds them to {@code into}; call once, when the task's input
   * ends.
   */
  void finish(CollectionAccumulator<RejectionSummary> into) {
    if (batchesFailed > 1) {
      LOG.warn(
          "partition {}: … and {} more batches failed in ONNX Runtime and were retried row by row",
          partition,
          format(batchesFailed - 1));
    }
    Map<String, RejectionSummary> merged = new LinkedHashMap<>();
    for (Reason r : reasons.values()) {
      if (r.count > 1) {
        LOG.warn(
            "partition {}: … and {} more rows rejected with the same error ({}{})",
            partition,
            format(r.count - 1),
            r.code,
            r.column.isEmpty() ? "" : " in " + r.column);
      }
      merged.merge(
          r.code + '\u0000' + r.column,
          new RejectionSummary(r.code, r.column, r.example, r.count),
          (a, b) -> new RejectionSummary(a.code(), a.column(), a.example(), a.count() + b.count()));
    }
    merged.values().forEach(into::add);
  }

  /**
   * @return {@code message} with every number replaced by {@code #}: sizes and values don't make a
   *     new reason
   */
  static String mask(String message) {
    return message == null ? "" : message.replaceAll("[0-9]+", "#");
  }

  /**
   * @return e.g. {@code 19,744}
   */
  static String format(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
