package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: how file outputs on S3 ({@code s3a://}) are committed. Spark's default commit
 * renames task output at task and job commit, which S3 does as a copy of every byte, and a job that
 * dies during that copy leaves partial files. Instead, an {@code s3a://} output is committed by
 * Hadoop's S3A committers through Spark's {@code PathOutputCommitProtocol} (module
 * spark-hadoop-cloud): tasks upload their files as pending multipart uploads, and only job commit
 * completes them, so nothing is visible until the whole job commits and nothing is copied. The
 * committer is {@code magic} unless {@code spark.hadoop.fs.s3a.committer.name} chooses another
 * ({@code directory}, {@code partitioned}); under {@code output.mode: overwrite-partitions} it is
 * always {@code partitioned} with conflict mode {@code replace}. Other file systems keep Spark's
 * defaults. Stateless.
 */
final class ObjectStoreCommit {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ObjectStoreCommit.class);
  static final String COMMIT_PROTOCOL_KEY = "spark.sql.sources.commitProtocolClass";
  static final String PARQUET_COMMITTER_KEY = "spark.sql.parquet.output.committer.class";
  static final String PATH_COMMIT_PROTOCOL =
      "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol";
  static final String BINDING_PARQUET_COMMITTER =
      "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter";
  static final String S3A_COMMITTER_FACTORY = "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory";
  static final String COMMITTER_NAME_KEY = "fs.s3a.committer.name";
  static final String COMMITTER_NAME_DEFAULT = "magic";
  static final String PARTITIONED_COMMITTER = "partitioned";
  static final String CONFLICT_MODE_KEY = "fs.s3a.committer.staging.conflict-mode";
  static final String STAGING_TMP_KEY = "fs.s3a.committer.staging.tmp.path";
  static final String STAGING_TMP_DEFAULT = "tmp/staging";
  private static final String SPARK_DEFAULT_PROTOCOL =
      "org.apache.spark.sql.execution.datasources.SQLHadoopMapReduceCommitProtocol";

  private ObjectStoreCommit() {}

  /**
   * Warns (driver log, once per run) about S3 credentials written into the config's {@code spark:}
   * block: they belong in the environment, the AWS profile files, an instance role or
   * core-site.xml, not in a YAML file that is versioned and copied. Still accepted, since such
   * configs ran before; the run report masks them.
   *
   * @return the offending keys as YAML paths
   */
  static List<String> warnAboutCredentials(JobConfig cfg) {
    List<String> keys = new java.util.ArrayList<>();
    for (String key : cfg.spark().keySet()) {
      String k = key.toLowerCase(Locale.ROOT);
      if (k.matches(
          "spark\\.hadoop\\.fs\\.s3a\\.(bucket\\.[^.]+\\.)?(access\\.key|secret\\.key|session\\.token)")) {
        keys.add("spark." + key);
      }
    }
    if (!keys.isEmpty()) {
      LOG.warn(
          "{}: S3 credentials are written in the config. Remove them and export AWS_ACCESS_KEY_ID /"
              + " AWS_SECRET_ACCESS_KEY (or use AWS_PROFILE, an instance role, or core-site.xml).",
          keys);
    }
    return keys;
  }

  /**
   * @return whether {@code path} is on S3 through the S3A connector
   */
  static boolean isS3a(String path) {
    return path != null && path.toLowerCase(Locale.ROOT).startsWith("s3a://");
  }

  /**
   * Config-time checks for an output path: the committer classes are on the classpath, and the mode
   * is one the S3A committers can do.
   *
   * @param key the config key of the path, for messages
   */
  static void validate(
      String key, String path, String modeName, boolean resume, Problems problems) {
    if (!isS3a(path)) {
      return;
    }
    try {
      Class.forName(PATH_COMMIT_PROTOCOL, false, ObjectStoreCommit.class.getClassLoader());
      Class.forName(S3A_COMMITTER_FACTORY, false, ObjectStoreCommit.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      problems.add(
          key
              + ": "
              + path
              + " is on S3, and batchinfer commits S3 output with the S3A committers, but "
              + e.getMessage()
              + " is not on the classpath. Add hadoop-aws (at Spark's Hadoop version) and Spark's"
              + " spark-hadoop-cloud module to the driver and executors (run-local.sh has both).");
      return;
    }
    if ("overwrite-partitions".equals(modeName) && resume) {
      problems.add(
          key
              + ": output.resume with output.mode overwrite-partitions is not supported on S3 paths"
              + " (resume moves chunk folders into place, which S3 does as a copy of every byte)."
              + " Set output.resume to false: overwrite-partitions alone is committed by the S3A"
              + " partitioned committer, so a rerun replaces only the partitions it writes.");
    }
  }

  /**
   * Sets up the session for one write to {@code path} and returns the Hadoop options the writer
   * needs; {@link Scope#close()} restores the session's settings. A no-op for non-S3 paths.
   *
   * @param replacePartitions {@code output.mode: overwrite-partitions}: on S3 the write then goes
   *     through the S3A <em>partitioned</em> staging committer in conflict mode {@code replace},
   *     which at job commit deletes the partitions the job wrote and completes the new files'
   *     uploads (other partitions untouched); Spark's own dynamic partition overwrite cannot run on
   *     the S3A committers. The caller then writes with {@code SaveMode.Append}.
   */
  static Scope open(SparkSession spark, String path, boolean replacePartitions) {
    return new Scope(spark, path, replacePartitions);
  }

  /**
   * @return whether a write to {@code path} under {@code output.mode: overwrite-partitions} is
   *     committed by the S3A partitioned committer (and so written with {@code SaveMode.Append})
   */
  static boolean replacesPartitionsOnCommit(String path, boolean dynamicOverwrite) {
    return dynamicOverwrite && isS3a(path);
  }

  /** The session settings of one write, restored on close. */
  static final class Scope implements AutoCloseable {
    private final RuntimeConfig conf;
    private final Map<String, String> previous = new LinkedHashMap<>();
    private final Map<String, String> writeOptions = new LinkedHashMap<>();

    private Scope(SparkSession spark, String path, boolean replacePartitions) {
      this.conf = spark.conf();
      if (!isS3a(path)) {
        // Spark 4 switches the whole session to the cloud committer protocol when
        // spark-hadoop-cloud is on the classpath (run-local.sh has it). Through a path committer a
        // local or HDFS write under output.mode overwrite-partitions silently kept the old
        // partition's files (ScheduledRunsTest on -Pspark4), so other paths use Spark's own
        // protocol, which replaces partitions correctly.
        if (PATH_COMMIT_PROTOCOL.equals(conf.get(COMMIT_PROTOCOL_KEY, SPARK_DEFAULT_PROTOCOL))) {
          swap(COMMIT_PROTOCOL_KEY, SPARK_DEFAULT_PROTOCOL);
          if (conf.contains(PARQUET_COMMITTER_KEY)
              && BINDING_PARQUET_COMMITTER.equals(conf.get(PARQUET_COMMITTER_KEY))) {
            swap(PARQUET_COMMITTER_KEY, "org.apache.parquet.hadoop.ParquetOutputCommitter");
          }
        }
        return;
      }
      // A user's own choice (spark: section, spark-defaults, --conf) wins.
      String protocol = conf.get(COMMIT_PROTOCOL_KEY, SPARK_DEFAULT_PROTOCOL);
      if (SPARK_DEFAULT_PROTOCOL.equals(protocol)) {
        swap(COMMIT_PROTOCOL_KEY, PATH_COMMIT_PROTOCOL);
        swap(PARQUET_COMMITTER_KEY, BINDING_PARQUET_COMMITTER);
      }
      Configuration hadoop = spark.sparkContext().hadoopConfiguration();
      writeOptions.put("mapreduce.outputcommitter.factory.scheme.s3a", S3A_COMMITTER_FACTORY);
      writeOptions.put("fs.s3a.committer.magic.enabled", "true");
      if (replacePartitions) {
        writeOptions.put(COMMITTER_NAME_KEY, PARTITIONED_COMMITTER);
        writeOptions.put(CONFLICT_MODE_KEY, "replace");
        // The staging committers pass the list of pending uploads from tasks to job commit
        // through fs.defaultFS (HDFS on a cluster). Its default "tmp/staging" is relative: on a
        // local default FS it would land in the working directory, so local runs use a temporary
        // folder instead.
        String tmp = hadoop.get(STAGING_TMP_KEY, STAGING_TMP_DEFAULT);
        if (STAGING_TMP_DEFAULT.equals(tmp)
            && "file".equals(FileSystem.getDefaultUri(hadoop).getScheme())) {
          writeOptions.put(
              STAGING_TMP_KEY,
              new java.io.File(System.getProperty("java.io.tmpdir"), "batchinfer-s3a-staging")
                  .toURI()
                  .toString());
        }
        LOG.info(
            "{}: output.mode overwrite-partitions on S3: committed by the S3A partitioned committer"
                + " (conflict mode replace)",
            path);
        return;
      }
      String name = hadoop.get(COMMITTER_NAME_KEY, "file");
      writeOptions.put(COMMITTER_NAME_KEY, "file".equals(name) ? COMMITTER_NAME_DEFAULT : name);
    }

    private void swap(String key, String value) {
      previous.put(key, conf.contains(key) ? conf.get(key) : null);
      conf.set(key, value);
    }

    /**
     * @return Hadoop settings to pass as writer options (empty for non-S3 paths)
     */
    Map<String, String> writeOptions() {
      return writeOptions;
    }

    /**
     * @return the S3A committer used, or null for a non-S3 path
     */
    String committer() {
      return writeOptions.get(COMMITTER_NAME_KEY);
    }

    @Override
    public void close() {
      for (Map.Entry<String, String> e : previous.entrySet()) {
        if (e.getValue() == null) {
          conf.unset(e.getKey());
        } else {
          conf.set(e.getKey(), e.getValue());
        }
      }
    }
  }
}
