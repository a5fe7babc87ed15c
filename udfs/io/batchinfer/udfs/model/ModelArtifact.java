package io.batchinfer.udfs.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * A model's bytes with their origin and sha256: what the driver broadcasts to executors.
 *
 * <p>The bytes are read once on the driver ({@link ModelLoader}); executors get them through the
 * broadcast and never reopen {@link #uri()}. Immutable by convention: the array is not copied (a
 * model can be hundreds of MB) and must not be modified.
 */
public record ModelArtifact(String uri, String sha256, byte[] bytes) implements Serializable {
  public ModelArtifact {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(bytes, "bytes");
  }

  /** @return the first 12 hex digits of the sha256, for logs and messages */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }

  /** Compares by uri and sha256 (which identifies the bytes), never by array identity. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ModelArtifact m && uri.equals(m.uri) && sha256.equals(m.sha256);
  }

  @Override
  public int hashCode() {
    return Objects.hash(uri, sha256);
  }

  @Override
  public String toString() {
    return "ModelArtifact[" + uri + ", sha256=" + sha256 + ", " + bytes.length + " bytes]";
  }
}
