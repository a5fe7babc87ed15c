package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.PartitionStats;
import io.batchinfer.udfs.session.SessionCache;
import java.util.Iterator;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Executor side: passes a partition's scored rows through unchanged and, when they run out, records
 * one {@link PartitionStats} in the job's metrics. Not thread-safe (one per task).
 *
 * <p>The row and time counts come from the task's own copies of the metrics' accumulators: Spark
 * deserializes a fresh, zeroed copy of every accumulator for each task, so on the executor their
 * values are this task's partial sums (the driver merges them). The provider is read from the
 * session cache, where {@link PartitionScorer} put the session before the first row.
 */
final class TimedPartition implements Iterator<InternalRow> {
  private final Iterator<InternalRow> rows;
  private final InferenceSpec spec;
  private final ScoringCounters metrics;
  private final long startNanos;
  private boolean recorded;

  /**
   * @param rows the scorer's iterator
   * @param spec the spec it runs (to look its session up)
   * @param metrics the task's copy of the metrics
   * @param startNanos {@link System#nanoTime()} before the scorer was built (session creation
   *     counts)
   */
  TimedPartition(
      Iterator<InternalRow> rows, InferenceSpec spec, ScoringCounters metrics, long startNanos) {
    this.rows = rows;
    this.spec = spec;
    this.metrics = metrics;
    this.startNanos = startNanos;
  }

  @Override
  public boolean hasNext() {
    boolean more = rows.hasNext();
    if (!more && !recorded) {
      recorded = true;
      record();
    }
    return more;
  }

  @Override
  public InternalRow next() {
    return rows.next();
  }

  private void record() {
    long nanos = System.nanoTime() - startNanos;
    TaskContext task = TaskContext.get();
    SparkEnv env = SparkEnv.get();
    String provider;
    int ordinal = -1;
    String fallback = null;
    try {
      // The scorer acquired the session first, so this is a lookup that never creates or fetches
      // the model.
      SessionCache.CachedSession cached =
          SessionCache.acquire(
                  spec.sha256(),
                  spec.session(),
                  () -> {
                    throw new IllegalStateException("not cached");
                  })
              .cached();
      provider = cached.provider();
      ordinal = cached.ordinal();
      fallback = cached.fallbackReason();
    } catch (RuntimeException e) {
      provider =
          "unknown"; // the cache was cleared meanwhile (tests); never fail a task over a statistic
    }
    metrics.partitions.add(
        new PartitionStats(
            task == null ? -1 : task.stageId(),
            task == null ? -1 : task.partitionId(),
            task == null ? 0 : task.attemptNumber(),
            env == null ? "unknown" : env.executorId(),
            provider,
            metrics.sessionsCreated.value() > 0,
            metrics.rowsIn.value(),
            metrics.rowsOut.value(),
            nanos,
            metrics.inferenceNanos.value(),
            ordinal,
            fallback));
  }
}
