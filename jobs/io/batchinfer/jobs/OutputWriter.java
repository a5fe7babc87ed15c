package io.batchinfer.jobs;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Driver only: the end of a row's path, where the scored rows (and, under {@code errors.policy:
 * dead-letter}, the rejected ones) are written. Each call is one Spark job. Parquet files ({@link
 * ParquetOutputWriter}) or catalog tables ({@link TableOutput}), chosen from the plan by {@link
 * #forPlan}.
 */
interface OutputWriter {

  /** Writes the scored rows to the output. */
  void writeScored(Dataset<Row> scored);

  /** Writes the rejected rows (input columns plus {@code _error_*}) to the dead-letter output. */
  void writeRejected(Dataset<Row> rejected);

  /**
   * @return the writer of {@code plan}'s output: tables through {@link TableOutput}, paths as
   *     Parquet
   */
  static OutputWriter forPlan(JobPlan plan) {
    ParquetOutputWriter parquet = new ParquetOutputWriter(plan);
    return plan.outputTable() == null && plan.deadLetterTable() == null
        ? parquet
        : new TableOutput(plan, parquet);
  }
}
