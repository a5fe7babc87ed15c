package io.batchinfer.udfs;

import io.batchinfer.udfs.exec.ScoringCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Job-level counters the engine updates from executors: rows in and out, model runs, time spent in
 * ONNX Runtime, and sessions created. A read-only view, created on the driver by {@link
 * InferencePlan#apply}; read it on the driver after an action. Row counts (and time, sessions,
 * truncations, rejections) come from successful task attempts only, so they count each row once.
 * The model-run counters ({@link #batches()}, {@link #batchesFailed()}, {@link
 * #rowsRetriedAlone()}) also include the runs of failed task attempts: they say how often ONNX
 * Runtime was called, including by a task that a broken model made fail. Holds no native resources.
 *
 * <p>For a chain of models ({@link ChainPlan}) the figures are the chain's: rows in are the first
 * model's, rows out the last model's, rejections, model runs, time and sessions are summed over the
 * models (each rejection names its model); {@link #models()} has each model's own figures.
 */
public final class InferenceMetrics {
  private final ScoringCounters counters;
  private final List<InferenceMetrics> models;

  InferenceMetrics(ScoringCounters counters) {
    this.counters = Objects.requireNonNull(counters, "counters");
    this.models = List.of();
  }

  private InferenceMetrics(List<InferenceMetrics> models) {
    this.counters = null;
    this.models = List.copyOf(models);
  }

  /**
   * @return the figures of a chain whose models, in order, have {@code models}
   */
  static InferenceMetrics chain(List<InferenceMetrics> models) {
    return models.size() == 1 ? models.get(0) : new InferenceMetrics(models);
  }

  /**
   * @return each model's own figures, in chain order; for a single model a list of this
   */
  public List<InferenceMetrics> models() {
    return counters != null ? List.of(this) : models;
  }

  private long sum(ToLongFunction<InferenceMetrics> f) {
    long total = 0;
    for (InferenceMetrics m : models) {
      total += f.applyAsLong(m);
    }
    return total;
  }

  /**
   * @return input rows read by the inference function
   */
  public long rowsIn() {
    return counters != null ? counters.rowsIn() : models.get(0).rowsIn();
  }

  /**
   * @return output rows emitted
   */
  public long rowsOut() {
    return counters != null ? counters.rowsOut() : models.get(models.size() - 1).rowsOut();
  }

  /**
   * @return input rows rejected (skipped or dead-lettered)
   */
  public long rowsRejected() {
    return counters != null ? counters.rowsRejected() : sum(InferenceMetrics::rowsRejected);
  }

  /**
   * @return every ONNX Runtime call: batches, rows retried alone after their batch failed, and
   *     calls that failed; including calls made by failed task attempts
   */
  public long batches() {
    return counters != null ? counters.batches() : sum(InferenceMetrics::batches);
  }

  /**
   * @return ONNX Runtime calls that failed (part of {@link #batches()}), including failed task
   *     attempts
   */
  public long batchesFailed() {
    return counters != null ? counters.batchesFailed() : sum(InferenceMetrics::batchesFailed);
  }

  /**
   * @return rows run alone because their batch failed in ONNX Runtime, including failed task
   *     attempts
   */
  public long rowsRetriedAlone() {
    return counters != null ? counters.rowsRetriedAlone() : sum(InferenceMetrics::rowsRetriedAlone);
  }

  /**
   * @return why rows were rejected: one record per (code, column) with a count and the first
   *     example, most frequent first; from successful task attempts. Driver only, after an action.
   */
  public List<RejectionSummary> rejections() {
    if (counters != null) {
      return RejectionSummary.merge(counters.rejections());
    }
    List<RejectionSummary> all = new ArrayList<>();
    for (InferenceMetrics m : models) {
      all.addAll(m.rejections());
    }
    return RejectionSummary.merge(all);
  }

  /**
   * @return total seconds inside {@code OrtSession.run}, summed over tasks
   */
  public double inferenceSeconds() {
    if (counters != null) {
      return counters.inferenceNanos() / 1e9;
    }
    double total = 0;
    for (InferenceMetrics m : models) {
      total += m.inferenceSeconds();
    }
    return total;
  }

  /**
   * @return texts cut to max_length by a tokenizer
   */
  public long textsTruncated() {
    return counters != null ? counters.textsTruncated() : sum(InferenceMetrics::textsTruncated);
  }

  /**
   * @return ONNX Runtime sessions created by this job's tasks (at most one per executor JVM and
   *     model)
   */
  public long sessionsCreated() {
    return counters != null ? counters.sessionsCreated() : sum(InferenceMetrics::sessionsCreated);
  }

  /**
   * @return one record per partition scored to the end, from successful task attempts, in no
   *     particular order (for a chain, the first model's: its rows are the job's input rows, and
   *     its time runs until the partition's last row left the chain). Driver only, after an action.
   */
  public List<PartitionStats> partitionStats() {
    return counters != null ? counters.partitionStats() : models.get(0).partitionStats();
  }
}
