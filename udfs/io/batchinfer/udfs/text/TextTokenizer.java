package io.batchinfer.udfs.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns texts into the three int64 {@code [rows, seqLen]} inputs of a BERT-style ONNX model ({@code
 * input_ids}, {@code attention_mask}, {@code token_type_ids}) with a HuggingFace {@code
 * tokenizer.json}, through DJL's {@link HuggingFaceTokenizer} (Rust tokenizers via JNI).
 *
 * <p>Fixed behaviour, whatever the JSON says: truncation to {@code maxLength} tokens (special
 * tokens included, longest-first, no stride) and padding to the <em>longest</em> row of each batch,
 * never to {@code maxLength}. DJL 0.38 would otherwise take the truncation length from the JSON
 * (128 for all-MiniLM-L6-v2) and silently cap any length above 512, so both are passed explicitly.
 *
 * <p>Runs wherever text is encoded: in executor JVMs (normally one instance per tokenizer per JVM,
 * shared by all tasks), and on the driver for checks. Creating one never touches the network: it
 * sets the system properties {@code ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true} unless
 * they are already set (environment variables {@code DJL_OFFLINE} / {@code OPT_OUT_TRACKING} take
 * precedence over both in DJL). Without them DJL "calls home" (it queries the EC2 metadata
 * endpoint) and, on a host with CUDA, may try to download a GPU build of its native library.
 *
 * <p>Thread safety: safe for concurrent use by construction. The native tokenizer is configured
 * once in the factory and only read afterwards; every call allocates its own output arrays; a
 * read-write lock keeps {@link #close()} from freeing the native tokenizer while an encode is
 * running. DJL's batch encode may use the Rust tokenizers' own worker pool (one thread per CPU,
 * shared by the JVM; {@code TOKENIZERS_PARALLELISM=false} in the environment turns it off).
 *
 * <p>Ownership: an instance owns its native tokenizer and frees it in {@link #close()}; whoever
 * created the instance closes it, once no task uses it any more.
 */
public final class TextTokenizer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TextTokenizer.class);

  /** System property DJL reads for offline mode (the environment variable DJL_OFFLINE wins). */
  public static final String OFFLINE_PROPERTY = "ai.djl.offline";

  /** System property DJL reads to skip its telemetry call (the environment variable wins). */
  public static final String OPT_OUT_TRACKING_PROPERTY = "OPT_OUT_TRACKING";

  private static final long[] NO_LONGS = new long[0];

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final int specialTokens;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock (write to set, read to check)

  /**
   * One encoded batch: three row-major {@code [rows, seqLen]} arrays, ready to be copied into a
   * direct {@code LongBuffer} for an {@code OnnxTensor}. Row {@code r}, position {@code p} is at
   * index {@code r * seqLen + p}. Padding positions have id and type id 0 (the tokenizer's pad id)
   * and mask 0.
   *
   * <p>The arrays are not copied and belong to the caller (record equality compares them by
   * reference).
   *
   * @param rows number of texts encoded
   * @param seqLen tokens per row: the longest row of the batch, at most {@code maxLength}; 0 when
   *     {@code rows} is 0
   * @param inputIds token ids, {@code rows * seqLen}
   * @param attentionMask 1 for real tokens (special tokens included), 0 for padding
   * @param tokenTypeIds segment ids (all 0 for single texts)
   * @param truncatedRows how many rows had more than {@code maxLength} tokens and were cut
   */
  public record Batch(
      int rows,
      int seqLen,
      long[] inputIds,
      long[] attentionMask,
      long[] tokenTypeIds,
      int truncatedRows) {
    /** Checks that the three arrays have {@code rows * seqLen} elements. */
    public Batch {
      Objects.requireNonNull(inputIds, "inputIds");
      Objects.requireNonNull(attentionMask, "attentionMask");
      Objects.requireNonNull(tokenTypeIds, "tokenTypeIds");
      if (rows < 0 || seqLen < 0 || truncatedRows < 0 || truncatedRows > rows) {
        throw new IllegalArgumentException(
            "rows=" + rows + ", seqLen=" + seqLen + ", truncatedRows=" + truncatedRows);
      }
      long size = (long) rows * seqLen;
      if (inputIds.length != size || attentionMask.length != size || tokenTypeIds.length != size) {
        throw new IllegalArgumentException(
            "arrays must have rows * seqLen = "
                + size
                + " elements, found "
                + inputIds.length
                + ", "
                + attentionMask.length
                + ", "
                + tokenTypeIds.length);
      }
    }

    /**
     * @return the shape of each array as an ONNX tensor shape, {@code [rows, seqLen]}
     */
    public long[] shape() {
      return new long[] {rows, seqLen};
    }

    /**
     * @return a short description without the array contents
     */
    @Override
    public String toString() {
      return "Batch[rows=" + rows + ", seqLen=" + seqLen + ", truncatedRows=" + truncatedRows + "]";
    }
  }

  private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, int specialTokens) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.specialTokens = specialTokens;
  }

  /**
   * Reads a {@code tokenizer.json} from a local file and builds a tokenizer from it.
   *
   * <p>Runs where the file is: on executors, prefer {@link #fromBytes} with broadcast bytes. The
   * caller owns the result and closes it.
   *
   * @param tokenizerJson path of a HuggingFace {@code tokenizer.json}
   * @param maxLength maximum tokens per row, special tokens included; must leave room for at least
   *     one text token after the special tokens (at least 3 for BERT-style tokenizers)
   * @return a new tokenizer, owning its native resources
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if the JSON is not a valid tokenizer or {@code maxLength} is
   *     too small
   */
  public static TextTokenizer fromFile(Path tokenizerJson, int maxLength) throws IOException {
    Objects.requireNonNull(tokenizerJson, "tokenizerJson");
    byte[] json = Files.readAllBytes(tokenizerJson);
    try {
      return create(json, maxLength);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(tokenizerJson + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds a tokenizer from the UTF-8 bytes of a {@code tokenizer.json}, for instance bytes that
   * the driver read once and broadcast.
   *
   * <p>Thread-safe; the bytes are not kept. The caller owns the result and closes it.
   *
   * @param json UTF-8 content of a HuggingFace {@code tokenizer.json}
   * @param maxLength maximum tokens per row, special tokens included; must leave room for at least
   *     one text token after the special tokens (at least 3 for BERT-style tokenizers)
   * @return a new tokenizer, owning its native resources
   * @throws IllegalArgumentException if the JSON is not a valid tokenizer or {@code maxLength} is
   *     too small
   */
  public static TextTokenizer fromBytes(byte[] json, int maxLength) {
    Objects.requireNonNull(json, "json");
    return create(json, maxLength);
  }

  private static TextTokenizer create(byte[] json, int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be at least 1, found " + maxLength);
    }
    ensureOffline();
    long start = System.nanoTime();
    // All four options are explicit: DJL otherwise takes the truncation length from the JSON and
    // caps maxLength at modelMaxLength (default 512) with only a log warning.
    Map<String, String> options =
        Map.of(
            "maxLength", Integer.toString(maxLength),
            "modelMaxLength", Integer.toString(maxLength),
            "truncation", "true",
            "padding", "true",
            "addSpecialTokens", "true");
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer JSON from memory", e);
    } catch (RuntimeException e) {
      // The native side reports parse errors as plain RuntimeExceptions ("Model missing. at
      // line…").
      throw new IllegalArgumentException(
          "not a valid HuggingFace tokenizer.json: " + e.getMessage(), e);
    }
    try {
      if (tokenizer.getMaxLength() != maxLength
          || !"LONGEST".equals(tokenizer.getPadding())
          || !"LONGEST_FIRST".equals(tokenizer.getTruncation())) {
        throw new IllegalStateException(
            "DJL did not apply the tokenizer options "
                + options
                + ": maxLength="
                + tokenizer.getMaxLength()
                + ", padding="
                + tokenizer.getPadding()
                + ", truncation="
                + tokenizer.getTruncation());
      }
      // The Rust tokenizers subtract the special tokens from max_length without a check: a smaller
      // maxLength wraps around and silently disables truncation. Refuse it here.
      int specialTokens = tokenizer.encode("").getIds().length;
      if (maxLength <= specialTokens) {
        throw new IllegalArgumentException(
            "maxLength "
                + maxLength
                + " leaves no room for text: this tokenizer adds "
                + specialTokens
                + " special tokens per row. Use a maxLength of at least "
                + (specialTokens + 1)
                + ".");
      }
      LOG.debug(
          "created tokenizer maxLength={} specialTokens={} in {} ms",
          maxLength,
          specialTokens,
          (System.nanoTime() - start) / 1_000_000);
      return new TextTokenizer(tokenizer, maxLength, specialTokens);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * Sets DJL's offline and tracking opt-out system properties unless they are already set, so that
   * creating a tokenizer does no network access. Called by the factories; public so that code
   * creating other DJL objects can call it first.
   *
   * <p>Thread-safe and idempotent. An environment variable {@code DJL_OFFLINE=false} still wins
   * over the property (DJL reads the environment first); this logs a warning then.
   */
  public static void ensureOffline() {
    synchronized (TextTokenizer.class) {
      if (System.getProperty(OFFLINE_PROPERTY) == null) {
        System.setProperty(OFFLINE_PROPERTY, "true");
      }
      if (System.getProperty(OPT_OUT_TRACKING_PROPERTY) == null) {
        System.setProperty(OPT_OUT_TRACKING_PROPERTY, "true");
      }
    }
    String env = System.getenv("DJL_OFFLINE");
    if (env != null && !Boolean.parseBoolean(env)) {
      LOG.warn(
          "DJL_OFFLINE={} in the environment overrides -D{}: DJL may try to reach the network",
          env,
          OFFLINE_PROPERTY);
    }
  }

  /**
   * Encodes the first {@code count} texts as one batch, padded to its longest row and truncated to
   * {@link #maxLength()}. Each row equals what the tokenizer gives for that text alone, followed by
   * padding.
   *
   * <p>Thread-safe; runs on the calling (task) thread, possibly helped by the native worker pool.
   * The returned arrays are new and belong to the caller; {@code texts} is not modified.
   *
   * @param texts texts to encode; only {@code texts[0..count)} is read
   * @param count number of texts to encode, {@code 0 <= count <= texts.length}; 0 gives an empty
   *     batch with {@code seqLen} 0
   * @return the encoded batch
   * @throws NullPointerException if one of the texts is null: mapping null to a value (or dropping
   *     the row) is the caller's decision, made before batching
   * @throws IllegalStateException if this tokenizer is closed
   */
  public Batch encode(String[] texts, int count) {
    return encodeRows(texts, count).batch();
  }

  /**
   * Like {@link #encode}, keeping per-row lengths and truncation flags for {@link
   * EncodedRows#select}. Thread-safe; same contract as {@link #encode}.
   */
  public EncodedRows encodeRows(String[] texts, int count) {
    Objects.requireNonNull(texts, "texts");
    if (count < 0 || count > texts.length) {
      throw new IllegalArgumentException(
          "count must be in [0, " + texts.length + "], found " + count);
    }
    for (int i = 0; i < count; i++) {
      if (texts[i] == null) {
        throw new NullPointerException(
            "texts["
                + i
                + "] is null; TextTokenizer does not encode null texts: "
                + "filter them out or replace them before batching");
      }
    }
    if (count == 0) {
      return new EncodedRows(
          new Batch(0, 0, NO_LONGS, NO_LONGS, NO_LONGS, 0), new int[0], new boolean[0], true);
    }
    // A copy, because DJL may rewrite its argument array in place (lower-casing option).
    String[] batch = Arrays.copyOf(texts, count);
    Encoding[] encodings;
    lock.readLock().lock();
    try {
      checkOpen();
      encodings = tokenizer.batchEncode(batch);
    } finally {
      lock.readLock().unlock();
    }
    if (encodings.length != count) {
      throw new IllegalStateException(
          "tokenizer returned " + encodings.length + " encodings for " + count + " texts");
    }
    int seqLen = encodings[0].getIds().length;
    int size = Math.multiplyExact(count, seqLen);
    long[] ids = new long[size];
    long[] mask = new long[size];
    long[] types = new long[size];
    int[] lengths = new int[count];
    boolean[] cut = new boolean[count];
    boolean rightPadded = true;
    int truncated = 0;
    for (int r = 0; r < count; r++) {
      Encoding e = encodings[r];
      long[] rowIds = e.getIds();
      if (rowIds.length != seqLen) {
        throw new IllegalStateException(
            "row "
                + r
                + " has "
                + rowIds.length
                + " tokens, row 0 has "
                + seqLen
                + ": the tokenizer did not pad the batch");
      }
      long[] rowMask = e.getAttentionMask();
      System.arraycopy(rowIds, 0, ids, r * seqLen, seqLen);
      System.arraycopy(rowMask, 0, mask, r * seqLen, seqLen);
      System.arraycopy(e.getTypeIds(), 0, types, r * seqLen, seqLen);
      int n = 0;
      for (long m : rowMask) {
        n += (int) m;
      }
      lengths[r] = n;
      // Right padding: the mask is n ones, then zeros.
      rightPadded &= n == seqLen || (n > 0 && rowMask[n - 1] == 1 && rowMask[n] == 0);
      // DJL sets this when the native encoding has overflowing tokens, i.e. it was truncated.
      cut[r] = e.exceedMaxLength();
      truncated += cut[r] ? 1 : 0;
    }
    return new EncodedRows(
        new Batch(count, seqLen, ids, mask, types, truncated), lengths, cut, rightPadded);
  }

  /**
   * Returns how many tokens {@code text} takes in a row, without padding: special tokens included,
   * after truncation, so between the number of special tokens and {@link #maxLength()}. Meant for
   * length-aware batching (grouping texts of similar length to reduce padding).
   *
   * <p>Thread-safe; runs on the calling thread.
   *
   * @param text the text to measure
   * @return its token count in a batch, before padding
   * @throws NullPointerException if {@code text} is null (the caller's decision, as for {@link
   *     #encode})
   * @throws IllegalStateException if this tokenizer is closed
   */
  public int tokenCount(String text) {
    if (text == null) {
      throw new NullPointerException("text is null; TextTokenizer does not encode null texts");
    }
    Encoding e;
    lock.readLock().lock();
    try {
      checkOpen();
      e = tokenizer.encode(text);
    } finally {
      lock.readLock().unlock();
    }
    // Sum of the mask rather than the id count, so that this holds whatever the padding strategy.
    int n = 0;
    for (long m : e.getAttentionMask()) {
      n += (int) m;
    }
    return n;
  }

  /**
   * @return the maximum tokens per row (special tokens included) that this tokenizer produces
   */
  public int maxLength() {
    return maxLength;
  }

  /**
   * @return the tokens this tokenizer adds to every text (2 for BERT: {@code [CLS]}, {@code [SEP]})
   */
  public int specialTokenCount() {
    return specialTokens;
  }

  /**
   * Frees the native tokenizer. Idempotent; waits for encodes already running on other threads, and
   * later calls to {@link #encode} or {@link #tokenCount} throw {@link IllegalStateException}. Only
   * the owner (whoever created this instance) calls it.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        tokenizer.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("TextTokenizer is closed");
    }
  }
}
