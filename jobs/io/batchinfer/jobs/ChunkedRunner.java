package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.InferenceMetrics;
import io.batchinfer.udfs.ValidationException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
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
 * _metadata.file_path}, which prunes the other files at listing time, so a chunk reads only its
 * own files), scored and written by the normal write path into a staging directory, then
 * committed: one directory rename into {@code chunks/<id>/}, then a marker {@code
 * chunks/<id>.done} (the chunk's files and row counts), written only after the data is in place.
 * When every chunk is committed, the output is published: the old output (mode {@code
 * overwrite}) or the partitions the chunks wrote ({@code overwrite-partitions}) are deleted and
 * the chunk files are renamed into place. Until then readers see the previous output unchanged.
 *
 * <p>State lives in {@code <output>/_batchinfer/resume/<run key>/}; the run key hashes the config
 * fingerprint ({@link RunOptions#fingerprint()}) and the model's sha256, so runs that would write
 * different rows never share state, and two days written into one output by {@code
 * overwrite-partitions} don't disturb each other. On a rerun: markers whose chunk is still planned
 * are skipped; markers of chunks no longer planned (the input's file list changed) are discarded
 * with their data; a chunk directory without a marker (a commit cut short) is deleted and the
 * chunk rerun; an interrupted publish is finished first. A completed run removes its state, so
 * the next run with the same config computes everything again. Stateless; one call per run.
 */
final class ChunkedRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkedRunner.class);
  /** Under the output path: one folder per run key. */
  static final String RESUME_DIR = "_batchinfer/resume";
  private static final String PUBLISHING = "_PUBLISHING";
  private static final String DONE = ".done";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChunkedRunner() {}

  /** One input file as the chunk id sees it. */
  record InputFile(String path, long length, long modified) {}

  /** A group of input files scored and committed together. */
  record Chunk(int index, String id, List<InputFile> files) {}

  /**
   * What a resumable run did.
   *
   * @param summary rows and timing of the chunks scored by this run (not the skipped ones)
   * @param chunks chunks planned
   * @param chunksSkipped chunks committed by an earlier run and skipped
   * @param skippedRowsIn input rows of the skipped chunks, from their markers
   * @param skippedRowsOut output rows of the skipped chunks
   * @param skippedRowsRejected rejected rows of the skipped chunks
   * @param discarded why committed chunks of an earlier run were thrown away (the input changed)
   * @param runKey the state folder's name
   */
  record Result(RunSummary summary, int chunks, int chunksSkipped, long skippedRowsIn, long skippedRowsOut,
      long skippedRowsRejected, List<String> discarded, String runKey) {
    /** @return chunks scored by this run */
    int chunksRun() {
      return chunks - chunksSkipped;
    }
  }

  static Result run(JobPlan plan, SparkSession spark, Consumer<InferenceMetrics> onMetrics, ProgressReporter progress) {
    try {
      return runChunks(plan, spark, onMetrics, progress);
    } catch (IOException e) {
      LOG.error("resume: file system operation under {} failed", plan.outputPath(), e);
      throw new JobFailedException("resume: a file system operation under " + plan.outputPath() + " failed: " + e
          + ". Committed chunks are kept; rerun to continue.");
    }
  }

  private static Result runChunks(JobPlan plan, SparkSession spark, Consumer<InferenceMetrics> onMetrics,
      ProgressReporter progress) throws IOException {
    if (Arrays.asList(plan.input().columns()).contains("_metadata")) {
      throw new ValidationException(ConfigKeys.OUTPUT_RESUME + ": the input has a column named _metadata, which hides"
          + " Spark's file metadata that resume uses to split the input by file. Leave it out with input.columns, or"
          + " turn resume off.");
    }
    Path out = new Path(plan.outputPath());
    FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
    out = fs.makeQualified(out);
    List<Chunk> chunks = plan(fs, plan.input().inputFiles(), plan.options().resumeChunkFiles());
    String key = runKey(plan);
    Path root = new Path(out, RESUME_DIR);
    Path state = new Path(root, key);
    Path committed = new Path(state, "chunks");
    Path staging = new Path(state, "staging");
    if (!plan.options().dynamicOverwrite()) {
      deleteOtherRuns(fs, root, key);
    }
    if (fs.exists(new Path(state, PUBLISHING))) {
      // A publish was cut short: finish it as it was planned, then start this run afresh.
      LOG.warn("resume: finishing the interrupted publish of {} before starting", state);
      publish(fs, out, state, committed, readMarkerIds(fs, committed), plan.options().dynamicOverwrite());
      fs.delete(state, true);
    }
    fs.delete(staging, true);
    List<String> discarded = new ArrayList<>();
    Map<String, JsonNode> done = reconcile(fs, committed, chunks, discarded);

    long wallStart = System.nanoTime();
    long rowsIn = 0, rowsOut = 0, rejected = 0, batches = 0, sessions = 0, truncated = 0;
    double inference = 0;
    long skippedIn = 0, skippedOut = 0, skippedRejected = 0;
    String appId = spark.sparkContext().applicationId();
    for (Chunk chunk : chunks) {
      JsonNode marker = done.get(chunk.id());
      if (marker != null) {
        skippedIn += marker.path("rows_in").asLong();
        skippedOut += marker.path("rows_out").asLong();
        skippedRejected += marker.path("rows_rejected").asLong();
        LOG.info("resume: chunk {}/{} ({}) already committed; skipping", chunk.index() + 1, chunks.size(), chunk.id());
        continue;
      }
      if (progress != null) {
        progress.phase("chunk " + (chunk.index() + 1) + "/" + chunks.size());
      }
      Path stage = new Path(staging, chunk.id());
      Path target = new Path(committed, chunk.id());
      fs.delete(target, true);
      Dataset<Row> input = plan.input().filter(fileFilter(chunk));
      RunSummary s = BatchInferenceJob.execute(plan.forChunk(input, stage.toString()), spark, onMetrics);
      fs.mkdirs(committed);
      if (!fs.rename(stage, target)) {
        throw new IOException("cannot rename " + stage + " to " + target);
      }
      writeMarker(fs, committed, chunk, s);
      LOG.info("resume: committed chunk {}/{} ({}): {} rows in, {} out", chunk.index() + 1, chunks.size(),
          chunk.id(), s.rowsIn(), s.rowsOut());
      rowsIn += s.rowsIn();
      rowsOut += s.rowsOut();
      rejected += s.rowsRejected();
      batches += s.batches();
      sessions += s.sessionsCreated();
      truncated += s.textsTruncated();
      inference += s.inferenceSeconds();
    }
    if (progress != null) {
      progress.phase("publishing");
    }
    List<String> ids = chunks.stream().map(Chunk::id).toList();
    publish(fs, out, state, committed, ids, plan.options().dynamicOverwrite());
    fs.delete(state, true);
    double wall = (System.nanoTime() - wallStart) / 1e9;
    RunSummary summary = new RunSummary(plan.name(), rowsIn, rowsOut, rejected, batches, sessions, truncated, inference,
        wall, plan.outputPath(), plan.deadLetterPath(), appId, plan.skippedFiles().size(), null);
    return new Result(summary, chunks.size(), done.size(), skippedIn, skippedOut, skippedRejected,
        List.copyOf(discarded), key);
  }

  /** @return the chunks: files canonicalized, sorted, stat'ed (one listing per folder), cut into groups */
  static List<Chunk> plan(FileSystem fs, String[] inputFiles, int filesPerChunk) throws IOException {
    TreeSet<String> sorted = new TreeSet<>();
    for (String f : inputFiles) {
      sorted.add(canonical(f));
    }
    Map<String, FileStatus> statuses = new LinkedHashMap<>();
    Set<Path> listed = new LinkedHashSet<>();
    for (String f : sorted) {
      Path parent = new Path(URI.create(f)).getParent();
      if (parent != null && listed.add(parent)) {
        for (FileStatus s : fs.listStatus(parent)) {
          statuses.put(canonical(s.getPath().toUri().toString()), s);
        }
      }
    }
    List<InputFile> files = new ArrayList<>();
    for (String f : sorted) {
      FileStatus s = statuses.get(f);
      if (s == null) {
        s = fs.getFileStatus(new Path(URI.create(f)));
      }
      files.add(new InputFile(f, s.getLen(), s.getModificationTime()));
    }
    List<Chunk> chunks = new ArrayList<>();
    for (int start = 0, index = 0; start < files.size(); start += filesPerChunk, index++) {
      List<InputFile> group = List.copyOf(files.subList(start, Math.min(start + filesPerChunk, files.size())));
      chunks.add(new Chunk(index, chunkId(group), group));
    }
    return chunks;
  }

  /**
   * @return {@code file} as {@code scheme:[//authority]/path}, URL-encoded, so {@code
   *     inputFiles()} ({@code file:///x}) and {@code _metadata.file_path} ({@code file:/x}) agree
   */
  static String canonical(String file) {
    URI u = URI.create(file);
    if (u.getScheme() == null) {
      return file;
    }
    String authority = u.getRawAuthority();
    return u.getScheme() + ":" + (authority == null || authority.isEmpty() ? "" : "//" + authority) + u.getRawPath();
  }

  /** @return a filter keeping the rows read from {@code chunk}'s files (same canonical form as {@link #canonical}) */
  static Column fileFilter(Chunk chunk) {
    Column path = functions.regexp_replace(functions.col("_metadata.file_path"), "^([A-Za-z][A-Za-z0-9+.-]*):///",
        "$1:/");
    return path.isin(chunk.files().stream().map(InputFile::path).toArray());
  }

  static String chunkId(List<InputFile> files) {
    StringBuilder sb = new StringBuilder();
    for (InputFile f : files) {
      sb.append(f.path()).append('\t').append(f.length()).append('\t').append(f.modified()).append('\n');
    }
    return sha256(sb.toString()).substring(0, 16);
  }

  private static String runKey(JobPlan plan) {
    return sha256(plan.options().fingerprint() + "\nmodel " + plan.inference().model().sha256() + "\noutput "
        + plan.outputPath()).substring(0, 16);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Mode overwrite owns the whole output path: state of any other run key is stale. */
  private static void deleteOtherRuns(FileSystem fs, Path root, String key) throws IOException {
    if (!fs.exists(root)) {
      return;
    }
    for (FileStatus s : fs.listStatus(root)) {
      if (!s.getPath().getName().equals(key)) {
        LOG.info("resume: removing stale state {}", s.getPath());
        fs.delete(s.getPath(), true);
      }
    }
  }

  /**
   * Matches the committed chunks against the plan: keeps markers of planned chunks with the same
   * files, discards the rest with their data, and deletes chunk folders that have no marker.
   *
   * @return the markers of chunks to skip, by chunk id
   */
  private static Map<String, JsonNode> reconcile(FileSystem fs, Path committed, List<Chunk> chunks,
      List<String> discarded) throws IOException {
    Map<String, JsonNode> done = new LinkedHashMap<>();
    if (!fs.exists(committed)) {
      return done;
    }
    Map<String, Chunk> planned = new LinkedHashMap<>();
    chunks.forEach(c -> planned.put(c.id(), c));
    for (FileStatus s : fs.listStatus(committed)) {
      String name = s.getPath().getName();
      if (!s.isFile() || !name.endsWith(DONE)) {
        continue;
      }
      String id = name.substring(0, name.length() - DONE.length());
      JsonNode marker = JSON.readTree(read(fs, s.getPath()));
      Chunk chunk = planned.get(id);
      if (chunk != null && sameFiles(marker, chunk)) {
        done.put(id, marker);
        continue;
      }
      List<String> files = new ArrayList<>();
      marker.path("files").forEach(f -> files.add(f.path("path").asText()));
      String why = "chunk " + id + " (" + files.size() + " files, first " + (files.isEmpty() ? "-" : files.get(0))
          + ") was committed by an earlier run but its files are no longer an input chunk: the input changed since"
          + " then; its output is discarded and its rows are scored again";
      LOG.warn("resume: {}", why);
      discarded.add(why);
      fs.delete(s.getPath(), true);
      fs.delete(new Path(committed, id), true);
    }
    for (FileStatus s : fs.listStatus(committed)) {
      if (s.isDirectory() && !done.containsKey(s.getPath().getName())) {
        LOG.info("resume: deleting {}: its commit was cut short (no marker)", s.getPath());
        fs.delete(s.getPath(), true);
      } else if (s.isFile() && !s.getPath().getName().endsWith(DONE)) {
        fs.delete(s.getPath(), false);
      }
    }
    return done;
  }

  private static boolean sameFiles(JsonNode marker, Chunk chunk) {
    JsonNode files = marker.path("files");
    if (!files.isArray() || files.size() != chunk.files().size()) {
      return false;
    }
    for (int i = 0; i < files.size(); i++) {
      InputFile f = chunk.files().get(i);
      JsonNode m = files.get(i);
      if (!f.path().equals(m.path("path").asText()) || f.length() != m.path("length").asLong()
          || f.modified() != m.path("modified").asLong()) {
        return false;
      }
    }
    return true;
  }

  private static List<String> readMarkerIds(FileSystem fs, Path committed) throws IOException {
    List<String> ids = new ArrayList<>();
    if (fs.exists(committed)) {
      for (FileStatus s : fs.listStatus(committed)) {
        String name = s.getPath().getName();
        if (s.isFile() && name.endsWith(DONE)) {
          ids.add(name.substring(0, name.length() - DONE.length()));
        }
      }
    }
    ids.sort(null);
    return ids;
  }

  private static void writeMarker(FileSystem fs, Path committed, Chunk chunk, RunSummary s) throws IOException {
    ObjectNode marker = JSON.createObjectNode();
    marker.put("chunk", chunk.id());
    marker.put("index", chunk.index());
    ArrayNode files = marker.putArray("files");
    for (InputFile f : chunk.files()) {
      files.addObject().put("path", f.path()).put("length", f.length()).put("modified", f.modified());
    }
    marker.put("rows_in", s.rowsIn());
    marker.put("rows_out", s.rowsOut());
    marker.put("rows_rejected", s.rowsRejected());
    marker.put("batches", s.batches());
    marker.put("committed_at", Instant.now().toString());
    Path tmp = new Path(committed, chunk.id() + DONE + ".tmp");
    try (OutputStream os = fs.create(tmp, true)) {
      os.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(marker));
    }
    Path done = new Path(committed, chunk.id() + DONE);
    if (!fs.rename(tmp, done)) {
      throw new IOException("cannot rename " + tmp + " to " + done);
    }
  }

  /**
   * Moves the committed chunks' files into the output. Deleting the old output happens once,
   * before a {@code _PUBLISHING} marker is written; a publish resumed after a crash only moves the
   * files still left, so it is safe to repeat.
   */
  private static void publish(FileSystem fs, Path out, Path state, Path committed, List<String> ids, boolean dynamic)
      throws IOException {
    Path publishing = new Path(state, PUBLISHING);
    List<Path[]> moves = new ArrayList<>();
    Set<String> partitions = new TreeSet<>();
    for (String id : ids) {
      Path dir = new Path(committed, id);
      if (!fs.exists(dir)) {
        continue;
      }
      // Decoded paths: Path(parent, child) encodes the child again.
      String prefix = fs.makeQualified(dir).toUri().getPath() + "/";
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        Path p = it.next().getPath();
        String rel = p.toUri().getPath().substring(prefix.length());
        if (hidden(rel)) {
          continue;
        }
        Path dst = new Path(out, rel);
        moves.add(new Path[] {p, dst});
        if (dst.getParent() != null && !dst.getParent().equals(out)) {
          partitions.add(rel.substring(0, rel.lastIndexOf('/')));
        }
      }
    }
    if (!fs.exists(publishing)) {
      if (dynamic) {
        for (String partition : partitions) {
          fs.delete(new Path(out, partition), true);
        }
      } else if (fs.exists(out)) {
        for (FileStatus s : fs.listStatus(out)) {
          if (!s.getPath().getName().equals("_batchinfer")) {
            fs.delete(s.getPath(), true);
          }
        }
      }
      fs.create(publishing, true).close();
    }
    for (Path[] move : moves) {
      fs.mkdirs(move[1].getParent());
      if (!fs.rename(move[0], move[1])) {
        throw new IOException("cannot move " + move[0] + " to " + move[1]);
      }
    }
    fs.create(new Path(out, "_SUCCESS"), true).close();
  }

  /** @return true for Spark's and Hadoop's bookkeeping files ({@code _SUCCESS}, {@code .crc}) at any depth */
  private static boolean hidden(String rel) {
    for (String part : rel.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String read(FileSystem fs, Path p) throws IOException {
    try (var in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
