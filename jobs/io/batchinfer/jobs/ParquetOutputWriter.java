package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: writes Parquet with {@code output.mode}, {@code output.partition_by} and {@code
 * output.compression} to {@code output.path}, and dead letters to {@code errors.dead_letter_path}.
 * The partition overwrite mode is always set on the writer (static for {@code overwrite}, dynamic
 * for {@code overwrite-partitions}), so a session-wide {@code
 * spark.sql.sources.partitionOverwriteMode} can't change what the config says. An {@code s3a://}
 * path is committed by the S3A committers ({@link ObjectStoreCommit}). Immutable.
 */
final class ParquetOutputWriter implements OutputWriter {
  private final JobPlan plan;

  ParquetOutputWriter(JobPlan plan) {
    this.plan = plan;
  }

  @Override
  public void writeScored(Dataset<Row> scored) {
    write(scored, plan.outputPath(), plan.partitionBy());
  }

  @Override
  public void writeRejected(Dataset<Row> rejected) {
    // Partitioned like the output when the partition columns are input columns (always so under
    // overwrite-partitions, checked by JobPlanner): a rerun of a day replaces only that day's dead
    // letters.
    List<String> inputCols = List.of(plan.input().columns());
    write(rejected, plan.deadLetterPath(), inputCols.containsAll(plan.partitionBy()) ? plan.partitionBy() : List.of());
  }

  private void write(Dataset<Row> rows, String path, List<String> partitionBy) {
    DataFrameWriter<Row> writer = rows.write()
        .mode(plan.mode())
        .option("compression", plan.compression());
    if (plan.mode() == SaveMode.Overwrite) {
      writer = writer.option("partitionOverwriteMode", plan.options().dynamicOverwrite() ? "dynamic" : "static");
    }
    if (!partitionBy.isEmpty()) {
      writer = writer.partitionBy(partitionBy.toArray(new String[0]));
    }
    try (ObjectStoreCommit.Scope commit = ObjectStoreCommit.open(rows.sparkSession(), path)) {
      writer.options(commit.writeOptions()).parquet(path);
    }
  }

  /**
   * Under {@code output.mode: error}, checks before anything runs that {@code path} does not exist.
   *
   * @param key the config key of {@code path}, for the message
   */
  static void checkAbsent(String key, String path, SparkSession spark, Problems problems) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p)) {
        problems.add(key + ": " + fs.makeQualified(p) + " exists and output.mode is 'error'. Pass"
            + " --set output.mode=overwrite (or append), or choose another path.");
      }
    } catch (IOException | IllegalArgumentException e) {
      problems.add(key + ": cannot check " + path + ": " + e.getMessage());
    }
  }
}
