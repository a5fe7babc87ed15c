package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config-time errors of the table and object-store keys (input.table, input.sql, input.format,
 * output.table, output.create, output.format, errors.dead_letter_table, S3 outputs), each on its
 * message: the key, what was found, and the fix. Nothing runs; the session has no table catalogs.
 */
class TableConfigTest extends SparkTestBase {
  @TempDir Path tmp;

  private JobTestSupport.Run run(String input, String output, String extra) throws Exception {
    Path data = JobTestSupport.writeIrisLike(spark, tmp, 20, 1, 1);
    String yaml =
        """
        input: {%s}
        model: {path: "%s"}
        inputs: {input: {columns: [sepal_length, sepal_width, petal_length, petal_width]}}
        outputs: {output: {column: probabilities}}
        passthrough: [id, day]
        output: {%s}
        %s
        """
            .formatted(
                input.replace("$DATA", data.toString()), Projects.irisModel(), output, extra);
    return cli("--config", writeConfig(tmp, yaml).toString());
  }

  @Test
  void rejectsTwoInputSources() throws Exception {
    JobTestSupport.Run r =
        run("path: \"$DATA\", table: default.events", "path: \"" + tmp.resolve("o") + "\"", "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains(
            "input: input.path and input.table are both set; set exactly one of input.path,"
                + " input.table, input.sql.");
  }

  @Test
  void rejectsUnknownInputFormatWithSuggestion() throws Exception {
    JobTestSupport.Run r =
        run("path: \"$DATA\", format: jsn", "path: \"" + tmp.resolve("o") + "\"", "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains(
            "input.format: unknown format 'jsn'; expected one of [parquet, orc, json, csv, delta,"
                + " iceberg, binaryfile].")
        .contains("Did you mean 'json'?");
  }

  @Test
  void namesAMissingInputTable() throws Exception {
    spark.sql("CREATE TABLE IF NOT EXISTS default.events_known (id BIGINT) USING parquet");
    JobTestSupport.Run r =
        run("table: default.events_knwn", "path: \"" + tmp.resolve("o") + "\"", "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains("input.table: table 'default.events_knwn' not found. Tables in default: [")
        .contains("events_known")
        .contains("Did you mean 'events_known'?");
  }

  @Test
  void namesABrokenQuery() throws Exception {
    JobTestSupport.Run r =
        run(
            "sql: \"SELECT * FROM parquet.`$DATA` WHERE nope = 1\"",
            "path: \"" + tmp.resolve("o") + "\"",
            "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err()).contains("input.sql: the query does not run:").contains("`nope`");
  }

  @Test
  void missingOutputTableNeedsCreate() throws Exception {
    JobTestSupport.Run r =
        run(
            "path: \"$DATA\"",
            "table: default.scores_absent, partition_by: [day]",
            "report: {path: \"" + tmp.resolve("r.json") + "\"}");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains(
            "output.table: table 'default.scores_absent' does not exist. Set output.create: true"
                + " to create it with the output schema partitioned by [day], or create it first.");
  }

  @Test
  void tableOutputNeedsAReportPathAndOneTarget() throws Exception {
    JobTestSupport.Run r =
        run("path: \"$DATA\"", "table: default.t, path: \"" + tmp.resolve("o") + "\"", "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains("output: output.path and output.table are both set; set exactly one.")
        .contains(
            "report.path: missing; with output.table there is no output folder for the run report");
  }

  @Test
  void tableOnlyKeysAreRejectedForPaths() throws Exception {
    JobTestSupport.Run r =
        run(
            "path: \"$DATA\"",
            "path: \"" + tmp.resolve("o") + "\", create: true, format: delta",
            "errors: {policy: skip, dead_letter_table: default.dl}");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains("output.create: applies to output.table only")
        .contains("output.format: applies to a table created by output.create only")
        .contains("errors.dead_letter_table: set, but errors.policy is skip");
  }

  @Test
  void namesS3CredentialsWrittenInTheConfig() {
    JobConfig cfg =
        ConfigLoader.parse(
            "spark: {spark.hadoop.fs.s3a.secret.key: abc, spark.hadoop.fs.s3a.bucket.b1.access.key:"
                + " def, spark.hadoop.fs.s3a.endpoint: http://x}",
            java.util.List.of());
    assertThat(ObjectStoreCommit.warnAboutCredentials(cfg))
        .containsExactlyInAnyOrder(
            "spark.spark.hadoop.fs.s3a.secret.key",
            "spark.spark.hadoop.fs.s3a.bucket.b1.access.key");
  }

  @Test
  void s3OutputRefusesResumeWithOverwritePartitions() throws Exception {
    JobTestSupport.Run r =
        run(
            "path: \"$DATA\"",
            "path: \"s3a://bucket/scores\", mode: overwrite-partitions,"
                + " partition_by: [day], resume: true",
            "");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains(
            "output.path: output.resume with output.mode overwrite-partitions is not supported on"
                + " S3 paths")
        .contains("Set output.resume to false");
  }

  @Test
  void tableOutputRefusesResumeWithAFix() throws Exception {
    JobTestSupport.Run r =
        run(
            "path: \"$DATA\"",
            "table: default.scores, create: true, mode: overwrite, resume: true",
            "report: {path: \"" + tmp.resolve("r/report.json") + "\"}");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err())
        .contains("output.resume: not supported with output.table")
        .contains("a failed run commits nothing")
        .contains("Remove output.resume, or write to output.path to resume in chunks.");
  }
}
