package io.batchinfer.udfs.exec;

import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.ModelFailureException;

/**
 * Executor side, one per task: the circuit breaker of the scoring loop. A batch that fails in ONNX
 * Runtime is retried row by row so that one bad row never costs its batch; but when the model fails
 * on every input, that turns one failure into one ONNX Runtime call per row. The breaker stops the
 * task instead, with a {@link ModelFailureException}, when
 *
 * <ul>
 *   <li>no row of the task has been scored yet and a failed batch's rows, run alone, all failed
 *       with the same kind of error as the batch (same error code, same message up to numbers), or
 *   <li>more than {@code errors.max_consecutive_inference_errors} ONNX Runtime calls in a row
 *       failed (any kind; a successful call resets the count).
 * </ul>
 *
 * Only failures of {@code OrtSession.run} reach it: rows rejected by the data checks (nulls, NaN,
 * shapes, ranges, decoding) never trip it. Holds no native resources. Not thread-safe.
 */
final class InferenceBreaker {
  private final InferenceSpec spec;
  private final int partition;
  private final int maxConsecutive;

  private long rowsScored;
  private int consecutive;

  /** Error kind of the batch whose rows are being retried alone, or null outside a retry. */
  private String retryKind;

  private int retryRows;
  private int retryFailed;
  private int retrySameKind;

  InferenceBreaker(InferenceSpec spec, int partition) {
    this.spec = spec;
    this.partition = partition;
    this.maxConsecutive = spec.maxConsecutiveInferenceErrors();
  }

  /** A call scored {@code rows} rows: resets the run of failures. */
  void scored(int rows) {
    rowsScored += rows;
    consecutive = 0;
  }

  /**
   * @return whether a row of this task has been scored
   */
  boolean anyScored() {
    return rowsScored > 0;
  }

  /**
   * A batch of {@code rows} rows failed; its rows are retried alone next, then {@link #retried}.
   *
   * @param first the first row of the batch, for the reproduction hint
   * @throws ModelFailureException when too many calls in a row failed
   */
  void batchFailed(int rows, OrtException cause, RowRef first) {
    consecutive++;
    retryKind = kind(cause);
    retryRows = rows;
    retryFailed = 0;
    retrySameKind = 0;
    checkConsecutive(cause, first);
  }

  /**
   * A call of one row failed (inside a retry or not).
   *
   * @throws ModelFailureException when too many calls in a row failed
   */
  void rowFailed(OrtException cause, RowRef row) {
    consecutive++;
    if (retryKind != null) {
      retryFailed++;
      if (retryKind.equals(kind(cause))) {
        retrySameKind++;
      }
    }
    checkConsecutive(cause, row);
  }

  /**
   * The rows of the failed batch have all been run alone.
   *
   * @param last the last error seen, or null if the last row alone succeeded
   * @throws ModelFailureException when no row was ever scored and every row failed like the batch
   */
  void retried(OrtException last, RowRef first) {
    boolean everyInput =
        !anyScored() && retryFailed >= 2 && retrySameKind == retryFailed && last != null;
    int rows = retryRows;
    int failed = retryFailed;
    retryKind = null;
    if (everyInput) {
      throw new ModelFailureException(
          model()
              + " fails on every input: in partition "
              + partition
              + ", ONNX Runtime failed on a batch of "
              + rows
              + " rows and then on each of its "
              + failed
              + " rows run alone, with the same error, and no row of the task has been scored. "
              + notData()
              + reason(last)
              + reproduce(first));
    }
  }

  /**
   * Under {@code errors.policy: fail}: the first failure ends the task. When nothing was scored yet
   * and the batch's first row alone failed the same way too, says that the model probably fails on
   * every input rather than naming one row.
   *
   * @param batch the batch's failure
   * @param batchRows rows in the failed batch
   * @param alone the first row's failure when run alone, or null when it was not run or succeeded
   * @return the exception to throw
   */
  RuntimeException failFast(
      InferenceRunException batch,
      OrtException batchCause,
      int batchRows,
      OrtException alone,
      RowRef first) {
    if (alone != null && !anyScored() && kind(alone).equals(kind(batchCause))) {
      return new ModelFailureException(
          model()
              + " fails on every input it was given: in partition "
              + partition
              + ", ONNX Runtime failed on the first batch ("
              + batchRows
              + " rows) and on its first row run alone, with"
              + " the same error, before any row was scored. "
              + NOT_DATA
              + "."
              + reason(alone)
              + reproduce(first));
    }
    return batch;
  }

  private void checkConsecutive(OrtException cause, RowRef row) {
    if (consecutive <= maxConsecutive) {
      return;
    }
    String limit = "errors.max_consecutive_inference_errors (" + maxConsecutive + ")";
    if (!anyScored()) {
      throw new ModelFailureException(
          model()
              + " fails on every input: in partition "
              + partition
              + ", "
              + consecutive
              + " ONNX Runtime calls in a row failed, more than "
              + limit
              + ", and no row of the task has"
              + " been scored. "
              + notData()
              + reason(cause)
              + reproduce(row));
    }
    throw new ModelFailureException(
        model()
            + ": in partition "
            + partition
            + ", "
            + consecutive
            + " ONNX Runtime"
            + " calls in a row failed after "
            + RejectionLog.format(rowsScored)
            + " rows had been scored, more than "
            + limit
            + "; the task stops instead of running every row alone."
            + reason(cause)
            + " If long runs of rows this model cannot score are expected in this input, raise "
            + limit.replaceAll(" \\(.*", "")
            + "."
            + reproduce(row));
  }

  private String model() {
    return spec.describeModel(spec.sha256());
  }

  private static final String NOT_DATA =
      "A broken model, or one that needs more than this executor has (memory,"
          + " an operator, a custom-op library), is not bad data";

  private String notData() {
    return NOT_DATA
        + ": errors.policy "
        + spec.errorPolicy()
        + " does not apply to it, so the task stops here instead"
        + " of running every row alone.";
  }

  private static String reason(OrtException e) {
    return " ONNX Runtime's reason: " + (e == null ? "unknown" : ortReason(e)) + ".";
  }

  /**
   * @return ONNX Runtime's message without the Java binding's {@code Error code - ORT_FAIL -
   *     message:} prefix
   */
  static String ortReason(OrtException e) {
    return String.valueOf(e.getMessage())
        .replaceFirst("^Error code - \\S+ - message: ", "")
        .strip();
  }

  private static String reproduce(RowRef row) {
    if (row == null) {
      return "";
    }
    return " To reproduce on one row, run the model on "
        + row.where()
        + " alone"
        + (row.filter() == null ? "" : ", e.g. --set 'input.filter=" + row.filter() + "'")
        + " --set model.batch_size=1 --set errors.policy=fail.";
  }

  /**
   * @return the kind of an ONNX Runtime error: its code and its message with numbers masked
   */
  static String kind(OrtException e) {
    return e.getCode() + ":" + RejectionLog.mask(e.getMessage());
  }

  /**
   * A row named for messages.
   *
   * @param where e.g. {@code partition 0, row 17 (id=17)}
   * @param filter an {@code input.filter} expression selecting it (e.g. {@code id = 17}), or null
   */
  record RowRef(String where, String filter) {}
}
