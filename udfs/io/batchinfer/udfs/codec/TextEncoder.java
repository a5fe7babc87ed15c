package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.text.EncodedRows;
import io.batchinfer.udfs.text.TextTokenizer;
import io.batchinfer.udfs.text.TokenField;
import io.batchinfer.udfs.text.TokenizerCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Tokenizes each text once and builds every token input the binding feeds, padded to the batch's
 * longest row (or the model's fixed length). The attention mask of the last batch stays available
 * for pooling ({@link #attentionMask()}). With length-aware batching, {@link #tokenCounts} encodes
 * the whole window once (one native batch call) and each batch of that window is then cut from
 * those tokens instead of tokenizing again. Buffers are direct, native-order, allocated once per
 * partition. Not thread-safe; the tokenizer is shared through {@link TokenizerCache}.
 */
public final class TextEncoder implements InputEncoder {
  private final TextBinding binding;
  private final TextTokenizer tokenizer;
  private final String[] texts;

  /** Window position of each appended row, or -1 when it is not in the encoded window. */
  private final int[] positions;

  private final Map<InternalRow, Integer> windowIndex = new IdentityHashMap<>();
  private EncodedRows windowRows;
  private final Map<TokenField, ByteBuffer> buffers = new HashMap<>();
  private int rows;
  private long[] lastMask;
  private int lastSeqLen;
  private int lastTruncated;

  TextEncoder(TextBinding binding, int batchSize) {
    this.binding = binding;
    this.tokenizer =
        TokenizerCache.get(binding.tokenizerSha256(), binding.maxLength(), binding::tokenizerJson);
    this.texts = new String[batchSize];
    this.positions = new int[batchSize];
  }

  @Override
  public RowProblem append(InternalRow row) {
    if (row.isNullAt(binding.ordinal())) {
      return new RowProblem(RowProblem.NULL_VALUE, binding.column(), "null text");
    }
    String text = row.getUTF8String(binding.ordinal()).toString();
    if (binding.rejectEmpty() && text.isBlank()) {
      return new RowProblem(
          RowProblem.EMPTY_TEXT, binding.column(), "empty text (the text input sets reject_empty)");
    }
    Integer position = windowRows == null ? null : windowIndex.get(row);
    positions[rows] = position == null ? -1 : position;
    texts[rows++] = text;
    return null;
  }

  /**
   * Encodes the texts of a window of rows at once and writes each row's token count into {@code
   * counts} (for length-aware batching; 0 for a null text). Until the next call, batches made of
   * these rows reuse the tokens instead of tokenizing again. The rows must stay the same objects
   * (they are found again by identity when appended).
   */
  public void tokenCounts(InternalRow[] window, int count, int[] counts) {
    windowIndex.clear();
    windowRows = null;
    String[] all = new String[count];
    int[] at = new int[count];
    int n = 0;
    for (int i = 0; i < count; i++) {
      counts[i] = 0;
      if (!window[i].isNullAt(binding.ordinal())) {
        at[n] = i;
        all[n++] = window[i].getUTF8String(binding.ordinal()).toString();
      }
    }
    EncodedRows encoded = tokenizer.encodeRows(all, n);
    for (int j = 0; j < n; j++) {
      counts[at[j]] = encoded.lengths()[j];
      windowIndex.put(window[at[j]], j);
    }
    windowRows = encoded.rightPadded() ? encoded : null;
  }

  @Override
  public Map<String, OnnxTensor> tensors(int rowCount) throws OrtException {
    TextTokenizer.Batch batch =
        fromWindow(rowCount)
            ? windowRows.select(positions, rowCount)
            : tokenizer.encode(texts, rowCount);
    int seqLen = binding.fixedSeqLen() > 0 ? (int) binding.fixedSeqLen() : batch.seqLen();
    lastMask = pad(batch.attentionMask(), batch.seqLen(), seqLen, rowCount);
    lastSeqLen = seqLen;
    lastTruncated = batch.truncatedRows();
    Map<String, OnnxTensor> out = new HashMap<>();
    try {
      for (TextBinding.Target t : binding.targets()) {
        long[] values =
            switch (t.field()) {
              case INPUT_IDS -> pad(batch.inputIds(), batch.seqLen(), seqLen, rowCount);
              case ATTENTION_MASK -> lastMask;
              case TOKEN_TYPE_IDS -> pad(batch.tokenTypeIds(), batch.seqLen(), seqLen, rowCount);
            };
        ByteBuffer buf = buffer(t.field(), values.length * (long) t.type().byteSize());
        for (long v : values) {
          if (t.type() == ElementType.INT64) {
            buf.putLong(v);
          } else {
            buf.putInt((int) v);
          }
        }
        buf.flip();
        out.put(
            t.onnxName(),
            OnnxTensor.createTensor(
                OrtRuntime.environment(), buf, new long[] {rowCount, seqLen}, t.type().javaType()));
      }
      return out;
    } catch (OrtException | RuntimeException e) {
      out.values().forEach(OnnxTensor::close);
      throw e;
    }
  }

  private boolean fromWindow(int rowCount) {
    if (windowRows == null || rowCount == 0) {
      return false;
    }
    for (int i = 0; i < rowCount; i++) {
      if (positions[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private ByteBuffer buffer(TokenField field, long bytes) {
    ByteBuffer b = buffers.get(field);
    if (b == null || b.capacity() < bytes) {
      // Sized for a full batch of max_length rows at once, so it is allocated once per partition.
      long full =
          Math.max(
              bytes,
              (long) texts.length * Math.max(binding.maxLength(), binding.fixedSeqLen()) * 8);
      b = ByteBuffer.allocateDirect(Math.toIntExact(full)).order(ByteOrder.nativeOrder());
      buffers.put(field, b);
    }
    b.clear();
    return b;
  }

  private static long[] pad(long[] values, int from, int to, int rows) {
    if (from == to) {
      return values;
    }
    long[] out = new long[rows * to];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(values, r * from, out, r * to, Math.min(from, to));
    }
    return out;
  }

  /**
   * @return the attention mask of the last encoded batch, row-major {@code [rows, seqLen()]}
   */
  public long[] attentionMask() {
    return lastMask;
  }

  /**
   * @return the sequence length of the last encoded batch
   */
  public int seqLen() {
    return lastSeqLen;
  }

  /**
   * @return how many texts of the last batch were truncated to max_length
   */
  public int truncatedRows() {
    return lastTruncated;
  }

  @Override
  public void dropLast() {
    rows--;
  }

  @Override
  public void reset() {
    rows = 0;
  }
}
