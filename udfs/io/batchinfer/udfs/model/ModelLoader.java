package io.batchinfer.udfs.model;

import io.batchinfer.udfs.ValidationException;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;

/**
 * Reads a model file once, on the driver, through Hadoop's FileSystem (local path, {@code
 * file://}, {@code hdfs://}, {@code s3a://}, ...) and computes its sha256. Driver only; stateless.
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
  public static ModelArtifact load(String path, String expectedSha256, Configuration hadoopConf, String key) {
    Loaded file = read(path, hadoopConf, key, "model", "an .onnx file");
    String sha = Sha256.hex(file.bytes());
    if (expectedSha256 != null && !expectedSha256.isBlank()
        && !sha.equals(expectedSha256.trim().toLowerCase(Locale.ROOT))) {
      throw new ValidationException("model.sha256: " + file.uri() + " has sha256 " + sha + " but the config pins "
          + expectedSha256.trim() + ". The model file changed: update model.sha256 if the new model is intended.");
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
   * @throws ValidationException when the file is missing, a directory, unreadable, over 2 GB or empty
   */
  public static Loaded read(String path, Configuration hadoopConf, String key, String what, String expected) {
    Path p = new Path(path);
    byte[] bytes;
    String qualified = path;
    try {
      FileSystem fs = p.getFileSystem(hadoopConf);
      qualified = fs.makeQualified(p).toString();
      if (!fs.exists(p)) {
        throw new ValidationException(key + ": " + what + " file not found: " + qualified
            + ". Check the path, or pass --set " + key + "=<path to " + expected.replaceFirst("^an? ", "").replaceFirst(" file$", "") + ">.");
      }
      if (fs.getFileStatus(p).isDirectory()) {
        throw new ValidationException(key + ": " + qualified + " is a directory; expected " + expected + ".");
      }
      long len = fs.getFileStatus(p).getLen();
      if (len > MAX_BYTES) {
        throw new ValidationException(key + ": " + qualified + " is " + len + " bytes; files over 2 GB"
            + " (e.g. external-data ONNX models) are not supported yet.");
      }
      try (InputStream in = fs.open(p)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) len);
        in.transferTo(out);
        bytes = out.toByteArray();
      }
    } catch (AccessControlException | FileNotFoundException e) {
      throw new ValidationException(key + ": cannot read " + what + " " + path + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ValidationException(key + ": cannot read " + what + " " + path + ": " + e);
    }
    if (bytes.length == 0) {
      throw new ValidationException(key + ": " + what + " file " + qualified + " is empty; expected " + expected + ".");
    }
    return new Loaded(qualified, bytes);
  }

  /** Wraps bytes already in memory (e.g. a model built in a program) as an artifact. */
  public static ModelArtifact fromBytes(String name, byte[] bytes) {
    return new ModelArtifact("memory:" + name, Sha256.hex(bytes), bytes);
  }

}
