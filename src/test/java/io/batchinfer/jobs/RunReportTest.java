package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run report (JSON and HTML), the summary JSON for schedulers, and the progress line. */
class RunReportTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void reportHoldsTheRunsFiguresWithSecretsMasked() throws Exception {
    Path input = writeIrisLike(spark, tmp, 500, 4, 42);
    Path out = tmp.resolve("out");
    Path conf = writeConfig(tmp, irisConfig(input, out));
    Path summary = tmp.resolve("airflow/summary.json");

    JobTestSupport.Run run =
        cli(
            "--config",
            conf.toString(),
            "--var",
            "ds=2026-11-23",
            "--var",
            "api_token=tok-777",
            "--set",
            "spark.spark.hadoop.fs.s3a.secret.key=AKIA-not-a-real-secret",
            "--summary-json",
            summary.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    Path reportFile = out.resolve("_batchinfer/report.json");
    assertThat(run.out()).contains("report=" + reportFile);
    String text = Files.readString(reportFile);
    assertThat(text).doesNotContain("AKIA-not-a-real-secret").doesNotContain("tok-777");
    JsonNode r = JSON.readTree(text);
    assertThat(r.path("job").asText()).isEqualTo("iris-test");
    assertThat(r.path("status").asText()).isEqualTo("ok");
    long written = spark.read().parquet(out.toString()).count();
    assertThat(written).isEqualTo(500);
    assertThat(r.path("rows").path("in").asLong()).isEqualTo(500);
    assertThat(r.path("rows").path("out").asLong()).isEqualTo(written);
    assertThat(r.path("rows").path("rejected").asLong()).isZero();

    // Spark packs the 4 small files into as many partitions as it likes; each is one record.
    JsonNode parts = r.path("partitions");
    int count = parts.path("count").asInt();
    int scoringTasks = spark.read().parquet(input.toString()).rdd().getNumPartitions();
    assertThat(count).isEqualTo(scoringTasks);
    assertThat(parts.path("list")).hasSize(count);
    long listedRows = 0;
    long batches = 0;
    for (JsonNode p : parts.path("list")) {
      listedRows += p.path("rows_in").asLong();
      batches += (p.path("rows_in").asLong() + 15) / 16;
    }
    assertThat(listedRows).isEqualTo(500);
    assertThat(r.path("batches").asLong()).isEqualTo(batches);
    JsonNode seconds = parts.path("seconds");
    assertThat(seconds.path("max").asDouble()).isPositive();
    assertThat(seconds.path("p50").asDouble()).isLessThanOrEqualTo(seconds.path("p95").asDouble());
    assertThat(seconds.path("p95").asDouble()).isLessThanOrEqualTo(seconds.path("max").asDouble());
    assertThat(seconds.path("min").asDouble()).isLessThanOrEqualTo(seconds.path("p50").asDouble());
    assertThat(parts.path("rows").path("max").asDouble())
        .isLessThanOrEqualTo(500)
        .isGreaterThanOrEqualTo(500.0 / count);
    assertThat(parts.path("rows_per_s").path("p50").asDouble()).isPositive();

    JsonNode executors = r.path("executors");
    assertThat(executors).hasSize(1);
    assertThat(executors.get(0).path("id").asText()).isEqualTo("driver");
    assertThat(executors.get(0).path("providers").toString()).isEqualTo("[\"CPU\"]");
    assertThat(executors.get(0).path("partitions").asInt()).isEqualTo(count);
    assertThat(executors.get(0).path("sessions_created").asLong())
        .isEqualTo(r.path("sessions_created").asLong());

    assertThat(r.path("spark").path("app_id").asText())
        .isEqualTo(spark.sparkContext().applicationId());
    assertThat(r.path("spark").path("task_retries").asLong()).isZero();
    assertThat(r.path("spark").path("tasks_succeeded").asLong()).isGreaterThanOrEqualTo(count);
    assertThat(r.path("model").path("sha256").asText()).isEqualTo(sha256(Projects.irisModel()));
    assertThat(r.path("model").path("inputs").get(0).path("name").asText()).isEqualTo("input");
    assertThat(r.path("model").path("inputs").get(0).path("tensor").asText()).contains("float32");
    assertThat(r.path("output").path("mode").asText()).isEqualTo("error");
    assertThat(r.path("config").path("spark").path("spark.hadoop.fs.s3a.secret.key").asText())
        .isEqualTo("*****");
    assertThat(r.path("config").path("output").path("path").asText()).isEqualTo(out.toString());
    assertThat(r.path("variables").path("ds").asText()).isEqualTo("2026-11-23");
    assertThat(r.path("variables").path("api_token").asText()).isEqualTo("*****");
    assertThat(r.path("variables").path("run_id").asText())
        .isEqualTo(r.path("run_id").asText())
        .isNotBlank();

    String html = Files.readString(out.resolve("_batchinfer/report.html"));
    assertThat(html)
        .contains("<svg", "rows/s")
        .contains(r.path("model").path("sha256").asText())
        .doesNotContain("<script", "AKIA-not-a-real-secret", "https://");
    String throughputChart = html.substring(html.indexOf("<svg"), html.indexOf("</svg>"));
    assertThat(throughputChart.split("<rect ", -1)).hasSize(count + 1);

    JsonNode s = JSON.readTree(summary.toFile());
    assertThat(s.path("status").asText()).isEqualTo("ok");
    assertThat(s.path("exit_code").asInt()).isZero();
    assertThat(s.path("rows_in").asLong()).isEqualTo(500);
    assertThat(s.path("report").asText()).isEqualTo(reportFile.toString());
    assertThat(s.path("report_html").asText())
        .isEqualTo(out.resolve("_batchinfer/report.html").toString());
    assertThat(s.path("run_id").asText()).isEqualTo(r.path("run_id").asText());
  }

  @Test
  void reportPathKeyTakesVariables() throws Exception {
    Path input = writeIrisLike(spark, tmp, 20, 1, 1);
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("out")));
    JobTestSupport.Run run =
        cli(
            "--config",
            conf.toString(),
            "--var",
            "ds=2026-11-23",
            "--var",
            "run_id=manual-1",
            "--set",
            "report.path=" + tmp.resolve("reports") + "/${ds}/${run_id}.json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    Path report = tmp.resolve("reports/2026-11-23/manual-1.json");
    assertThat(JSON.readTree(report.toFile()).path("run_id").asText()).isEqualTo("manual-1");
    assertThat(tmp.resolve("reports/2026-11-23/manual-1.html")).exists();
    assertThat(tmp.resolve("out/_batchinfer")).doesNotExist();
  }

  @Test
  void summaryJsonOnInvalidConfig() throws Exception {
    Path input = writeIrisLike(spark, tmp, 10, 1, 1);
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("out-${ds}")));
    Path summary = tmp.resolve("summary.json");
    JobTestSupport.Run run = cli("--config", conf.toString(), "--summary-json", summary.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    JsonNode s = JSON.readTree(summary.toFile());
    assertThat(s.path("status").asText()).isEqualTo("invalid");
    assertThat(s.path("exit_code").asInt()).isEqualTo(ExitCodes.INVALID);
    assertThat(s.path("error").asText()).contains("output.path: unknown variable ${ds}");
  }

  @Test
  void progressLineOnlyWhenAsked() throws Exception {
    Path input = writeIrisLike(spark, tmp, 200, 2, 3);
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("a")));
    JobTestSupport.Run quiet = cli("--config", conf.toString());
    assertThat(quiet.exitCode()).as(quiet.err()).isZero();
    assertThat(quiet.err()).doesNotContain("rows/s");
    JobTestSupport.Run shown =
        cli("--config", conf.toString(), "--set", "output.path=" + tmp.resolve("b"), "--progress");
    assertThat(shown.exitCode()).as(shown.err()).isZero();
    assertThat(shown.err())
        .containsPattern(
            "batchinfer: 200 of 200 rows \\(100%\\) \\| [\\d,]+ rows/s \\| tasks \\d+/\\d+");
  }

  @Test
  void quantilesUseNearestRank() {
    RunReport.Quantiles q = RunReport.Quantiles.of(new double[] {5, 1, 4, 2, 3, 6, 7, 8, 9, 10});
    assertThat(List.of(q.p50(), q.p95(), q.max(), q.min())).containsExactly(5.0, 10.0, 10.0, 1.0);
    assertThat(RunReport.Quantiles.of(new double[0]).max()).isZero();
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
