package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.PartitionStats;
import io.batchinfer.udfs.RejectionSummary;
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

  /** ONNX Runtime calls that threw (any size); includes failed task attempts. */
  final LongAccumulator batchesFailed;

  /** Rows run alone because their batch failed; includes failed task attempts. */
  final LongAccumulator rowsRetriedAlone;

  /**
   * One record per task and rejection reason ({@link RejectionLog}); unnamed, like {@link
   * #partitions}.
   */
  final CollectionAccumulator<RejectionSummary> rejections;

  /**
   * One record per partition ({@link TimedPartition}); unnamed, so the Spark UI doesn't render the
   * list per task.
   */
  final CollectionAccumulator<PartitionStats> partitions;

  private ScoringCounters(SparkContext sc, String label) {
    // Only a job's first model counts its input rows under the name progress reporting follows.
    rowsIn =
        sc.longAccumulator(
            label == null ? "batchinfer.rows_in" : "batchinfer.model." + label + ".rows_in");
    rowsOut = sc.longAccumulator("batchinfer.rows_out");
    batches = withFailedAttempts(sc, "batchinfer.batches");
    inferenceNanos = sc.longAccumulator("batchinfer.inference_nanos");
    sessionsCreated = sc.longAccumulator("batchinfer.sessions_created");
    textsTruncated = sc.longAccumulator("batchinfer.texts_truncated");
    rowsRejected = sc.longAccumulator("batchinfer.rows_rejected");
    batchesFailed = withFailedAttempts(sc, "batchinfer.batches_failed");
    rowsRetriedAlone = withFailedAttempts(sc, "batchinfer.rows_retried_alone");
    partitions = new CollectionAccumulator<>();
    sc.register(partitions);
    rejections = new CollectionAccumulator<>();
    sc.register(rejections);
  }

  /**
   * A counter whose updates Spark merges from failed task attempts too (Spark's own task metrics
   * work this way). {@code AccumulatorV2.register(sc, name, countFailedValues)} is {@code
   * private[spark]} in Scala and so public from Java, like {@code SparkContext.longAccumulator}
   * which calls it with {@code false}.
   */
  private static LongAccumulator withFailedAttempts(SparkContext sc, String name) {
    LongAccumulator a = new LongAccumulator();
    a.register(sc, scala.Option.apply(name), true);
    return a;
  }

  /** Registers fresh accumulators with {@code sc}. Driver only. */
  public static ScoringCounters register(SparkContext sc) {
    return new ScoringCounters(sc, null);
  }

  /**
   * Registers fresh accumulators for a later model of a chain, named {@code label}: its input-row
   * counter gets a name of its own ({@code batchinfer.model.<label>.rows_in}), so the job's {@code
   * batchinfer.rows_in} counts each input row once. Driver only.
   */
  public static ScoringCounters register(SparkContext sc, String label) {
    return new ScoringCounters(sc, label);
  }

  /**
   * @return input rows read
   */
  public long rowsIn() {
    return rowsIn.value();
  }

  /**
   * @return output rows emitted
   */
  public long rowsOut() {
    return rowsOut.value();
  }

  /**
   * @return input rows rejected
   */
  public long rowsRejected() {
    return rowsRejected.value();
  }

  /**
   * @return every ONNX Runtime call, failed task attempts included
   */
  public long batches() {
    return batches.value();
  }

  /**
   * @return ONNX Runtime calls that failed, failed task attempts included
   */
  public long batchesFailed() {
    return batchesFailed.value();
  }

  /**
   * @return rows run alone because their batch failed, failed task attempts included
   */
  public long rowsRetriedAlone() {
    return rowsRetriedAlone.value();
  }

  /**
   * @return one record per task and rejection reason, from successful attempts (driver, after an
   *     action)
   */
  public List<RejectionSummary> rejections() {
    return List.copyOf(rejections.value());
  }

  /**
   * @return nanoseconds inside {@code OrtSession.run}, summed over tasks
   */
  public long inferenceNanos() {
    return inferenceNanos.value();
  }

  /**
   * @return texts cut to max_length
   */
  public long textsTruncated() {
    return textsTruncated.value();
  }

  /**
   * @return sessions created
   */
  public long sessionsCreated() {
    return sessionsCreated.value();
  }

  /**
   * @return one record per partition scored to the end (driver, after an action)
   */
  public List<PartitionStats> partitionStats() {
    return List.copyOf(partitions.value());
  }
}
