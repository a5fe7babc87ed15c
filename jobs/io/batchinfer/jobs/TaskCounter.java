package io.batchinfer.jobs;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Driver only: counts the task attempts that end while it is registered on the listener bus:
 * successful, failed (each one is retried by Spark, up to {@code spark.task.maxFailures}) and
 * killed (speculative duplicates, cancelled jobs), and the executors removed (lost). Called on the
 * listener bus thread, read by the job's thread: thread-safe.
 */
final class TaskCounter extends SparkListener {
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong killed = new AtomicLong();
  private final List<String> executorsRemoved = new CopyOnWriteArrayList<>();

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (taskEnd.taskInfo().successful()) {
      succeeded.incrementAndGet();
    } else if (taskEnd.taskInfo().killed()) {
      killed.incrementAndGet();
    } else {
      failed.incrementAndGet();
    }
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    executorsRemoved.add(removed.executorId() + ": " + removed.reason());
  }

  /**
   * @return task attempts that succeeded
   */
  long succeeded() {
    return succeeded.get();
  }

  /**
   * @return task attempts that failed (Spark retried each)
   */
  long failed() {
    return failed.get();
  }

  /**
   * @return task attempts killed
   */
  long killed() {
    return killed.get();
  }

  /**
   * @return executors removed while registered, as {@code id: reason}
   */
  List<String> executorsRemoved() {
    return List.copyOf(executorsRemoved);
  }
}
