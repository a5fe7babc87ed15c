package io.batchinfer.udfs.model;

import io.batchinfer.udfs.ModelDistribution;
import io.batchinfer.udfs.ValidationException;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;

/**
 * Reads a model file once, on the driver, through Hadoop's FileSystem (local path, {@code file://},
 * {@code hdfs://}, {@code s3a://}, ...) and computes its sha256. Driver only; stateless.
 */
public final class ModelLoader {
  /** Largest model a Java byte array (and so a broadcast of it) can hold. */
  static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private ModelLoader() {}

  /**
   * Reads {@code path} and checks it against {@code expectedSha256} when that is non-empty.
   *
   * @param key the config key the path came from, used in messages (e.g. {@code model.path})
   * @throws ValidationException when the file is missing, unreadable, too large, empty or its
   *     sha256 differs from the pin
   */
  public static ModelArtifact load(
      String path, String expectedSha256, Configuration hadoopConf, String key) {
    Loaded file = read(path, hadoopConf, key, "model", "an .onnx file");
    String sha = Sha256.hex(file.bytes());
    if (expectedSha256 != null
        && !expectedSha256.isBlank()
        && !sha.equals(expectedSha256.trim().toLowerCase(Locale.ROOT))) {
      throw new ValidationException(
          "model.sha256: "
              + file.uri()
              + " has sha256 "
              + sha
              + " but the config pins "
              + expectedSha256.trim()
              + ". The model file changed: update model.sha256 if the new model is intended.");
    }
    return new ModelArtifact(file.uri(), sha, file.bytes());
  }

  /** A whole file read through Hadoop: its qualified URI and bytes. */
  public record Loaded(String uri, byte[] bytes) {}

  /**
   * Reads a whole (small or medium) file through Hadoop's FileSystem, on the driver.
   *
   * @param key the config key the path came from, for messages
   * @param what what the file is ("model", "tokenizer"), for messages
   * @param expected what the path should point at, for messages ("an .onnx file")
   * @throws ValidationException when the file is missing, a directory, unreadable, over 2 GB or
   *     empty
   */
  public static Loaded read(
      String path, Configuration hadoopConf, String key, String what, String expected) {
    Path p = new Path(path);
    byte[] bytes;
    String qualified = path;
    try {
      FileSystem fs = p.getFileSystem(hadoopConf);
      qualified = fs.makeQualified(p).toString();
      if (!fs.exists(p)) {
        throw new ValidationException(
            key
                + ": "
                + what
                + " file not found: "
                + qualified
                + ". Check the path, or pass --set "
                + key
                + "=<path to "
                + expected.replaceFirst("^an? ", "").replaceFirst(" file$", "")
                + ">.");
      }
      if (fs.getFileStatus(p).isDirectory()) {
        throw new ValidationException(
            key + ": " + qualified + " is a directory; expected " + expected + ".");
      }
      long len = fs.getFileStatus(p).getLen();
      if (len > MAX_BYTES) {
        throw new ValidationException(
            key
                + ": "
                + qualified
                + " is "
                + len
                + " bytes; files over 2 GB"
                + " go to executors as files: set model.distribution to files (or auto).");
      }
      try (InputStream in = fs.open(p)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) len);
        in.transferTo(out);
        bytes = out.toByteArray();
      }
    } catch (AccessControlException | FileNotFoundException e) {
      throw new ValidationException(
          key + ": cannot read " + what + " " + path + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ValidationException(key + ": cannot read " + what + " " + path + ": " + e);
    }
    if (bytes.length == 0) {
      throw new ValidationException(
          key + ": " + what + " file " + qualified + " is empty; expected " + expected + ".");
    }
    return new Loaded(qualified, bytes);
  }

  /**
   * Plans how the model at {@code path} reaches executors and loads it accordingly: under {@code
   * broadcast} its bytes (as {@link #load}); under {@code files} the list of its files (the graph's
   * external-data references are read from the graph, skipping its weights). With a pin ({@code
   * expectedSha256}) nothing more is read on the driver: each executor checks the files it copies
   * against the pin. Without one, the driver streams each file once to compute the sha256 that keys
   * the executors' caches (no copy, nothing held in memory). {@code auto} picks {@code files} when
   * the model has external data or is larger than {@code thresholdBytes}.
   *
   * @throws ValidationException when a file is missing or unreadable, the model has external data
   *     but {@code broadcast} was asked for, or (broadcast) the sha256 differs from the pin
   */
  public static ModelArtifact load(
      String path,
      String expectedSha256,
      Configuration hadoopConf,
      String key,
      ModelDistribution distribution,
      long thresholdBytes,
      String cacheDir) {
    if (distribution == ModelDistribution.BROADCAST && !path.isBlank()) {
      ModelArtifact artifact = load(path, expectedSha256, hadoopConf, key);
      checkNoExternalData(artifact);
      return artifact;
    }
    Path p = new Path(path);
    List<ModelFiles.ModelFile> sources = new ArrayList<>();
    Set<String> external;
    try {
      FileSystem fs = p.getFileSystem(hadoopConf);
      Path graph = fs.makeQualified(p);
      if (!fs.exists(graph)) {
        throw new ValidationException(
            key
                + ": model file not found: "
                + graph
                + ". Check the path, or pass --set "
                + key
                + "=<path to .onnx>.");
      }
      FileStatus status = fs.getFileStatus(graph);
      if (status.isDirectory()) {
        throw new ValidationException(
            key + ": " + graph + " is a directory; expected an .onnx file.");
      }
      try (InputStream in = new java.io.BufferedInputStream(fs.open(graph), 1 << 16)) {
        external = ExternalData.locations(in, status.getLen());
      } catch (ExternalData.UnsafeLocationException e) {
        throw new ValidationException(
            key
                + ": "
                + graph
                + " is refused: "
                + e.getMessage()
                + ". External data must"
                + " sit in the model's folder or below it.");
      } catch (IOException e) {
        // Not an ONNX model at all: ONNX Runtime says so, with its own reason, when planning opens
        // it.
        external = Set.of();
      }
      long total = status.getLen();
      sources.add(new ModelFiles.ModelFile(graph.getName(), graph.toString(), status.getLen(), ""));
      for (String name : external) {
        Path f = new Path(graph.getParent(), name);
        if (!fs.exists(f)) {
          throw new ValidationException(
              key
                  + ": "
                  + graph
                  + " stores weights in external data file '"
                  + name
                  + "', which is missing: expected "
                  + f
                  + ". Copy it next to the model.");
        }
        long len = fs.getFileStatus(f).getLen();
        total += len;
        sources.add(new ModelFiles.ModelFile(name, f.toString(), len, ""));
      }
      if (distribution == ModelDistribution.AUTO && external.isEmpty() && total <= thresholdBytes) {
        return load(path, expectedSha256, hadoopConf, key);
      }
    } catch (AccessControlException | FileNotFoundException e) {
      throw new ValidationException(key + ": cannot read model " + path + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ValidationException(key + ": cannot read model " + path + ": " + e);
    }
    String pin =
        expectedSha256 == null || expectedSha256.isBlank()
            ? ""
            : expectedSha256.trim().toLowerCase(Locale.ROOT);
    List<ModelFiles.ModelFile> planned;
    if (!pin.isEmpty()) {
      // Pinned: the driver reads no weights; each executor checks its copy against the pin.
      planned = sources;
    } else {
      // Not pinned: the sha256 keys every node's cache, so the driver computes it, streaming each
      // file once (no copy, nothing kept in memory).
      try {
        planned = hashed(sources, hadoopConf);
      } catch (AccessControlException | FileNotFoundException e) {
        throw new ValidationException(key + ": cannot read model " + path + ": " + e.getMessage());
      } catch (IOException e) {
        throw new ValidationException(key + ": cannot read model " + path + ": " + e);
      }
    }
    ModelFiles files = new ModelFiles(planned, cacheDir, new ModelFiles.HadoopConf(hadoopConf));
    String sha = pin.isEmpty() ? files.sha256() : pin;
    return new ModelArtifact(files.graph().uri(), sha, new byte[0], files);
  }

  private static List<ModelFiles.ModelFile> hashed(
      List<ModelFiles.ModelFile> sources, Configuration conf) throws IOException {
    List<ModelFiles.ModelFile> out = new ArrayList<>();
    for (ModelFiles.ModelFile f : sources) {
      Path p = new Path(f.uri());
      java.security.MessageDigest digest = Sha256.digest();
      long n;
      try (InputStream in =
          new java.security.DigestInputStream(p.getFileSystem(conf).open(p), digest)) {
        n = in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      out.add(new ModelFiles.ModelFile(f.name(), f.uri(), n, Sha256.hex(digest)));
    }
    return out;
  }

  /**
   * The message of a model whose files do not match the pin (on the driver for a broadcast model,
   * on the executor that copies a files-distributed one).
   *
   * @param files the files as found, each with its sha256
   */
  static String pinMismatch(ModelFiles files, String found, String pinned) {
    return "model.sha256: "
        + files.graph().uri()
        + (files.externalFiles() == 0
            ? ""
            : " with its " + files.externalFiles() + " external-data file(s)")
        + " has sha256 "
        + found
        + " but the config pins "
        + pinned
        + ". "
        + (files.externalFiles() == 0
            ? ""
            : "The pin covers the graph and every external-data file (sha256sum of each, in this"
                + " order, piped into sha256sum):\n"
                + files.manifest().strip()
                + "\n")
        + "The model changed: update model.sha256 if the new model is intended.";
  }

  private static void checkNoExternalData(ModelArtifact artifact) {
    Set<String> external;
    try {
      external =
          ExternalData.locations(
              new java.io.ByteArrayInputStream(artifact.bytes()), artifact.bytes().length);
    } catch (IOException e) {
      return; // not parseable: the signature check reports the model as invalid
    }
    if (!external.isEmpty()) {
      throw new ValidationException(
          "model.distribution: "
              + artifact.uri()
              + " keeps weights in external data files "
              + external
              + ", which a broadcast cannot carry. Set model.distribution to files (or auto).");
    }
  }

  /** Wraps bytes already in memory (e.g. a model built in a program) as an artifact. */
  public static ModelArtifact fromBytes(String name, byte[] bytes) {
    return new ModelArtifact("memory:" + name, Sha256.hex(bytes), bytes);
  }
}
