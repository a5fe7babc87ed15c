package io.batchinfer.udfs;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Job-level counters the engine updates from executors: rows in and out, model runs, time spent
 * in ONNX Runtime, and sessions created. Created on the driver, shipped with the function; read
 * on the driver after an action. Counts from failed task attempts are not merged by Spark, so
 * they count each row once per successful attempt.
 */
public final class InferenceMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  final LongAccumulator rowsIn;
  final LongAccumulator rowsOut;
  final LongAccumulator batches;
  final LongAccumulator inferenceNanos;
  final LongAccumulator sessionsCreated;
  final LongAccumulator textsTruncated;
  final LongAccumulator rowsRejected;
  /** One record per partition ({@link TimedPartition}); unnamed, so the Spark UI doesn't render the list per task. */
  final CollectionAccumulator<PartitionStats> partitions;

  private InferenceMetrics(SparkContext sc) {
    rowsIn = sc.longAccumulator("batchinfer.rows_in");
    rowsOut = sc.longAccumulator("batchinfer.rows_out");
    batches = sc.longAccumulator("batchinfer.batches");
    inferenceNanos = sc.longAccumulator("batchinfer.inference_nanos");
    sessionsCreated = sc.longAccumulator("batchinfer.sessions_created");
    textsTruncated = sc.longAccumulator("batchinfer.texts_truncated");
    rowsRejected = sc.longAccumulator("batchinfer.rows_rejected");
    partitions = new CollectionAccumulator<>();
    sc.register(partitions);
  }

  /** Registers fresh accumulators with {@code sc}. Driver only. */
  public static InferenceMetrics register(SparkContext sc) {
    return new InferenceMetrics(sc);
  }

  /** @return input rows read by the inference function */
  public long rowsIn() {
    return rowsIn.value();
  }

  /** @return output rows emitted */
  public long rowsOut() {
    return rowsOut.value();
  }

  /** @return input rows rejected (skipped or dead-lettered) */
  public long rowsRejected() {
    return rowsRejected.value();
  }

  /** @return model runs */
  public long batches() {
    return batches.value();
  }

  /** @return total seconds inside {@code OrtSession.run}, summed over tasks */
  public double inferenceSeconds() {
    return inferenceNanos.value() / 1e9;
  }

  /** @return texts cut to max_length by a tokenizer */
  public long textsTruncated() {
    return textsTruncated.value();
  }

  /** @return ONNX Runtime sessions created by this job's tasks (at most one per executor JVM and model) */
  public long sessionsCreated() {
    return sessionsCreated.value();
  }

  /**
   * @return one record per partition scored to the end, from successful task attempts, in no
   *     particular order. Driver only, after an action.
   */
  public List<PartitionStats> partitionStats() {
    return List.copyOf(partitions.value());
  }
}
