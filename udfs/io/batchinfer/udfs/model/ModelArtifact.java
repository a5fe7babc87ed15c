package io.batchinfer.udfs.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * A model as planned on the driver: its origin, its sha256 and either its bytes (distribution
 * {@code broadcast}) or the list of its files (distribution {@code files}, {@link #files()}).
 *
 * <p>Broadcast: the bytes are read once on the driver ({@link ModelLoader}); executors get them
 * through the broadcast and never reopen {@link #uri()}. Files: {@link #bytes()} is empty, and each
 * executor copies the files once into its node's cache ({@link LocalModelCache}) and ONNX Runtime
 * loads the model by path, so external data resolves and no 2 GB limit applies. Immutable by
 * convention: the array is not copied (a model can be hundreds of MB) and must not be modified.
 *
 * @param uri where the model (graph file) was read from
 * @param sha256 the sha256 pinned by {@code model.sha256}: of the file, or with external data of
 *     the manifest described in {@link ModelFiles}
 * @param bytes the model bytes; empty under distribution {@code files}
 * @param files the model's files under distribution {@code files}; null when broadcast
 */
public record ModelArtifact(String uri, String sha256, byte[] bytes, ModelFiles files)
    implements Serializable {
  public ModelArtifact {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(bytes, "bytes");
  }

  /** A broadcast model: its bytes travel to executors. */
  public ModelArtifact(String uri, String sha256, byte[] bytes) {
    this(uri, sha256, bytes, null);
  }

  /**
   * @return the first 12 hex digits of the sha256, for logs and messages
   */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }

  /**
   * @return the model's size in bytes: its bytes, or the sum of its files
   */
  public long size() {
    return files == null ? bytes.length : files.totalBytes();
  }

  /**
   * @return {@code broadcast} or {@code files}
   */
  public String distribution() {
    return files == null ? "broadcast" : "files";
  }

  /**
   * Compares by uri, sha256 (which identifies the bytes and files) and distribution, never by array
   * identity.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof ModelArtifact m
        && uri.equals(m.uri)
        && sha256.equals(m.sha256)
        && (files == null) == (m.files == null);
  }

  @Override
  public int hashCode() {
    return Objects.hash(uri, sha256, files == null);
  }

  @Override
  public String toString() {
    return "ModelArtifact["
        + uri
        + ", sha256="
        + sha256
        + ", "
        + size()
        + " bytes, "
        + distribution()
        + "]";
  }
}
