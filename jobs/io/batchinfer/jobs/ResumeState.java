package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.jobs.ChunkPlan.Chunk;
import io.batchinfer.jobs.ChunkPlan.InputFile;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: the on-disk state of one resumable run, {@code <output>/_batchinfer/resume/<run
 * key>/}, and its protocol. A chunk is written into {@code staging/<id>/}, committed by one
 * directory rename into {@code chunks/<id>/} and then a marker {@code chunks/<id>.done} (its files
 * and row counts), written only after the data is in place. Publishing deletes the old output (mode
 * {@code overwrite}) or the partitions the chunks wrote ({@code overwrite-partitions}) once, writes
 * {@code _PUBLISHING}, then moves the chunk files into place and writes {@code _SUCCESS}; an
 * interrupted publish is finished by the next run. Not thread-safe; one instance per run.
 */
final class ResumeState {
  private static final Logger LOG = LoggerFactory.getLogger(ResumeState.class);

  /** Under the output path: one folder per run key. */
  static final String RESUME_DIR = "_batchinfer/resume";

  private static final String PUBLISHING = "_PUBLISHING";
  private static final String DONE = ".done";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path out;
  private final Path root;
  private final Path state;
  private final Path committed;
  private final Path staging;
  private final String key;

  /**
   * @param fs the output's file system
   * @param out the output path, qualified
   * @param key the run key (see {@link ChunkedRunner})
   */
  ResumeState(FileSystem fs, Path out, String key) {
    this.fs = fs;
    this.out = out;
    this.key = key;
    this.root = new Path(out, RESUME_DIR);
    this.state = new Path(root, key);
    this.committed = new Path(state, "chunks");
    this.staging = new Path(state, "staging");
  }

  /**
   * Makes the state ready for a run: removes other runs' state when this run owns the whole output
   * ({@code overwrite}), finishes a publish that was cut short (then starts afresh), clears
   * staging, and matches the committed chunks against {@code plan}.
   *
   * @param discarded receives why committed chunks were thrown away (their files changed)
   * @return the markers of chunks to skip, by chunk id
   */
  Map<String, JsonNode> open(ChunkPlan plan, boolean dynamic, List<String> discarded)
      throws IOException {
    if (!dynamic) {
      deleteOtherRuns(fs, root, key);
    }
    if (fs.exists(new Path(state, PUBLISHING))) {
      // A publish was cut short: finish it as it was planned, then start this run afresh.
      LOG.warn("resume: finishing the interrupted publish of {} before starting", state);
      publish(fs, out, state, committed, readMarkerIds(fs, committed), dynamic);
      fs.delete(state, true);
    }
    fs.delete(staging, true);
    return reconcile(fs, committed, plan.chunks(), discarded);
  }

  /**
   * @return the empty staging folder to write {@code chunk} into (a leftover committed folder
   *     without marker is removed)
   */
  Path stage(Chunk chunk) throws IOException {
    fs.delete(new Path(committed, chunk.id()), true);
    return new Path(staging, chunk.id());
  }

  /** Commits a chunk written to {@link #stage}: rename into {@code chunks/}, then the marker. */
  void commit(Chunk chunk, long rowsIn, long rowsOut, long rowsRejected, long batches)
      throws IOException {
    Path stage = new Path(staging, chunk.id());
    Path target = new Path(committed, chunk.id());
    fs.mkdirs(committed);
    if (!fs.rename(stage, target)) {
      throw new IOException("cannot rename " + stage + " to " + target);
    }
    writeMarker(fs, committed, chunk, rowsIn, rowsOut, rowsRejected, batches);
  }

  /** Publishes every chunk of {@code plan} into the output, then removes the state. */
  void publishAndRemove(ChunkPlan plan, boolean dynamic) throws IOException {
    publish(fs, out, state, committed, plan.ids(), dynamic);
    fs.delete(state, true);
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
  private static Map<String, JsonNode> reconcile(
      FileSystem fs, Path committed, List<Chunk> chunks, List<String> discarded)
      throws IOException {
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
      String why =
          "chunk "
              + id
              + " ("
              + files.size()
              + " files, first "
              + (files.isEmpty() ? "-" : files.get(0))
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
      if (!f.path().equals(m.path("path").asText())
          || f.length() != m.path("length").asLong()
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

  private static void writeMarker(
      FileSystem fs,
      Path committed,
      Chunk chunk,
      long rowsIn,
      long rowsOut,
      long rowsRejected,
      long batches)
      throws IOException {
    ObjectNode marker = JSON.createObjectNode();
    marker.put("chunk", chunk.id());
    marker.put("index", chunk.index());
    ArrayNode files = marker.putArray("files");
    for (InputFile f : chunk.files()) {
      files
          .addObject()
          .put("path", f.path())
          .put("length", f.length())
          .put("modified", f.modified());
    }
    marker.put("rows_in", rowsIn);
    marker.put("rows_out", rowsOut);
    marker.put("rows_rejected", rowsRejected);
    marker.put("batches", batches);
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
   * Moves the committed chunks' files into the output. Deleting the old output happens once, before
   * a {@code _PUBLISHING} marker is written; a publish resumed after a crash only moves the files
   * still left, so it is safe to repeat.
   */
  private static void publish(
      FileSystem fs, Path out, Path state, Path committed, List<String> ids, boolean dynamic)
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

  /**
   * @return true for Spark's and Hadoop's bookkeeping files ({@code _SUCCESS}, {@code .crc}) at any
   *     depth
   */
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
