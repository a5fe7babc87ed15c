package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Driver only: the machine-readable summary of a run ({@code --summary-json FILE}), for
 * schedulers such as Airflow: written on success and on failure (not for a bad command line),
 * to a local file, replaced atomically. Fields: {@code status} ({@code ok}, {@code failed},
 * {@code invalid}), {@code exit_code}, {@code job}, {@code run_id}, {@code app_id}, row counts,
 * timing, {@code output}, {@code report} and {@code report_html} (null when not written), resume
 * figures, and {@code error}. Stateless.
 */
final class SummaryJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SummaryJson() {}

  static ObjectNode of(String status, int exitCode, String job, String runId) {
    ObjectNode node = JSON.createObjectNode();
    node.put("status", status);
    node.put("exit_code", exitCode);
    node.put("job", job);
    node.put("run_id", runId);
    return node;
  }

  /** Adds the figures of a run report and where it was written. */
  static void addRun(ObjectNode node, RunReport report, String reportLocation, String outputPath) {
    node.put("app_id", report.appId());
    node.put("rows_in", report.rowsIn());
    node.put("rows_out", report.rowsOut());
    node.put("rows_rejected", report.rowsRejected());
    node.put("batches", report.batches());
    node.put("batches_failed", report.batchesFailed());
    node.put("rows_retried_alone", report.rowsRetriedAlone());
    report.rejectionsJson(node.putArray("rejections"));
    node.put("wall_s", RunReport.round(report.wallSeconds()));
    node.put("rows_per_s", RunReport.round(report.wallSeconds() > 0 ? report.rowsIn() / report.wallSeconds() : 0));
    node.put("output", outputPath);
    node.put("report", reportLocation);
    node.put("report_html", reportLocation == null ? null : ReportWriter.htmlLocation(reportLocation));
    ChunkedRunner.Result r = report.resumeResult();
    if (r != null) {
      node.putObject("resume").put("chunks", r.chunks()).put("chunks_skipped", r.chunksSkipped())
          .put("chunks_run", r.chunksRun()).put("skipped_rows_out", r.skippedRowsOut());
    }
  }

  static void write(Path file, ObjectNode node) throws IOException {
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
