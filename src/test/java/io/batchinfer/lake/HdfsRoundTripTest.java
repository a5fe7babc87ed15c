package io.batchinfer.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.MiniHdfs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real HDFS (Hadoop's in-process mini cluster, {@link MiniHdfs}): model, config
 * ({@code --config hdfs://...}), input, output, dead letters and report all on {@code hdfs://}, and
 * a missing model file is a config-time error naming the {@code hdfs://} path.
 */
@Tag("slow")
class HdfsRoundTripTest {
  static final int ROWS = 400;
  @TempDir static Path tmp;
  static MiniHdfs hdfs;
  static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    hdfs = MiniHdfs.start(tmp.resolve("hdfs"));
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-hdfs-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    LakeData.put(conf, hdfs.uri() + "/models/linear.onnx", LakeData.model());
    LakeData.frame(spark, LakeData.rows(0, ROWS, 5), 2)
        .write()
        .parquet(hdfs.uri() + "/warehouse/events");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    if (hdfs != null) {
      hdfs.close();
    }
  }

  private static String config(String model, String out) {
    return """
        job: {name: hdfs-round-trip}
        input: {path: "%s/warehouse/events"}
        model: {path: "%s", batch_size: 50}
        inputs: {x: {columns: [x1, x2]}}
        outputs: {y: {column: y}}
        passthrough: [id, day, x1, x2]
        output: {path: "%s", mode: error, partition_by: [day]}
        errors: {policy: dead-letter, dead_letter_path: "%s_rejected"}
        """
        .formatted(hdfs.uri(), model, out, out);
  }

  @Test
  void scoresFromHdfsToHdfs() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String out = hdfs.uri() + "/scored/run1";
    LakeData.put(
        conf,
        hdfs.uri() + "/conf/job.yaml",
        config(hdfs.uri() + "/models/linear.onnx", out).getBytes(StandardCharsets.UTF_8));

    LakeData.Run run = LakeData.cli("--config", hdfs.uri() + "/conf/job.yaml");

    assertThat(run.exitCode()).as(run.err()).isZero();
    long bad = java.util.stream.LongStream.range(0, ROWS).filter(LakeData::bad).count();
    assertThat(run.out())
        .contains("rows_in=" + ROWS + " rows_out=" + (ROWS - bad) + " rows_rejected=" + bad);
    Map<Long, Row> scored = LakeData.checkScores(spark.read().parquet(out));
    assertThat(scored).hasSize((int) (ROWS - bad));
    assertThat(spark.read().parquet(out + "_rejected").count()).isEqualTo(bad);
    // The report goes under the output by default (report.path unset).
    JsonNode report =
        new ObjectMapper().readTree(LakeData.get(conf, out + "/_batchinfer/report.json"));
    assertThat(report.path("status").asText()).isEqualTo("ok");
    assertThat(report.toString()).contains(hdfs.uri() + "/models/linear.onnx");
  }

  @Test
  void missingModelFileIsAConfigError() throws Exception {
    Path cfg = tmp.resolve("missing-model.yaml");
    java.nio.file.Files.writeString(
        cfg, config(hdfs.uri() + "/models/absent.onnx", hdfs.uri() + "/scored/never"));
    LakeData.Run run = LakeData.cli("--config", cfg.toString());
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("model.path: model file not found: " + hdfs.uri() + "/models/absent.onnx");
    assertThat(hdfs.fileSystem().exists(new org.apache.hadoop.fs.Path("/scored/never"))).isFalse();
  }
}
