package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Which config keys hold secrets, and copies of config trees and maps with their values masked, for
 * anything the job prints or writes (run report, summary). A key is secret when its name
 * (case-insensitive; under {@code spark:} the whole dotted Spark key) contains {@code secret},
 * {@code password} or {@code token} (but {@code tokenizer} alone is not a token), or contains
 * {@code fs.s3a.} followed later by {@code key} ({@code fs.s3a.access.key}, {@code
 * spark.hadoop.fs.s3a.bucket.b.secret.key}). Stateless.
 */
final class Redaction {
  /** What a secret value is replaced with. */
  static final String MASK = "*****";

  private Redaction() {}

  /**
   * @return true when values under {@code key} must never be shown
   */
  static boolean isSecret(String key) {
    if (key == null) {
      return false;
    }
    String k = key.toLowerCase(Locale.ROOT);
    if (k.contains("secret")
        || k.contains("password")
        || k.replace("tokenizer", "").contains("token")) {
      return true;
    }
    int s3a = k.indexOf("fs.s3a.");
    return s3a >= 0 && k.indexOf("key", s3a + "fs.s3a.".length()) >= 0;
  }

  /**
   * @return a deep copy of {@code tree} whose secret keys' values (scalars or whole subtrees) are
   *     masked
   */
  static JsonNode redact(JsonNode tree) {
    JsonNode copy = tree.deepCopy();
    mask(copy);
    return copy;
  }

  /**
   * @return a copy of {@code map} with secret keys' values masked, in the same order
   */
  static Map<String, String> redact(Map<String, String> map) {
    Map<String, String> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(k, isSecret(k) ? MASK : v));
    return copy;
  }

  private static void mask(JsonNode node) {
    if (node instanceof ObjectNode object) {
      object
          .fields()
          .forEachRemaining(
              e -> {
                if (isSecret(e.getKey()) && !e.getValue().isNull()) {
                  e.setValue(TextNode.valueOf(MASK));
                } else {
                  mask(e.getValue());
                }
              });
    } else if (node instanceof ArrayNode array) {
      array.forEach(Redaction::mask);
    }
  }
}
