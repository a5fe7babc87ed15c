package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.PartitionStats;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The Spark accumulators behind {@link io.batchinfer.udfs.InferenceMetrics}: registered on the
 * driver, shipped with {@link InferenceFunction}, added to on executors (only by this package),
 * read on the driver after an action. Serializable; no native resources.
 */
public final class ScoringCounters implements Serializable {
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

  private ScoringCounters(SparkContext sc) {
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
  public static ScoringCounters register(SparkContext sc) {
    return new ScoringCounters(sc);
  }

  /** @return input rows read */
  public long rowsIn() {
    return rowsIn.value();
  }

  /** @return output rows emitted */
  public long rowsOut() {
    return rowsOut.value();
  }

  /** @return input rows rejected */
  public long rowsRejected() {
    return rowsRejected.value();
  }

  /** @return model runs */
  public long batches() {
    return batches.value();
  }

  /** @return nanoseconds inside {@code OrtSession.run}, summed over tasks */
  public long inferenceNanos() {
    return inferenceNanos.value();
  }

  /** @return texts cut to max_length */
  public long textsTruncated() {
    return textsTruncated.value();
  }

  /** @return sessions created */
  public long sessionsCreated() {
    return sessionsCreated.value();
  }

  /** @return one record per partition scored to the end (driver, after an action) */
  public List<PartitionStats> partitionStats() {
    return List.copyOf(partitions.value());
  }
}
