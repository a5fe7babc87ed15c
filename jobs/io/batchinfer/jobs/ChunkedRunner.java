package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.batchinfer.jobs.ChunkPlan.Chunk;
import io.batchinfer.jobs.ChunkPlan.InputFile;
import io.batchinfer.udfs.InferenceMetrics;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.model.Sha256;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: runs a job with {@code output.resume: true} as a sequence of chunks, so a rerun
 * after a failure (an Airflow retry) skips the chunks already done.
 *
 * <p>The input's files ({@code Dataset.inputFiles()}, sorted) are cut into chunks of {@code
 * output.resume_chunk_files}. A chunk's id is a hash of its files' paths, sizes and modification
 * times. Each chunk is the planned input restricted to its files (a filter on Spark's {@code
 * _metadata.file_path}, which prunes the other files at listing time, so a chunk reads only its own
 * files), scored and written by the normal write path into a staging directory, then committed: one
 * directory rename into {@code chunks/<id>/}, then a marker {@code chunks/<id>.done} (the chunk's
 * files and row counts), written only after the data is in place. When every chunk is committed,
 * the output is published: the old output (mode {@code overwrite}) or the partitions the chunks
 * wrote ({@code overwrite-partitions}) are deleted and the chunk files are renamed into place.
 * Until then readers see the previous output unchanged.
 *
 * <p>State lives in {@code <output>/_batchinfer/resume/<run key>/}; the run key hashes the config
 * fingerprint ({@link RunOptions#fingerprint()}) and the model's sha256, so runs that would write
 * different rows never share state, and two days written into one output by {@code
 * overwrite-partitions} don't disturb each other. On a rerun: markers whose chunk is still planned
 * are skipped; markers of chunks no longer planned (the input's file list changed) are discarded
 * with their data; a chunk directory without a marker (a commit cut short) is deleted and the chunk
 * rerun; an interrupted publish is finished first. A completed run removes its state, so the next
 * run with the same config computes everything again. The chunk plan is {@link ChunkPlan} (pure),
 * the on-disk state and its protocol {@link ResumeState}; this class is the loop. Stateless; one
 * call per run.
 */
final class ChunkedRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkedRunner.class);

  private ChunkedRunner() {}

  /**
   * What a resumable run did.
   *
   * @param chunks chunks planned
   * @param chunksSkipped chunks committed by an earlier run and skipped
   * @param skippedRowsIn input rows of the skipped chunks, from their markers
   * @param skippedRowsOut output rows of the skipped chunks
   * @param skippedRowsRejected rejected rows of the skipped chunks
   * @param discarded why committed chunks of an earlier run were thrown away (the input changed)
   * @param runKey the state folder's name
   */
  record Result(
      int chunks,
      int chunksSkipped,
      long skippedRowsIn,
      long skippedRowsOut,
      long skippedRowsRejected,
      List<String> discarded,
      String runKey) {
    /**
     * @return chunks scored by this run
     */
    int chunksRun() {
      return chunks - chunksSkipped;
    }
  }

  static Result run(
      JobPlan plan,
      SparkSession spark,
      Consumer<InferenceMetrics> onMetrics,
      ProgressReporter progress) {
    try {
      return runChunks(plan, spark, onMetrics, progress);
    } catch (IOException e) {
      LOG.error("resume: file system operation under {} failed", plan.outputPath(), e);
      throw new JobFailedException(
          "resume: a file system operation under "
              + plan.outputPath()
              + " failed: "
              + e
              + ". Committed chunks are kept; rerun to continue.");
    }
  }

  private static Result runChunks(
      JobPlan plan,
      SparkSession spark,
      Consumer<InferenceMetrics> onMetrics,
      ProgressReporter progress)
      throws IOException {
    if (Arrays.asList(plan.input().columns()).contains("_metadata")) {
      throw new ValidationException(
          ConfigKeys.OUTPUT_RESUME
              + ": the input has a column named _metadata, which hides"
              + " Spark's file metadata that resume uses to split the input by file. Leave it out with input.columns, or"
              + " turn resume off.");
    }
    Path out = new Path(plan.outputPath());
    FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
    out = fs.makeQualified(out);
    ChunkPlan chunks =
        ChunkPlan.of(inputFiles(fs, plan.input().inputFiles()), plan.options().resumeChunkFiles());
    String key = runKey(plan);
    boolean dynamic = plan.options().dynamicOverwrite();
    ResumeState state = new ResumeState(fs, out, key);
    List<String> discarded = new ArrayList<>();
    Map<String, JsonNode> done = state.open(chunks, dynamic, discarded);

    long skippedIn = 0, skippedOut = 0, skippedRejected = 0;
    int total = chunks.chunks().size();
    for (Chunk chunk : chunks.chunks()) {
      JsonNode marker = done.get(chunk.id());
      if (marker != null) {
        skippedIn += marker.path("rows_in").asLong();
        skippedOut += marker.path("rows_out").asLong();
        skippedRejected += marker.path("rows_rejected").asLong();
        LOG.info(
            "resume: chunk {}/{} ({}) already committed; skipping",
            chunk.index() + 1,
            total,
            chunk.id());
        continue;
      }
      if (progress != null) {
        progress.phase("chunk " + (chunk.index() + 1) + "/" + total);
      }
      Path stage = state.stage(chunk);
      Dataset<Row> input = plan.input().filter(fileFilter(chunk));
      InferenceMetrics s = JobExecutor.execute(plan.forChunk(input, stage.toString()), onMetrics);
      state.commit(chunk, s.rowsIn(), s.rowsOut(), s.rowsRejected(), s.batches());
      LOG.info(
          "resume: committed chunk {}/{} ({}): {} rows in, {} out",
          chunk.index() + 1,
          total,
          chunk.id(),
          s.rowsIn(),
          s.rowsOut());
    }
    if (progress != null) {
      progress.phase("publishing");
    }
    state.publishAndRemove(chunks, dynamic);
    return new Result(
        total, done.size(), skippedIn, skippedOut, skippedRejected, List.copyOf(discarded), key);
  }

  /**
   * @return the input files, canonical, each stat'ed (one listing per folder, not one call per
   *     file)
   */
  static List<InputFile> inputFiles(FileSystem fs, String[] inputFiles) throws IOException {
    Set<String> canonical = new LinkedHashSet<>();
    for (String f : inputFiles) {
      canonical.add(ChunkPlan.canonical(f));
    }
    Map<String, FileStatus> statuses = new LinkedHashMap<>();
    Set<Path> listed = new LinkedHashSet<>();
    for (String f : canonical) {
      Path parent = new Path(URI.create(f)).getParent();
      if (parent != null && listed.add(parent)) {
        for (FileStatus s : fs.listStatus(parent)) {
          statuses.put(ChunkPlan.canonical(s.getPath().toUri().toString()), s);
        }
      }
    }
    List<InputFile> files = new ArrayList<>();
    for (String f : canonical) {
      FileStatus s = statuses.get(f);
      if (s == null) {
        s = fs.getFileStatus(new Path(URI.create(f)));
      }
      files.add(new InputFile(f, s.getLen(), s.getModificationTime()));
    }
    return files;
  }

  /**
   * @return a filter keeping the rows read from {@code chunk}'s files (same canonical form as
   *     {@link ChunkPlan#canonical})
   */
  static Column fileFilter(Chunk chunk) {
    Column path =
        functions.regexp_replace(
            functions.col("_metadata.file_path"), "^([A-Za-z][A-Za-z0-9+.-]*):///", "$1:/");
    return path.isin(chunk.files().stream().map(InputFile::path).toArray());
  }

  /**
   * @return the run key: hashes the config fingerprint, the model's sha256 and the output path
   */
  private static String runKey(JobPlan plan) {
    return Sha256.hex(
            plan.options().fingerprint()
                + "\nmodel "
                + String.join(
                    " ", plan.scoring().models().stream().map(m -> m.model().sha256()).toList())
                + "\noutput "
                + plan.outputPath())
        .substring(0, 16);
  }
}
