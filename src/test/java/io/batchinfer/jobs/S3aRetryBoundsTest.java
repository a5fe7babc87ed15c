package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.ValidationException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * S3A against a store it cannot reach gives up within a bounded time (Hadoop's defaults kept one
 * config read going for more than five minutes), and a value someone set always wins.
 */
class S3aRetryBoundsTest extends SparkTestBase {
  @Test
  void boundsOnlyTheKeysNobodySet() {
    Configuration conf = new Configuration();
    conf.set("fs.s3a.retry.limit", "9");
    S3aRetryBounds.apply(conf);
    assertThat(conf.get("fs.s3a.retry.limit")).isEqualTo("9");
    assertThat(conf.get("fs.s3a.attempts.maximum")).isEqualTo("3");
    assertThat(conf.get("fs.s3a.connection.establish.timeout")).isEqualTo("10000");
    assertThat(conf.get("fs.s3a.connection.timeout")).isEqualTo("60000");
  }

  @Test
  void aConfigOnAnUnreachableStoreFailsWithinBoundedTimeNamingTheFix() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String bucket = "unreachable-" + closedPort;
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    hadoop.set("fs.s3a.bucket." + bucket + ".endpoint", "http://127.0.0.1:" + closedPort);
    hadoop.set("fs.s3a.bucket." + bucket + ".path.style.access", "true");
    hadoop.set("fs.s3a.bucket." + bucket + ".access.key", "test");
    hadoop.set("fs.s3a.bucket." + bucket + ".secret.key", "test");
    // Hadoop's own retries took more than five minutes here; the job's bounds end it in seconds.
    assertTimeoutPreemptively(
        Duration.ofSeconds(120),
        () ->
            assertThatThrownBy(
                    () -> ConfigLoader.load("s3a://" + bucket + "/conf/job.yaml", List.of(), null))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("--config: cannot read s3a://" + bucket + "/conf/job.yaml")
                .hasMessageContaining("Check fs.s3a.endpoint"));
  }
}
