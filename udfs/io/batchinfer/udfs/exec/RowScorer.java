package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.ModelFailureException;
import io.batchinfer.udfs.RowRejectedException;
import io.batchinfer.udfs.codec.RowProblem;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.session.SessionCache;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Executor side: scores one row per call on the executor's shared session, for callers that get
 * rows one at a time (the SQL function of {@code io.batchinfer.udfs.sql.BatchInferenceSql}). Each
 * call encodes one row, runs the session once and decodes the outputs, so it pays ONNX Runtime's
 * per-call cost on every row: the convenient path, where {@link InferenceFunction} is the fast one.
 *
 * <p>The session is taken from {@link SessionCache} (created once per executor JVM, shared with
 * every task and never closed here); tensors and results are closed per call. The spec's rows carry
 * no passthrough columns: {@link #score} returns exactly the output fields. Under {@link
 * ErrorPolicy#FAIL} a bad row throws, naming {@code caller}, the row's position and the column;
 * under {@link ErrorPolicy#SKIP} it yields null. More than {@code
 * errors.max_consecutive_inference_errors} ONNX Runtime failures in a row fail the task, as the
 * circuit breaker does for batches. Not thread-safe: one per task.
 */
public final class RowScorer {
  private final InferenceSpec spec;
  private final ScoringCounters metrics;
  private final BatchRunner runner;
  private final String caller;
  private final int partition;
  private final int width;
  private final Object[][] values = new Object[1][];
  private final int[] only = {0};
  private long position;
  private int failuresInARow;

  /**
   * @param model the broadcast model (fetched only when this executor has no session for it yet)
   * @param spec the validated spec; its output schema is what {@link #score} returns
   * @param metrics accumulators to update
   * @param caller what to name in messages, e.g. {@code SQL function iris_predict}
   */
  public RowScorer(
      Broadcast<ModelArtifact> model, InferenceSpec spec, ScoringCounters metrics, String caller) {
    this.spec = spec;
    this.metrics = metrics;
    this.caller = caller;
    if (spec.errorPolicy() == ErrorPolicy.DEAD_LETTER) {
      throw new IllegalStateException("RowScorer supports the fail and skip policies only");
    }
    TaskContext task = TaskContext.get();
    this.partition = task == null ? -1 : task.partitionId();
    SessionCache.Lease lease = SessionCache.acquire(spec.sha256(), spec.session(), model::value);
    if (lease.created()) {
      metrics.sessionsCreated.add(1);
    }
    this.width = spec.outputSchema().size() - spec.passthroughOrdinals().length;
    this.runner = new BatchRunner(spec, metrics, lease.session(), 1, 0);
  }

  /**
   * Scores one row (laid out as the spec's input schema).
   *
   * @return the output fields in Spark's internal format, or null when the row is rejected under
   *     {@code skip}
   * @throws RowRejectedException under {@code fail}, for a row that cannot be scored
   * @throws InferenceRunException under {@code fail}, when ONNX Runtime fails on the row
   * @throws ModelFailureException when the model failed on too many rows in a row
   */
  public Object[] score(InternalRow row) {
    long at = position++;
    metrics.rowsIn.add(1);
    runner.reset();
    RowProblem problem = runner.append(row);
    if (problem != null) {
      return reject(at, problem);
    }
    Object[] out = new Object[width];
    values[0] = out;
    try {
      runner.run(only, values, partition, at);
    } catch (ModelRunFailure f) {
      if (spec.errorPolicy() == ErrorPolicy.FAIL) {
        throw new InferenceRunException(caller + ": " + f.getMessage(), f.getCause());
      }
      if (++failuresInARow > spec.maxConsecutiveInferenceErrors()) {
        throw new ModelFailureException(
            caller
                + ": the model failed on "
                + failuresInARow
                + " rows in a row (partition "
                + partition
                + ", up to row "
                + at
                + "), more than errors.max_consecutive_inference_errors="
                + spec.maxConsecutiveInferenceErrors()
                + "; last failure: "
                + f.ortMessage()
                + ". The model, not the rows, is failing: check it on one row with ONNX Runtime.");
      }
      return reject(
          at,
          new RowProblem(RowProblem.INFERENCE_ERROR, "", "model run failed: " + f.ortMessage()));
    } finally {
      values[0] = null;
    }
    failuresInARow = 0;
    metrics.rowsOut.add(1);
    return out;
  }

  private Object[] reject(long at, RowProblem problem) {
    if (spec.errorPolicy() == ErrorPolicy.FAIL) {
      throw new RowRejectedException(
          caller
              + ": partition "
              + partition
              + ", row "
              + at
              + (problem.column() == null || problem.column().isEmpty()
                  ? ": "
                  : ": argument '" + problem.column() + "': ")
              + problem.message()
              + " (errors.policy=fail; with skip the function returns null for such rows)",
          problem.column());
    }
    metrics.rowsRejected.add(1);
    return null;
  }
}
