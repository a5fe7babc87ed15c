package io.batchinfer.udfs;

import io.batchinfer.udfs.exec.ScoringCounters;
import java.util.List;
import java.util.Objects;

/**
 * Job-level counters the engine updates from executors: rows in and out, model runs, time spent in
 * ONNX Runtime, and sessions created. A read-only view, created on the driver by {@link
 * InferencePlan#apply}; read it on the driver after an action. Row counts (and time, sessions,
 * truncations, rejections) come from successful task attempts only, so they count each row once.
 * The model-run counters ({@link #batches()}, {@link #batchesFailed()}, {@link
 * #rowsRetriedAlone()}) also include the runs of failed task attempts: they say how often ONNX
 * Runtime was called, including by a task that a broken model made fail. Holds no native resources.
 */
public final class InferenceMetrics {
  private final ScoringCounters counters;

  InferenceMetrics(ScoringCounters counters) {
    this.counters = Objects.requireNonNull(counters, "counters");
  }

  /**
   * @return input rows read by the inference function
   */
  public long rowsIn() {
    return counters.rowsIn();
  }

  /**
   * @return output rows emitted
   */
  public long rowsOut() {
    return counters.rowsOut();
  }

  /**
   * @return input rows rejected (skipped or dead-lettered)
   */
  public long rowsRejected() {
    return counters.rowsRejected();
  }

  /**
   * @return every ONNX Runtime call: batches, rows retried alone after their batch failed, and
   *     calls that failed; including calls made by failed task attempts
   */
  public long batches() {
    return counters.batches();
  }

  /**
   * @return ONNX Runtime calls that failed (part of {@link #batches()}), including failed task
   *     attempts
   */
  public long batchesFailed() {
    return counters.batchesFailed();
  }

  /**
   * @return rows run alone because their batch failed in ONNX Runtime, including failed task
   *     attempts
   */
  public long rowsRetriedAlone() {
    return counters.rowsRetriedAlone();
  }

  /**
   * @return why rows were rejected: one record per (code, column) with a count and the first
   *     example, most frequent first; from successful task attempts. Driver only, after an action.
   */
  public List<RejectionSummary> rejections() {
    return RejectionSummary.merge(counters.rejections());
  }

  /**
   * @return total seconds inside {@code OrtSession.run}, summed over tasks
   */
  public double inferenceSeconds() {
    return counters.inferenceNanos() / 1e9;
  }

  /**
   * @return texts cut to max_length by a tokenizer
   */
  public long textsTruncated() {
    return counters.textsTruncated();
  }

  /**
   * @return ONNX Runtime sessions created by this job's tasks (at most one per executor JVM and
   *     model)
   */
  public long sessionsCreated() {
    return counters.sessionsCreated();
  }

  /**
   * @return one record per partition scored to the end, from successful task attempts, in no
   *     particular order. Driver only, after an action.
   */
  public List<PartitionStats> partitionStats() {
    return counters.partitionStats();
  }
}
