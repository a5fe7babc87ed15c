package io.batchinfer.udfs;

import io.batchinfer.udfs.exec.ScoringCounters;
import java.util.List;
import java.util.Objects;

/**
 * Job-level counters the engine updates from executors: rows in and out, model runs, time spent
 * in ONNX Runtime, and sessions created. A read-only view, created on the driver by {@link
 * InferencePlan#apply}; read it on the driver after an action. Counts from failed task attempts
 * are not merged by Spark, so they count each row once per successful attempt. Holds no native
 * resources.
 */
public final class InferenceMetrics {
  private final ScoringCounters counters;

  InferenceMetrics(ScoringCounters counters) {
    this.counters = Objects.requireNonNull(counters, "counters");
  }

  /** @return input rows read by the inference function */
  public long rowsIn() {
    return counters.rowsIn();
  }

  /** @return output rows emitted */
  public long rowsOut() {
    return counters.rowsOut();
  }

  /** @return input rows rejected (skipped or dead-lettered) */
  public long rowsRejected() {
    return counters.rowsRejected();
  }

  /** @return model runs */
  public long batches() {
    return counters.batches();
  }

  /** @return total seconds inside {@code OrtSession.run}, summed over tasks */
  public double inferenceSeconds() {
    return counters.inferenceNanos() / 1e9;
  }

  /** @return texts cut to max_length by a tokenizer */
  public long textsTruncated() {
    return counters.textsTruncated();
  }

  /** @return ONNX Runtime sessions created by this job's tasks (at most one per executor JVM and model) */
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
