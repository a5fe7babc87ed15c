package io.batchinfer.udfs;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Job-level counters the engine updates from executors: rows in and out, model runs, time spent
 * in ONNX Runtime, and sessions created. Created on the driver, shipped with the function; read
 * on the driver after an action. Row counts (and time, sessions, truncations, rejections) come
 * from successful task attempts only, so they count each row once. The model-run counters ({@link
 * #batches()}, {@link #batchesFailed()}, {@link #rowsRetriedAlone()}) also include the runs of
 * failed task attempts: they say how often ONNX Runtime was called, including by a task that a
 * broken model made fail.
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
  /** ONNX Runtime calls that threw (any size); includes failed task attempts. */
  final LongAccumulator batchesFailed;
  /** Rows run alone because their batch failed; includes failed task attempts. */
  final LongAccumulator rowsRetriedAlone;
  /** One record per task and rejection reason ({@link RejectionLog}); unnamed, like {@link #partitions}. */
  final CollectionAccumulator<RejectionSummary> rejections;
  /** One record per partition ({@link TimedPartition}); unnamed, so the Spark UI doesn't render the list per task. */
  final CollectionAccumulator<PartitionStats> partitions;

  private InferenceMetrics(SparkContext sc) {
    rowsIn = sc.longAccumulator("batchinfer.rows_in");
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

  /**
   * @return every ONNX Runtime call: batches, rows retried alone after their batch failed, and
   *     calls that failed; including calls made by failed task attempts
   */
  public long batches() {
    return batches.value();
  }

  /** @return ONNX Runtime calls that failed (part of {@link #batches()}), including failed task attempts */
  public long batchesFailed() {
    return batchesFailed.value();
  }

  /** @return rows run alone because their batch failed in ONNX Runtime, including failed task attempts */
  public long rowsRetriedAlone() {
    return rowsRetriedAlone.value();
  }

  /**
   * @return why rows were rejected: one record per (code, column) with a count and the first
   *     example, most frequent first; from successful task attempts. Driver only, after an action.
   */
  public List<RejectionSummary> rejections() {
    return RejectionSummary.merge(rejections.value());
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
