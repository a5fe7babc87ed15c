package io.batchinfer.udfs;

import java.io.Serializable;

/**
 * What one task did with one partition: where it ran, on which execution provider, how many rows
 * went in and out, and how long it took. Recorded on the executor when the partition's iterator is
 * exhausted and collected on the driver through {@link InferenceMetrics#partitionStats()}, for the
 * run report's per-partition timing and per-executor provider and session counts. Immutable.
 *
 * @param stageId the Spark stage
 * @param partition the partition index within the stage
 * @param attempt the task attempt number (0 unless the task was retried)
 * @param executorId the executor that ran it ({@code driver} in local mode)
 * @param provider the ONNX Runtime execution provider the session actually uses, e.g. {@code CPU}
 * @param sessionCreated whether this task created the executor's session (a cache miss)
 * @param rowsIn input rows read
 * @param rowsOut rows emitted (scored rows, plus dead-letter rows when that policy is on)
 * @param nanos wall time from the start of the task's scoring to the end of its input; the writer
 *     pulls the iterator, so this includes reading the input and writing the output
 * @param inferenceNanos time inside {@code OrtSession.run}
 * @param gpuOrdinal the GPU ordinal the task was placed on (also when it fell back to CPU), or -1
 *     for CPU
 * @param fallbackReason why a GPU placement ran on CPU ({@code model.device_fallback=cpu}), or null
 */
public record PartitionStats(
    int stageId,
    int partition,
    int attempt,
    String executorId,
    String provider,
    boolean sessionCreated,
    long rowsIn,
    long rowsOut,
    long nanos,
    long inferenceNanos,
    int gpuOrdinal,
    String fallbackReason)
    implements Serializable {

  /**
   * @return wall seconds
   */
  public double seconds() {
    return nanos / 1e9;
  }

  /**
   * @return input rows per wall second (0 when the partition took no measurable time)
   */
  public double rowsPerSecond() {
    return nanos <= 0 ? 0.0 : rowsIn * 1e9 / nanos;
  }
}
