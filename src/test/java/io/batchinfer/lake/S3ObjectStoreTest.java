package io.batchinfer.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a real S3 API server on 127.0.0.1 (s3proxy, filesystem backend) through
 * hadoop-aws's S3A connector: model, config, input, output, dead letters and report all on {@code
 * s3a://}, output committed by the S3A magic committer, and clear config-time errors for a missing
 * model object, a bucket that does not exist and a read the server denies.
 */
@Tag("slow")
class S3ObjectStoreTest {
  static final int ROWS = 600;
  @TempDir static Path tmp;
  static S3Server s3;
  static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(tmp.resolve("s3"), "lake", "locked");
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-s3-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4");
    for (Map.Entry<String, String> e : s3.hadoopConf().entrySet()) {
      b.config("spark.hadoop." + e.getKey(), e.getValue());
    }
    // Bucket 'locked' exists, but this client signs for it with a wrong secret: the server denies
    // every request.
    b.config("spark.hadoop.fs.s3a.bucket.locked.secret.key", "not-the-secret");
    spark = b.getOrCreate();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    LakeData.put(conf, "s3a://lake/models/linear.onnx", LakeData.model());
    LakeData.putParquet(
        spark,
        LakeData.frame(spark, LakeData.rows(0, ROWS, 11), 3),
        tmp,
        "s3a://lake/input/events");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    if (s3 != null) {
      s3.close();
    }
  }

  static String config(String model, String output) {
    return config(model, "s3a://lake/input/events", output, "overwrite");
  }

  static String config(String model, String input, String output, String mode) {
    return """
        job: {name: s3-round-trip}
        input: {path: "%s"}
        model: {path: "%s", batch_size: 32}
        inputs: {x: {columns: [x1, x2]}}
        outputs: {y: {column: y}}
        passthrough: [id, day, x1, x2]
        output: {path: "%s", mode: %s, partition_by: [day]}
        errors: {policy: dead-letter, dead_letter_path: "%s_rejected"}
        report: {path: "%s_report/report.json"}
        """
        .formatted(input, model, output, mode, output, output);
  }

  /**
   * {@code output.mode: overwrite-partitions} on S3: the S3A partitioned committer (conflict mode
   * replace) commits the run; a rerun for one day replaces that day's output and dead letters only
   * (the other days' files are the same objects as before), and the day's ids appear exactly once.
   */
  @Test
  void overwritePartitionsOnS3ReplacesOnlyTheRerunDay() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String out = "s3a://lake/scored/days";
    Path first = tmp.resolve("days-first.yaml");
    java.nio.file.Files.writeString(
        first,
        config(
            "s3a://lake/models/linear.onnx",
            "s3a://lake/input/events",
            out,
            "overwrite-partitions"));
    LakeData.Run run = LakeData.cli("--config", first.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> before = visibleFiles(conf, out);
    List<String> rejectedBefore = visibleFiles(conf, out + "_rejected");

    // A second input holding day 2 only, with other ids (1000 and up).
    String day = LakeData.DAYS[1];
    List<Row> dayRows =
        LakeData.rows(1000, 300, 12).stream().filter(r -> day.equals(r.getString(1))).toList();
    LakeData.putParquet(spark, LakeData.frame(spark, dayRows, 2), tmp, "s3a://lake/input/day2");
    Path rerun = tmp.resolve("days-rerun.yaml");
    java.nio.file.Files.writeString(
        rerun,
        config(
            "s3a://lake/models/linear.onnx", "s3a://lake/input/day2", out, "overwrite-partitions"));
    run = LakeData.cli("--config", rerun.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();

    JsonNode success = new ObjectMapper().readTree(LakeData.get(conf, out + "/_SUCCESS"));
    assertThat(success.path("committer").asText()).isEqualTo("partitioned");
    List<String> after = visibleFiles(conf, out);
    String dayDir = "day=" + day + "/";
    assertThat(after.stream().filter(f -> !f.startsWith(dayDir)))
        .as("the other days' files are untouched")
        .containsExactlyInAnyOrderElementsOf(
            before.stream().filter(f -> !f.startsWith(dayDir)).toList());
    assertThat(after.stream().filter(f -> f.startsWith(dayDir)))
        .as("the day's files are new")
        .isNotEmpty()
        .doesNotContainAnyElementsOf(before);

    Map<Long, Row> scored = LakeData.checkScores(spark.read().parquet(out));
    java.util.Set<Long> expected = new java.util.TreeSet<>();
    for (long id = 0; id < ROWS; id++) {
      if (!LakeData.bad(id) && !day.equals(LakeData.DAYS[(int) (id % LakeData.DAYS.length)])) {
        expected.add(id);
      }
    }
    for (Row r : dayRows) {
      if (!LakeData.bad(r.getLong(0))) {
        expected.add(r.getLong(0));
      }
    }
    assertThat(new java.util.TreeSet<>(scored.keySet())).isEqualTo(expected);
    assertThat(spark.read().parquet(out).count())
        .as("each id exactly once")
        .isEqualTo(expected.size());
    // Dead letters are partitioned by day too: the other days' rejected rows stay.
    List<String> rejectedAfter = visibleFiles(conf, out + "_rejected");
    assertThat(rejectedAfter.stream().filter(f -> !f.startsWith(dayDir)))
        .containsExactlyInAnyOrderElementsOf(
            rejectedBefore.stream().filter(f -> !f.startsWith(dayDir)).toList());
  }

  @Test
  void scoresFromS3ToS3WithTheMagicCommitter() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String out = "s3a://lake/scored/run1";
    LakeData.put(
        conf,
        "s3a://lake/conf/job.yaml",
        config("s3a://lake/models/linear.onnx", out).getBytes(StandardCharsets.UTF_8));

    LakeData.Run run = LakeData.cli("--config", "s3a://lake/conf/job.yaml");

    assertThat(run.exitCode()).as(run.err()).isZero();
    long bad = java.util.stream.LongStream.range(0, ROWS).filter(LakeData::bad).count();
    assertThat(run.out())
        .contains("rows_in=" + ROWS + " rows_out=" + (ROWS - bad) + " rows_rejected=" + bad)
        .contains("report=" + out + "_report/report.json");
    Map<Long, Row> scored = LakeData.checkScores(spark.read().parquet(out));
    assertThat(scored).hasSize((int) (ROWS - bad));
    assertThat(scored.keySet()).noneMatch(LakeData::bad);
    List<Row> rejected =
        spark.read().parquet(out + "_rejected").select("id", "_error_code").collectAsList();
    assertThat(rejected)
        .hasSize((int) bad)
        .allMatch(r -> LakeData.bad(r.getLong(0)) && "nan_value".equals(r.getString(1)));

    // The S3A committers write a JSON _SUCCESS manifest naming themselves; Spark's default
    // (rename-based) committer writes an empty file.
    JsonNode success = new ObjectMapper().readTree(LakeData.get(conf, out + "/_SUCCESS"));
    assertThat(success.path("committer").asText()).isEqualTo("magic");
    assertThat(success.path("filenames")).isNotEmpty();
    JsonNode report = new ObjectMapper().readTree(LakeData.get(conf, out + "_report/report.json"));
    assertThat(report.path("status").asText()).isEqualTo("ok");
    assertThat(LakeData.get(conf, out + "_report/report.html")).contains("<html");
    // No job or task attempt directories are left behind.
    assertThat(visibleFiles(conf, out)).allMatch(p -> p.endsWith(".parquet")).isNotEmpty();
  }

  /**
   * A job killed (JVM halted, no cleanup) after some write tasks committed and before the job
   * committed leaves nothing a reader sees under the output; rerunning the same config writes each
   * id exactly once.
   */
  @Test
  void killedWriteLeavesNoVisibleOutputAndRerunWritesEachIdOnce() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String out = "s3a://lake/scored/killed";
    Path cfg = tmp.resolve("killed.yaml");
    java.nio.file.Files.writeString(
        cfg,
        """
        job: {name: s3-killed}
        input: {path: "s3a://lake/input/events", filter: "NOT isnan(x2)", partitions: 6}
        model: {path: "s3a://lake/models/linear.onnx", batch_size: 16}
        inputs: {x: {columns: [x1, x2]}}
        outputs: {y: {column: y}}
        passthrough: [id, day, x1, x2]
        output: {path: "%s", mode: overwrite}
        report: {path: "%s_report/report.json"}
        """
            .formatted(out, out));

    // The child gets its credentials the standard way, from AWS_* in its environment (S3A's
    // default provider chain), not from any setting.
    Map<String, String> hadoop = new java.util.HashMap<>(s3.hadoopConf());
    hadoop.remove("fs.s3a.access.key");
    hadoop.remove("fs.s3a.secret.key");
    hadoop.remove("fs.s3a.aws.credentials.provider");
    ChildJvm.Result killed =
        ChildJvm.run(
            tmp,
            hadoop,
            Map.of(
                "AWS_ACCESS_KEY_ID",
                S3Server.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY",
                S3Server.SECRET_KEY),
            HaltingJobMain.class.getName(),
            "2",
            out,
            "--config",
            cfg.toString());

    assertThat(killed.exitCode()).as(killed.log()).isEqualTo(137);
    assertThat(killed.log()).contains("HaltingJobMain: halting after");
    FileSystem fs = new org.apache.hadoop.fs.Path(out).getFileSystem(conf);
    // Tasks had committed (their pending uploads are recorded under __magic), the job had not.
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(out + "/__magic"))).isTrue();
    assertThat(visibleFiles(conf, out)).as("files a reader sees after the kill").isEmpty();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(out + "/_SUCCESS"))).isFalse();

    LakeData.Run rerun = LakeData.cli("--config", cfg.toString());

    assertThat(rerun.exitCode()).as(rerun.err()).isZero();
    long good = java.util.stream.LongStream.range(0, ROWS).filter(id -> !LakeData.bad(id)).count();
    Map<Long, Row> scored =
        LakeData.checkScores(spark.read().parquet(out)); // fails on a duplicate id
    assertThat(scored).hasSize((int) good);
    assertThat(visibleFiles(conf, out)).allMatch(p -> p.endsWith(".parquet"));
  }

  @Test
  void missingModelObjectIsAConfigError() throws Exception {
    LakeData.Run run = runWithModel("s3a://lake/models/absent.onnx");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("model.path: model file not found: s3a://lake/models/absent.onnx");
  }

  @Test
  void missingBucketIsAConfigError() throws Exception {
    LakeData.Run run = runWithModel("s3a://no-such-bucket/models/linear.onnx");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("model.path")
        .contains("s3a://no-such-bucket/models/linear.onnx")
        .containsIgnoringCase("bucket");
  }

  @Test
  void deniedReadIsAConfigError() throws Exception {
    LakeData.Run run = runWithModel("s3a://locked/models/linear.onnx");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("model.path")
        .contains("s3a://locked/models/linear.onnx")
        .containsIgnoringCase("denied");
  }

  private static LakeData.Run runWithModel(String model) throws Exception {
    Path cfg = tmp.resolve("job-" + Math.abs(model.hashCode()) + ".yaml");
    java.nio.file.Files.writeString(cfg, config(model, "s3a://lake/scored/never"));
    LakeData.Run run = LakeData.cli("--config", cfg.toString());
    FileSystem fs =
        new org.apache.hadoop.fs.Path("s3a://lake/")
            .getFileSystem(spark.sparkContext().hadoopConfiguration());
    assertThat(fs.exists(new org.apache.hadoop.fs.Path("s3a://lake/scored/never")))
        .as("nothing written")
        .isFalse();
    return run;
  }

  /**
   * @return files under {@code dir} that a reader sees: none under a {@code _} or {@code .} folder
   */
  static List<String> visibleFiles(Configuration conf, String dir) throws Exception {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir);
    FileSystem fs = root.getFileSystem(conf);
    List<String> files = new java.util.ArrayList<>();
    if (!fs.exists(root)) {
      return files;
    }
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      String rel = root.toUri().relativize(it.next().getPath().toUri()).getPath();
      boolean hidden = false;
      for (String part : rel.split("/")) {
        hidden |= part.startsWith("_") || part.startsWith(".");
      }
      if (!hidden) {
        files.add(rel);
      }
    }
    return files;
  }
}
