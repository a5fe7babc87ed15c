package io.batchinfer.udfs.sql;

import io.batchinfer.udfs.exec.InferenceSpec;
import io.batchinfer.udfs.exec.RowScorer;
import io.batchinfer.udfs.exec.ScoringCounters;
import io.batchinfer.udfs.model.ModelArtifact;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import scala.Function1;
import scala.runtime.AbstractFunction1;

/**
 * Shipped to executors: the body of one SQL call site of a {@link BatchInferenceSql} function. It
 * takes the call's arguments as one struct (laid out as the spec's input schema), scores them on
 * the executor's shared session through a {@link RowScorer} and returns the outputs as a struct, or
 * null for a row skipped under {@code errors.policy: skip}.
 *
 * <p>Holds only the model broadcast, the frozen spec, the accumulators and the function name; the
 * scorer and the row converters are rebuilt lazily in each task's deserialized copy (transient), so
 * nothing native travels. Each task has its own copy; {@link #apply} is synchronized only to stay
 * correct should Spark ever share one copy between threads.
 */
final class RowFunction extends AbstractFunction1<Object, Object> implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private final Broadcast<ModelArtifact> model;
  private final InferenceSpec spec;
  private final ScoringCounters counters;
  private final String caller;

  private transient RowScorer scorer;
  private transient Function1<Object, Object> toInternal;
  private transient Function1<Object, Object> toExternal;

  RowFunction(
      Broadcast<ModelArtifact> model, InferenceSpec spec, ScoringCounters counters, String caller) {
    this.model = model;
    this.spec = spec;
    this.counters = counters;
    this.caller = caller;
  }

  /** Scores one call's arguments (an external {@code Row}); returns a {@code Row} or null. */
  @Override
  public synchronized Object apply(Object arguments) {
    if (scorer == null) {
      scorer = new RowScorer(model, spec, counters, caller);
      toInternal = CatalystTypeConverters.createToCatalystConverter(spec.inputSchema());
      toExternal = CatalystTypeConverters.createToScalaConverter(spec.outputSchema());
    }
    Object[] out = scorer.score((InternalRow) toInternal.apply(arguments));
    return out == null ? null : (Row) toExternal.apply(new GenericInternalRow(out));
  }
}
