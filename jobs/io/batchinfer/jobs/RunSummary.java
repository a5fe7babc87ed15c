package io.batchinfer.jobs;

import java.util.Locale;

/**
 * What a run did, printed as one line on stdout when the job succeeds. Immutable.
 *
 * @param job the job name
 * @param rowsIn rows read by the engine
 * @param rowsOut rows written
 * @param rowsRejected rows rejected (skipped or dead-lettered)
 * @param batches model runs
 * @param sessionsCreated ONNX Runtime sessions created by the job's tasks
 * @param textsTruncated texts cut to their tokenizer's max_length
 * @param inferenceSeconds time inside ONNX Runtime, summed over tasks
 * @param wallSeconds wall time of scoring and writing
 * @param outputPath where the output went
 * @param deadLetterPath where rejected rows went, or null
 * @param filesSkipped corrupt input files skipped (input.ignore_corrupt_files)
 * @param appId the Spark application id
 * @param tableVersion the output table's snapshot (Iceberg) or version (Delta) after the commit, or null
 */
public record RunSummary(String job, long rowsIn, long rowsOut, long rowsRejected, long batches, long sessionsCreated,
    long textsTruncated, double inferenceSeconds, double wallSeconds, String outputPath, String deadLetterPath,
    String appId, int filesSkipped, TableOutput.Version tableVersion) {

  /** @return e.g. {@code batchinfer: job=iris status=ok rows_in=150 rows_out=150 ... output=...} */
  public String line() {
    return String.format(Locale.ROOT,
        "batchinfer: job=%s status=ok rows_in=%d rows_out=%d rows_rejected=%d batches=%d sessions_created=%d"
            + " texts_truncated=%d"
            + " inference_s=%.3f"
            + " wall_s=%.3f rows_per_s=%.0f app_id=%s output=%s%s",
        job, rowsIn, rowsOut, rowsRejected, batches, sessionsCreated, textsTruncated, inferenceSeconds, wallSeconds,
        wallSeconds > 0 ? rowsIn / wallSeconds : 0.0, appId, outputPath,
        (deadLetterPath == null ? "" : " dead_letter=" + deadLetterPath)
            + (filesSkipped == 0 ? "" : " corrupt_files_skipped=" + filesSkipped)
            + (tableVersion == null ? "" : " " + tableVersion.field()));
  }
}
