package io.batchinfer.tools.bench;

import org.apache.spark.sql.SparkSession;

/**
 * The third limit of a cold job: a Spark application that starts a session the way the job does
 * (through {@code SparkSubmit}, same JVM flags and classpath), runs one trivial Spark job and
 * stops. Its start-to-exit time is what no batchinfer run can avoid. Benchmark code only.
 */
public final class EmptySparkApp {
  private EmptySparkApp() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    try {
      // One job, so the scheduler and an executor task are really started, as in any run.
      if (spark.range(0, 1, 1, 1).count() != 1) {
        throw new IllegalStateException("range(0, 1) did not count 1 row");
      }
    } finally {
      spark.stop();
    }
  }
}
