package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: the start of a row's path, the {@code input:} block turned into the rows to score.
 * Reading happens in two steps so that every problem is reported at once and nothing is scanned for
 * a config that is wrong anyway: {@link #read} returns the lazy, projected and filtered rows whose
 * schema the planner checks against the model; {@link #prepare}, called only when the whole config
 * is valid, checks the data itself (e.g. unreadable files) and returns what the run scores.
 *
 * <p>Parquet paths are read by {@link ParquetInputReader}; tables, SQL and other file formats by
 * {@link TableInput}, chosen from the config by {@link #forConfig}.
 */
interface InputReader {

  /**
   * What the run reads.
   *
   * @param rows the rows to score (lazy)
   * @param skippedFiles unreadable files skipped because the config allows it ({@code
   *     input.ignore_corrupt_files}); listed in the plan, the summary line and the report
   */
  record Input(Dataset<Row> rows, List<ParquetFooterCheck.Corrupt> skippedFiles, long fileRows) {
    /** An input whose row count is not known without counting. */
    Input(Dataset<Row> rows, List<ParquetFooterCheck.Corrupt> skippedFiles) {
      this(rows, skippedFiles, -1);
    }
  }

  /**
   * @return the rows as the config describes them (columns, filter), lazily; null when they cannot
   *     be read, with the reason added to {@code problems}
   */
  Dataset<Row> read(SparkSession spark, Problems problems);

  /**
   * Checks the data behind {@code read} (the result of {@link #read}) before any scoring.
   *
   * @return the input of the run; problems found go to {@code problems}
   */
  Input prepare(SparkSession spark, Dataset<Row> read, Problems problems);

  /**
   * @return the reader for the {@code input:} block: a table, query or non-Parquet path, else
   *     Parquet
   */
  static InputReader forConfig(JobConfig.Input input) {
    return TableInput.handles(input) ? new TableInput(input) : new ParquetInputReader(input);
  }
}
