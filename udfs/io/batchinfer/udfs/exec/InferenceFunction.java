package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.model.ModelArtifact;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Shipped to executors: scores one partition of internal rows lazily, in mini-batches, emitting one
 * output row per input row in input order. Holds only the model broadcast handle, the frozen spec
 * and the metrics; everything native is rebuilt on the executor ({@link PartitionScorer}) or taken
 * from the session cache. Serializable and stateless, so safe to share between tasks.
 */
public final class InferenceFunction
    implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<ModelArtifact> model;
  private final InferenceSpec spec;
  private final ScoringCounters metrics;

  /**
   * @param model the broadcast model bytes (fetched on an executor only when its session cache
   *     misses)
   * @param spec the validated spec
   * @param metrics accumulators to update
   */
  public InferenceFunction(
      Broadcast<ModelArtifact> model, InferenceSpec spec, ScoringCounters metrics) {
    this.model = model;
    this.spec = spec;
    this.metrics = metrics;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    long start = System.nanoTime();
    return new TimedPartition(
        new PartitionScorer(rows, model, spec, metrics), spec, metrics, start);
  }
}
