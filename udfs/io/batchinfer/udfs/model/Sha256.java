package io.batchinfer.udfs.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The project's one sha256 helper: model and tokenizer pins, session and tokenizer cache keys,
 * config fingerprints. Lowercase hex, as {@code sha256sum} prints it. Stateless; thread-safe.
 */
public final class Sha256 {
  private Sha256() {}

  /**
   * @return the lowercase hex sha256 of {@code bytes}
   */
  public static String hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  /**
   * @return a new SHA-256 digest, for hashing a stream as it is copied (finish with {@link
   *     #hex(MessageDigest)})
   */
  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  /**
   * @return the lowercase hex of what {@code digest} has hashed (it is reset)
   */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * @return the lowercase hex sha256 of {@code text} encoded as UTF-8
   */
  public static String hex(String text) {
    return hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
