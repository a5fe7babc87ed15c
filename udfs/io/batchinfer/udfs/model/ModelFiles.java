package io.batchinfer.udfs.model;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;

/**
 * A model distributed as files (distribution {@code files}): the graph file and the external-data
 * files it references, each with its URI, size and sha256 as found on the driver, plus the Hadoop
 * settings executors need to read them. Serializable (it travels in the model broadcast, once per
 * executor); immutable apart from the Hadoop configuration, which nobody modifies.
 *
 * <p>The pin ({@code model.sha256}) of a model with external data is the sha256 of the manifest
 * {@code sha256sum} prints for the graph file followed by its external-data files in name order:
 * {@code sha256sum model.onnx weights.bin | sha256sum} (one line per file: 64 hex digits, two
 * spaces, the name relative to the graph's folder, a newline). Without external data it is the
 * sha256 of the graph file, as for a broadcast model.
 *
 * @param files the graph first, then external-data files sorted by name
 * @param cacheDir {@code model.cache_dir}, or null for the default under {@code java.io.tmpdir}
 */
public record ModelFiles(List<ModelFile> files, String cacheDir, HadoopConf hadoop)
    implements Serializable {
  public ModelFiles {
    files = List.copyOf(files);
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no files");
    }
    Objects.requireNonNull(hadoop, "hadoop");
  }

  /**
   * One file of a model.
   *
   * @param name path relative to the graph's folder (the graph's own file name for the graph)
   * @param uri fully qualified Hadoop URI
   * @param bytes size
   * @param sha256 lowercase hex sha256 of its content
   */
  public record ModelFile(String name, String uri, long bytes, String sha256)
      implements Serializable {}

  /**
   * @return the graph file (the {@code .onnx})
   */
  public ModelFile graph() {
    return files.get(0);
  }

  /**
   * @return how many external-data files the graph references
   */
  public int externalFiles() {
    return files.size() - 1;
  }

  /**
   * @return total bytes of all files
   */
  public long totalBytes() {
    return files.stream().mapToLong(ModelFile::bytes).sum();
  }

  /**
   * @return the manifest whose sha256 is the pin (see the class comment)
   */
  public String manifest() {
    StringBuilder sb = new StringBuilder();
    for (ModelFile f : files) {
      sb.append(f.sha256()).append("  ").append(f.name()).append('\n');
    }
    return sb.toString();
  }

  /**
   * @return the sha256 this model is pinned by (see the class comment); every file's sha256 must be
   *     known
   */
  public String sha256() {
    return externalFiles() == 0 ? graph().sha256() : Sha256.hex(manifest());
  }

  /**
   * A Hadoop {@link Configuration} that survives Java serialization (it is only {@code Writable}).
   */
  public static final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    private transient Configuration conf;

    /** Wraps {@code conf} (not copied). */
    public HadoopConf(Configuration conf) {
      this.conf = Objects.requireNonNull(conf, "conf");
    }

    /**
     * @return the configuration
     */
    public Configuration get() {
      return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
      conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      conf = new Configuration(false);
      conf.readFields(in);
    }
  }
}
