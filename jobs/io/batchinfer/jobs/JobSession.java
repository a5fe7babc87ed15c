package io.batchinfer.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: the job's {@link SparkSession}: {@code spark-submit}'s settings, then the config's
 * {@code spark:} block, the job name as application name, {@code local[*]} when no master is set,
 * and the executor environment every JVM loading ONNX Runtime and DJL needs ({@link
 * RuntimeEnvironment}). Turns Spark giving up on an unreachable master into a {@link
 * JobFailedException} that says so. Stateless.
 */
final class JobSession {
  private JobSession() {}

  static SparkSession open(JobConfig cfg) {
    SparkConf conf = new SparkConf();
    String jobName = cfg.job().name() == null ? ConfigKeys.JOB_NAME_DEFAULT : cfg.job().name();
    // spark-submit always sets spark.app.name, to the main class unless --name is given: prefer
    // job.name then.
    if (!conf.contains("spark.app.name")
        || BatchInferenceJob.class.getName().equals(conf.get("spark.app.name"))) {
      conf.set("spark.app.name", jobName);
    }
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    // Executors load ONNX Runtime with a long command line: without ORT_DISABLE_TELEMETRY, ORT 1.29
    // segfaults; DJL must not call home.
    for (Map.Entry<String, String> e : RuntimeEnvironment.environment().entrySet()) {
      conf.setIfMissing("spark.executorEnv." + e.getKey(), e.getValue());
    }
    for (Map.Entry<String, Object> e : cfg.spark().entrySet()) {
      conf.set(e.getKey(), String.valueOf(e.getValue()));
    }
    SparkSession spark;
    try {
      spark = SparkSession.builder().config(conf).getOrCreate();
    } catch (IllegalStateException e) {
      // A standalone scheduler waits for the master while the context starts; when Spark gives up
      // it stops the context under construction.
      if (String.valueOf(e.getMessage()).contains("stopped SparkContext")) {
        throw new JobFailedException(masterGone(conf.get("spark.master")), e);
      }
      throw e;
    }
    S3aRetryBounds.apply(spark.sparkContext().hadoopConfiguration());
    for (Map.Entry<String, Object> e : cfg.spark().entrySet()) {
      if (!spark.conf().isModifiable(e.getKey())) {
        continue;
      }
      spark.conf().set(e.getKey(), String.valueOf(e.getValue()));
    }
    return spark;
  }

  static String masterGone(String master) {
    return "Spark stopped the application before the job finished: the master "
        + master
        + " is unreachable,"
        + " rejected the application, or killed it (Spark gives up after 3 registration attempts 20 s apart)."
        + " Check --master / spark.master and the cluster; the driver log has Spark's reason.";
  }
}
