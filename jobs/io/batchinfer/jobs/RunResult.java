package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * What a run did, computed once from its {@link RunReport} when it ends and used for all three
 * outputs: the summary line on stdout ({@link #line}), {@code --summary-json} ({@link #addTo}) and,
 * through the same report, {@code report.json}. Immutable.
 *
 * @param job the job name
 * @param status {@code ok} or {@code failed}
 * @param reason why it failed ({@link JobFailedException#reasonOf}), or null when ok
 * @param totals rows, batches, sessions and time in ONNX Runtime of the passes run now (under
 *     resume: the chunks scored by this run, not the skipped ones)
 * @param wallSeconds wall time of scoring and writing
 * @param outputPath where the output went
 * @param deadLetterPath where rejected rows went, or null
 * @param appId the Spark application id
 * @param filesSkipped corrupt input files skipped (input.ignore_corrupt_files)
 * @param resume what a resumable run did, or null
 * @param reportLocation where report.json was written, or null if it was not
 * @param tableVersion the output table's snapshot (Iceberg) or version (Delta) after the commit, or
 *     null
 * @param models every model run, in order
 */
record RunResult(
    String job,
    String status,
    String reason,
    RunReport.Totals totals,
    double wallSeconds,
    String outputPath,
    String deadLetterPath,
    String appId,
    int filesSkipped,
    ChunkedRunner.Result resume,
    String reportLocation,
    TableOutput.Version tableVersion,
    List<ModelFacts> models) {

  /**
   * @return the result of the run {@code report} describes (after {@link RunReport#succeeded} or
   *     {@link RunReport#failed})
   */
  static RunResult of(JobPlan plan, RunReport report, String reportLocation) {
    return new RunResult(
        plan.name(),
        report.status(),
        report.reason(),
        report.totals(),
        report.wallSeconds(),
        plan.output(),
        plan.deadLetterTable() == null
            ? plan.deadLetterPath()
            : "table:" + plan.deadLetterTable().table(),
        report.appId(),
        plan.skippedFiles().size(),
        report.resumeResult(),
        reportLocation,
        report.tableVersion(),
        ModelFacts.of(plan));
  }

  long rowsIn() {
    return totals.rowsIn();
  }

  long rowsOut() {
    return totals.rowsOut();
  }

  long rowsRejected() {
    return totals.rowsRejected();
  }

  /**
   * @return rows in per second of wall time, 0 when no time passed
   */
  double rowsPerSecond() {
    return wallSeconds > 0 ? totals.rowsIn() / wallSeconds : 0.0;
  }

  /**
   * @return e.g. {@code batchinfer: job=iris status=ok rows_in=150 rows_out=150 ... output=...
   *     report=...}, with the resume figures when resuming
   */
  String line() {
    String line =
        String.format(
            Locale.ROOT,
            "batchinfer: job=%s status=%s%s rows_in=%d rows_out=%d rows_rejected=%d batches=%d batches_failed=%d"
                + " rows_retried_alone=%d sessions_created=%d"
                + " texts_truncated=%d"
                + " inference_s=%.3f"
                + " wall_s=%.3f rows_per_s=%.0f app_id=%s output=%s%s",
            job,
            status,
            reason == null ? "" : " reason=" + reason,
            totals.rowsIn(),
            totals.rowsOut(),
            totals.rowsRejected(),
            totals.batches(),
            totals.batchesFailed(),
            totals.rowsRetriedAlone(),
            totals.sessionsCreated(),
            totals.textsTruncated(),
            totals.inferenceSeconds(),
            wallSeconds,
            rowsPerSecond(),
            appId,
            outputPath,
            (deadLetterPath == null ? "" : " dead_letter=" + deadLetterPath)
                + (filesSkipped == 0 ? "" : " corrupt_files_skipped=" + filesSkipped)
                + (tableVersion == null ? "" : " " + tableVersion.field()));
    StringBuilder sb = new StringBuilder(line);
    if (resume != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              " chunks=%d chunks_skipped=%d",
              resume.chunks(),
              resume.chunksSkipped()));
    }
    if (models.size() > 1) {
      sb.append(" models=")
          .append(
              String.join(
                  ",",
                  models.stream().map(m -> m.name() + ":" + m.sha256().substring(0, 12)).toList()));
    }
    sb.append(" report=").append(reportLocation == null ? "none" : reportLocation);
    return sb.toString();
  }

  /** Adds the run's figures to a {@code --summary-json} object ({@link SummaryJson}). */
  void addTo(ObjectNode node) {
    node.put("app_id", appId);
    node.put("rows_in", totals.rowsIn());
    node.put("rows_out", totals.rowsOut());
    node.put("rows_rejected", totals.rowsRejected());
    node.put("batches", totals.batches());
    node.put("batches_failed", totals.batchesFailed());
    node.put("rows_retried_alone", totals.rowsRetriedAlone());
    totals.rejectionsTo(node.putArray("rejections"));
    node.put("wall_s", RunReport.round(wallSeconds));
    node.put("rows_per_s", RunReport.round(rowsPerSecond()));
    node.put("output", outputPath);
    if (tableVersion != null) {
      node.put("table_format", tableVersion.format());
      node.put(
          "iceberg".equals(tableVersion.format()) ? "snapshot_id" : "version", tableVersion.id());
    }
    ArrayNode list = node.putArray("models");
    models.forEach(m -> m.addTo(list.addObject()));
    node.put("report", reportLocation);
    node.put(
        "report_html", reportLocation == null ? null : ReportWriter.htmlLocation(reportLocation));
    if (resume != null) {
      node.putObject("resume")
          .put("chunks", resume.chunks())
          .put("chunks_skipped", resume.chunksSkipped())
          .put("chunks_run", resume.chunksRun())
          .put("skipped_rows_out", resume.skippedRowsOut());
    }
  }
}
