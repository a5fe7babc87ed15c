package io.batchinfer.jobs;

import io.batchinfer.udfs.ChainPlan;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferencePlan;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

/**
 * A validated job, ready to run: the (projected, filtered) input, the engine plan ({@code scoring}:
 * the single model or the {@code models:} chain), and how to write. {@code inputFileRows} is the
 * row count of the input files from their footers (before {@code input.filter}), or -1 when not
 * known. Driver only; immutable.
 */
record JobPlan(
    String name,
    String inputPath,
    Dataset<Row> input,
    ChainPlan scoring,
    String outputPath,
    SaveMode mode,
    List<String> partitionBy,
    String compression,
    ErrorPolicy errorPolicy,
    String deadLetterPath,
    Double maxRejectedFraction,
    List<ParquetFooterCheck.Corrupt> skippedFiles,
    RunOptions options,
    Integer inputPartitions,
    long inputFileRows,
    TableOutput.Target outputTable,
    TableOutput.Target deadLetterTable) {

  /**
   * @return the first (for a single-model job: the only) model's plan
   */
  InferencePlan inference() {
    return scoring.models().get(0);
  }

  /**
   * @return the input to score: repartitioned to {@code input.partitions} when set, spreading work
   *     over all cores
   */
  Dataset<Row> scoringInput() {
    return inputPartitions == null ? input : input.repartition(inputPartitions);
  }

  /**
   * @return the output mode as written in config
   */
  String modeName() {
    return switch (mode) {
      case ErrorIfExists -> "error";
      case Overwrite -> options.dynamicOverwrite() ? "overwrite-partitions" : "overwrite";
      case Append -> "append";
      default -> mode.name().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * @return where the scored rows go: the output path, or {@code table:<name>}
   */
  String output() {
    return outputTable != null ? "table:" + outputTable.table() : outputPath;
  }

  /**
   * @return the plan as {@code --dry-run} prints it
   */
  String describe() {
    return "job:      "
        + name
        + "\n"
        + "input:    "
        + inputPath
        + " "
        + input.schema().simpleString()
        + "\n"
        + scoring.describe()
        + "\n"
        + "write:    "
        + output()
        + " (mode "
        + modeName()
        + (outputTable != null ? "" : ", compression " + compression)
        + (partitionBy.isEmpty() ? "" : ", partition_by " + partitionBy)
        + (options.resume()
            ? ", resumable in chunks of " + options.resumeChunkFiles() + " input files"
            : "")
        + ")\n"
        + "errors:   policy "
        + errorPolicy
        + (deadLetterPath == null ? "" : ", dead letters to " + deadLetterPath)
        + (deadLetterTable == null ? "" : ", dead letters to table " + deadLetterTable.table())
        + (maxRejectedFraction == null ? "" : ", max_rejected_fraction " + maxRejectedFraction)
        + (skippedFiles.isEmpty()
            ? ""
            : "\nskipping "
                + skippedFiles.size()
                + " corrupt input file(s): "
                + skippedFiles.stream().map(ParquetFooterCheck.Corrupt::file).toList());
  }

  /**
   * @return this plan for one chunk of a resumable run: {@code chunkInput} written to {@code
   *     stagingPath}, replacing whatever is there, with no partition overwrite and no resume
   */
  JobPlan forChunk(Dataset<Row> chunkInput, String stagingPath) {
    return new JobPlan(
        name,
        inputPath,
        chunkInput,
        scoring,
        stagingPath,
        SaveMode.Overwrite,
        partitionBy,
        compression,
        errorPolicy,
        deadLetterPath,
        maxRejectedFraction,
        skippedFiles,
        options.forChunk(),
        inputPartitions,
        -1,
        null,
        null);
  }
}
