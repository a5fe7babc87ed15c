package io.batchinfer.udfs.text;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor JVM singleton: one {@link TextTokenizer} per (tokenizer.json sha256, max_length) per
 * JVM, built lazily and shared by all tasks ({@code TextTokenizer} is thread-safe). The cache owns
 * the tokenizers and closes them at JVM shutdown; callers never close them. Thread-safe.
 */
public final class TokenizerCache {
  private static final Logger LOG = LoggerFactory.getLogger(TokenizerCache.class);
  private static final Map<String, TextTokenizer> CACHE = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  CACHE.values().forEach(TextTokenizer::close);
                  CACHE.clear();
                },
                "batchinfer-tokenizer-cache-close"));
  }

  private TokenizerCache() {}

  /**
   * @param sha256 the tokenizer.json bytes' sha256
   * @param maxLength the configured max_length
   * @param json supplies the bytes on a miss
   * @return the shared tokenizer; do not close it
   */
  public static TextTokenizer get(String sha256, int maxLength, Supplier<byte[]> json) {
    return CACHE.computeIfAbsent(
        sha256 + "/" + maxLength,
        k -> {
          long start = System.nanoTime();
          TextTokenizer t = TextTokenizer.fromBytes(json.get(), maxLength);
          LOG.info(
              "created tokenizer sha256={} max_length={} in {} ms",
              sha256.substring(0, 12),
              maxLength,
              (System.nanoTime() - start) / 1_000_000);
          return t;
        });
  }
}
