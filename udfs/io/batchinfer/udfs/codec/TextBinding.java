package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.text.TokenField;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A validated text input: one string column tokenized once per batch into one or more model token
 * inputs. Built on the driver; carries the tokenizer.json bytes (small, shipped with the stage) so
 * executors never reopen its path. Immutable and serializable.
 *
 * @param column the string column (for messages)
 * @param ordinal its ordinal in the input row
 * @param tokenizerUri where the tokenizer came from (for messages)
 * @param tokenizerSha256 the bytes' sha256 (executor cache key)
 * @param tokenizerJson the tokenizer.json bytes; not copied, must not be modified
 * @param maxLength max tokens per row
 * @param targets the model inputs fed, with the field and element type of each
 * @param fixedSeqLen the model's fixed sequence length, or -1 when free (then rows pad to the
 *     batch's longest)
 * @param rejectEmpty reject empty (blank) texts as bad rows instead of embedding them
 */
public record TextBinding(
    String column,
    int ordinal,
    String tokenizerUri,
    String tokenizerSha256,
    byte[] tokenizerJson,
    int maxLength,
    List<Target> targets,
    long fixedSeqLen,
    boolean rejectEmpty)
    implements Serializable {

  /** Copies the tokenizer bytes and targets: a binding never changes after planning. */
  public TextBinding {
    tokenizerJson = tokenizerJson.clone();
    targets = List.copyOf(targets);
  }

  /**
   * @return a copy of the tokenizer.json bytes (read once per executor JVM, on a tokenizer cache
   *     miss)
   */
  @Override
  public byte[] tokenizerJson() {
    return tokenizerJson.clone();
  }

  /** Compares the tokenizer bytes by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TextBinding b
        && column.equals(b.column)
        && ordinal == b.ordinal
        && tokenizerUri.equals(b.tokenizerUri)
        && tokenizerSha256.equals(b.tokenizerSha256)
        && Arrays.equals(tokenizerJson, b.tokenizerJson)
        && maxLength == b.maxLength
        && targets.equals(b.targets)
        && fixedSeqLen == b.fixedSeqLen
        && rejectEmpty == b.rejectEmpty;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        column,
        ordinal,
        tokenizerUri,
        tokenizerSha256,
        maxLength,
        targets,
        fixedSeqLen,
        rejectEmpty);
  }

  @Override
  public String toString() {
    return "TextBinding[" + describe() + "]";
  }

  /**
   * One model input fed from the tokenizer.
   *
   * @param onnxName the model input
   * @param field which tokenizer output
   * @param type int64 or int32
   */
  public record Target(String onnxName, TokenField field, ElementType type)
      implements Serializable {}

  /**
   * @return a fresh encoder for one partition; the caller owns it
   */
  public InputEncoder newEncoder(int batchSize) {
    return new TextEncoder(this, batchSize);
  }

  /**
   * @return e.g. {@code input_ids, attention_mask <- tokenize(text, max_length 128)}
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Target t : targets) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(t.onnxName());
    }
    return sb
        + " <- tokenize("
        + column
        + ", "
        + tokenizerUri
        + ", max_length "
        + maxLength
        + (fixedSeqLen > 0 ? ", padded to " + fixedSeqLen : ", padded to the batch's longest")
        + ")";
  }
}
