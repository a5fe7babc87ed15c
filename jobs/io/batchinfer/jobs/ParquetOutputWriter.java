package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: writes Parquet with {@code output.mode}, {@code output.partition_by} and {@code
 * output.compression} to {@code output.path}, and dead letters to {@code errors.dead_letter_path}.
 * The partition overwrite mode is always set on the writer (static for {@code overwrite}, dynamic
 * for {@code overwrite-partitions}), so a session-wide {@code
 * spark.sql.sources.partitionOverwriteMode} can't change what the config says. An {@code s3a://}
 * path is committed by the S3A committers ({@link ObjectStoreCommit}). Immutable.
 */
final class ParquetOutputWriter implements OutputWriter {
  private static final Logger LOG = LoggerFactory.getLogger(ParquetOutputWriter.class);
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
    write(
        rejected,
        plan.deadLetterPath(),
        inputCols.containsAll(plan.partitionBy()) ? plan.partitionBy() : List.of());
  }

  /**
   * Writes {@code rows}; if the write fails (under {@code fail} the rows are scored while written,
   * so a failing task aborts it), removes the folder Spark created when it did not exist before and
   * holds no data: otherwise a rerun with {@code output.mode: error} would refuse the empty folder.
   */
  private void write(Dataset<Row> rows, String path, List<String> partitionBy) {
    Path out = new Path(path);
    FileSystem fs;
    boolean existed;
    try {
      fs = out.getFileSystem(rows.sparkSession().sparkContext().hadoopConfiguration());
      existed = fs.exists(out);
    } catch (IOException e) {
      throw new JobFailedException(
          "cannot check " + path + " before writing: " + e.getMessage(), e);
    }
    try {
      writeParquet(rows, path, partitionBy);
    } catch (Exception e) {
      // Exception, not RuntimeException: Spark throws its checked SparkException undeclared from
      // Scala.
      if (!existed) {
        removeIfNoData(rows.sparkSession(), fs, out);
      }
      throw e;
    }
  }

  /** How long a failed write waits for the tasks Spark is still killing before cleaning up. */
  private static final long KILLED_TASKS_WAIT_MILLIS = 10_000;

  private static void removeIfNoData(SparkSession spark, FileSystem fs, Path out) {
    // Spark aborts the job as soon as one task fails and kills the others asynchronously: a task
    // still running could recreate the folder after the cleanup. Wait (bounded) until none runs.
    long deadline = System.currentTimeMillis() + KILLED_TASKS_WAIT_MILLIS;
    while (System.currentTimeMillis() < deadline
        && Arrays.stream(spark.sparkContext().statusTracker().getExecutorInfos())
            .anyMatch(x -> x.numRunningTasks() > 0)) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    try {
      String prefix = fs.makeQualified(out).toUri().getPath() + "/";
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(out, true);
      while (files.hasNext()) {
        // Data is any file outside Spark's and Hadoop's bookkeeping (_temporary/, _SUCCESS, .crc).
        String rel = files.next().getPath().toUri().getPath().substring(prefix.length());
        if (Arrays.stream(rel.split("/")).noneMatch(x -> x.startsWith("_") || x.startsWith("."))) {
          return;
        }
      }
      fs.delete(out, true);
      LOG.info(
          "removed {}: the failed write left it empty, and a rerun with output.mode error would refuse it",
          out);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not remove the empty output folder {}: {}", out, e.toString());
    }
  }

  private void writeParquet(Dataset<Row> rows, String path, List<String> partitionBy) {
    boolean replaceOnCommit =
        plan.mode() == SaveMode.Overwrite
            && ObjectStoreCommit.replacesPartitionsOnCommit(
                path, plan.options().dynamicOverwrite());
    DataFrameWriter<Row> writer =
        rows.write()
            // On S3 the partitioned committer replaces the written partitions at job commit.
            .mode(replaceOnCommit ? SaveMode.Append : plan.mode())
            .option("compression", plan.compression())
            .options(ParquetWriteOptions.plainFloatArrays(rows.schema()));
    if (plan.mode() == SaveMode.Overwrite && !replaceOnCommit) {
      writer =
          writer.option(
              "partitionOverwriteMode", plan.options().dynamicOverwrite() ? "dynamic" : "static");
    }
    if (!partitionBy.isEmpty()) {
      writer = writer.partitionBy(partitionBy.toArray(new String[0]));
    }
    try (ObjectStoreCommit.Scope commit =
        ObjectStoreCommit.open(rows.sparkSession(), path, replaceOnCommit)) {
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
        problems.add(
            key
                + ": "
                + fs.makeQualified(p)
                + " exists and output.mode is 'error'. Pass"
                + " --set output.mode=overwrite (or append), or choose another path.");
      }
    } catch (IOException | IllegalArgumentException e) {
      problems.add(key + ": cannot check " + path + ": " + e.getMessage());
    }
  }
}
