package io.batchinfer.jobs;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Driver only: bounds how long S3A keeps retrying an object store it cannot reach. Hadoop's own
 * defaults nest the AWS SDK's retries (20 attempts) inside S3A's (7, with back-off) and wait 200 s
 * on a silent socket: a wrong {@code fs.s3a.endpoint} or a closed port kept reading one config file
 * for more than five minutes without a word. The job sets smaller values for the keys nobody set
 * (only Hadoop's {@code core-default.xml} defines them): a value from {@code core-site.xml}, {@code
 * HADOOP_CONF_DIR}, {@code spark.hadoop.*} or the config's {@code spark:} block always wins.
 * Executors get the driver's Hadoop configuration with each task, so they are bounded too.
 */
final class S3aRetryBounds {
  /** Key → the job's default, when the key has only Hadoop's built-in default. */
  static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("fs.s3a.attempts.maximum", "3");
    DEFAULTS.put("fs.s3a.retry.limit", "3");
    DEFAULTS.put("fs.s3a.connection.establish.timeout", "10000");
    DEFAULTS.put("fs.s3a.connection.timeout", "60000");
  }

  private S3aRetryBounds() {}

  /** Sets the job's bound for each key of {@link #DEFAULTS} that no one set in {@code conf}. */
  static void apply(Configuration conf) {
    for (Map.Entry<String, String> e : DEFAULTS.entrySet()) {
      if (unset(conf, e.getKey())) {
        conf.set(e.getKey(), e.getValue(), "batchinfer (S3aRetryBounds)");
      }
    }
  }

  private static boolean unset(Configuration conf, String key) {
    if (conf.get(key) == null) {
      return true;
    }
    String[] sources = conf.getPropertySources(key);
    return sources == null
        || Arrays.stream(sources)
            .allMatch(s -> s.equals("core-default.xml") || s.equals("default"));
  }
}
