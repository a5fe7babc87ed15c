package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The task listener counts retried attempts, with a real Spark retry: {@code local[2,2]} allows two
 * attempts per task, and one partition fails its first attempt. Owns its session (not the shared
 * {@code local[2]} one, which never retries).
 */
class TaskCounterTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2,2]")
            .appName("batchinfer-retry-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Shipped to executors: partition 1 fails on its first attempt. */
  static final class FailFirstAttempt implements FlatMapFunction<Iterator<Integer>, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<Integer> call(Iterator<Integer> rows) {
      TaskContext task = TaskContext.get();
      if (task.partitionId() == 1 && task.attemptNumber() == 0) {
        throw new IllegalStateException("injected failure of a first attempt");
      }
      return rows;
    }
  }

  @Test
  void countsFailedAttemptsThatSparkRetried() throws Exception {
    TaskCounter counter = new TaskCounter();
    spark.sparkContext().addSparkListener(counter);
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      long n =
          jsc.parallelize(List.of(1, 2, 3, 4, 5, 6), 3)
              .mapPartitions(new FailFirstAttempt())
              .count();
      assertThat(n).isEqualTo(6);
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
    assertThat(counter.failed()).isEqualTo(1);
    assertThat(counter.succeeded()).isEqualTo(3);
    assertThat(counter.killed()).isZero();
  }
}
