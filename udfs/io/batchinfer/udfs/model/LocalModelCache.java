package io.batchinfer.udfs.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node-local folder of model files (distribution {@code files}), keyed by the model's sha256:
 * {@code <cache dir>/<sha256>/} holds the graph and its external-data files under their relative
 * names, so ONNX Runtime loads the model by path and resolves external data next to it.
 *
 * <p>Each model is copied once per node: a copy is written into a temporary folder, checked file by
 * file against the sha256s the driver found, and renamed atomically into place; a lock file ({@code
 * <sha256>.lock}, an OS file lock) makes the executors of a node that start at the same time wait
 * for the first copy instead of copying again, and a per-JVM map makes later tasks skip even the
 * lock. A half-written copy never has the final name. Folders are not deleted (a node keeps the
 * models it ran; clean {@code model.cache_dir} out of band).
 *
 * <p>Executor JVM singleton (the driver only uses it when planning has to open the whole model).
 * Thread-safe.
 */
public final class LocalModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(LocalModelCache.class);

  /** Folder name under {@code java.io.tmpdir} when {@code model.cache_dir} is not set. */
  public static final String DEFAULT_DIR_NAME = "batchinfer-model-cache";

  private static final Map<String, Path> MATERIALIZED = new ConcurrentHashMap<>();
  private static final Map<String, Object> JVM_LOCKS = new ConcurrentHashMap<>();
  private static final AtomicLong COPIES = new AtomicLong();

  private LocalModelCache() {}

  /**
   * @return {@code configured}, or {@code <java.io.tmpdir>/batchinfer-model-cache} when null or
   *     blank
   */
  public static Path cacheDir(String configured) {
    return configured == null || configured.isBlank()
        ? Path.of(System.getProperty("java.io.tmpdir"), DEFAULT_DIR_NAME)
        : Path.of(configured);
  }

  /**
   * Returns the local path of the model's graph file, copying the files into this node's cache
   * first unless another task or executor already did. Executor side.
   *
   * @throws ModelChangedException when a file's content differs from what the driver planned with
   * @throws UncheckedIOException when the files cannot be read or the cache cannot be written
   */
  public static Path materialize(ModelArtifact model) {
    ModelFiles files = model.files();
    Path dir = cacheDir(files.cacheDir());
    return materialize(model.sha256(), dir, () -> copyAll(files, dir, model.sha256()));
  }

  /**
   * @return how many model copies this JVM has made (for tests and the doctor)
   */
  public static long copies() {
    return COPIES.get();
  }

  /** Forgets this JVM's map of copied models (the files stay). For tests. */
  public static void forget() {
    MATERIALIZED.clear();
  }

  /** A finished copy in a temporary folder: the folder and the files with their sha256. */
  private record Copy(Path tmpDir, List<ModelFiles.ModelFile> files) {}

  private static Path materialize(String sha256, Path dir, CopierUnchecked copier) {
    // Any copy this JVM made serves (in local mode the driver's copy serves the tasks).
    Path known = MATERIALIZED.get(sha256);
    if (known != null && Files.exists(known)) {
      return known;
    }
    synchronized (
        JVM_LOCKS.computeIfAbsent(dir.toAbsolutePath() + "/" + sha256, k -> new Object())) {
      try {
        Files.createDirectories(dir);
        Path target = dir.resolve(sha256);
        try (FileChannel lockFile =
                FileChannel.open(
                    dir.resolve(sha256 + ".lock"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = acquire(lockFile, dir.resolve(sha256 + ".lock"))) {
          Path graph = graphIn(target);
          if (graph == null) {
            long start = System.nanoTime();
            Copy copy = copier.get();
            try {
              Files.move(copy.tmpDir(), target, StandardCopyOption.ATOMIC_MOVE);
              COPIES.incrementAndGet();
              LOG.info(
                  "copied model sha256={} ({} files, {} bytes) into {} in {} ms",
                  sha256.substring(0, 12),
                  copy.files().size(),
                  copy.files().stream().mapToLong(ModelFiles.ModelFile::bytes).sum(),
                  target,
                  (System.nanoTime() - start) / 1_000_000);
            } catch (FileAlreadyExistsException
                | DirectoryNotEmptyException
                | AtomicMoveNotSupportedException e) {
              // Another process without a working lock (a network file system) won the race.
              deleteTree(copy.tmpDir());
            }
            Files.writeString(target.resolve(".graph"), copy.files().get(0).name());
            graph = graphIn(target);
          }
          MATERIALIZED.put(sha256, graph);
          return graph;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "model.cache_dir: cannot prepare model sha256="
                + sha256.substring(0, 12)
                + " in "
                + dir
                + ": "
                + e.getMessage()
                + ". Set model.cache_dir to a writable local folder with room"
                + " for the model.",
            e);
      }
    }
  }

  /** How long an executor waits for another process of its node to finish copying the model. */
  static final Duration LOCK_WAIT = Duration.ofMinutes(20);

  /**
   * Takes the node-wide copy lock, waiting at most {@link #LOCK_WAIT}: a copier that hangs (a stuck
   * network read) must not hold every other executor of the node forever.
   */
  private static FileLock acquire(FileChannel channel, Path lockPath) throws IOException {
    long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
    while (true) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "model.cache_dir: another process of this node has held "
                + lockPath
                + " for over "
                + LOCK_WAIT.toMinutes()
                + " minutes while copying the model (an OS lock, released when that process"
                + " exits); stop the stuck executor, or set model.cache_dir to another folder");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + lockPath, e);
      }
    }
  }

  private interface CopierUnchecked {
    Copy get() throws IOException;
  }

  /**
   * @return the graph file of a complete cache folder, or null when the folder is absent or
   *     incomplete
   */
  private static Path graphIn(Path target) throws IOException {
    Path marker = target.resolve(".graph");
    if (!Files.isRegularFile(marker)) {
      return Files.isDirectory(target) ? findGraph(target) : null;
    }
    Path graph = target.resolve(Files.readString(marker).trim());
    return Files.isRegularFile(graph) ? graph : null;
  }

  private static Path findGraph(Path target) throws IOException {
    // A folder renamed into place whose marker was not written yet (the writer died in between):
    // it is complete, since it only gets its name after every file was checked.
    try (Stream<Path> s = Files.list(target)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".onnx")).findFirst().orElse(null);
    }
  }

  /**
   * Copies every file into a temporary folder under {@code dir}, computing each file's sha256 on
   * the way, and checks each against the sha256 the driver found, or (pinned model, for which the
   * driver read no weights) the whole model against the pin {@code sha256}.
   */
  private static Copy copyAll(ModelFiles files, Path dir, String sha256) throws IOException {
    Files.createDirectories(dir);
    Path tmp = Files.createTempDirectory(dir, ".copy-");
    try {
      Configuration conf = files.hadoop().get();
      List<ModelFiles.ModelFile> copied = new ArrayList<>();
      for (ModelFiles.ModelFile f : files.files()) {
        Path local = tmp.resolve(f.name()).normalize();
        if (!local.startsWith(tmp)) {
          throw new IOException(
              "external data location '" + f.name() + "' is outside the model's folder");
        }
        Files.createDirectories(local.getParent());
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(f.uri());
        FileSystem fs = src.getFileSystem(conf);
        MessageDigest digest = Sha256.digest();
        long n;
        try (InputStream in = fs.open(src);
            OutputStream out = new DigestOutputStream(Files.newOutputStream(local), digest)) {
          n = in.transferTo(out);
        }
        String sha = Sha256.hex(digest);
        if (!f.sha256().isEmpty() && (!sha.equals(f.sha256()) || n != f.bytes())) {
          throw new ModelChangedException(
              "model.sha256: "
                  + f.uri()
                  + " changed after the job was planned: now "
                  + n
                  + " bytes with sha256 "
                  + sha
                  + ", planned "
                  + f.bytes()
                  + " bytes with sha256 "
                  + f.sha256()
                  + ". Do not replace model files while a job runs; run the job again.");
        }
        copied.add(new ModelFiles.ModelFile(f.name(), f.uri(), n, sha));
      }
      ModelFiles found = new ModelFiles(copied, files.cacheDir(), files.hadoop());
      if (!found.sha256().equals(sha256)) {
        throw new ModelChangedException(ModelLoader.pinMismatch(found, found.sha256(), sha256));
      }
      return new Copy(tmp, copied);
    } catch (IOException | RuntimeException e) {
      deleteTree(tmp);
      throw e;
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }

  /** Thrown on an executor when a model file differs from the one the job was planned with. */
  public static final class ModelChangedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ModelChangedException(String message) {
      super(message);
    }
  }
}
