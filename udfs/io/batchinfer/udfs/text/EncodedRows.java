package io.batchinfer.udfs.text;

/**
 * Texts encoded once as one batch, with what is needed to cut batches out of them later without
 * tokenizing again ({@link #select}): each row's token count and whether it was truncated. Used by
 * length-aware batching, which needs every text's length to order a window and then the tokens of
 * each batch.
 *
 * @param batch all texts, padded to the longest
 * @param lengths tokens per row before padding (the attention mask's sum)
 * @param truncated whether each row was cut to {@link TextTokenizer#maxLength()}
 * @param rightPadded whether every row is its tokens followed by padding (then any subset of rows,
 *     cut to its own longest row, equals encoding that subset); false means {@link #select} must
 *     not be used
 */
public record EncodedRows(
    TextTokenizer.Batch batch, int[] lengths, boolean[] truncated, boolean rightPadded) {

  /**
   * Cuts a batch out of texts encoded earlier: rows {@code picks[0..count)} of these rows, padded
   * to the longest of them. Equal to {@link TextTokenizer#encode} of those texts when {@link
   * #rightPadded()} (each row is then its tokens followed by padding, so its first {@code seqLen}
   * positions are what encoding it with shorter companions gives). Stateless; the result's arrays
   * are new.
   *
   * @throws IllegalArgumentException if these rows are not right-padded
   */
  public TextTokenizer.Batch select(int[] picks, int count) {
    if (!rightPadded) {
      throw new IllegalArgumentException("rows are not right-padded: encode the batch instead");
    }
    TextTokenizer.Batch from = batch;
    int seqLen = 0;
    int truncatedRows = 0;
    for (int i = 0; i < count; i++) {
      seqLen = Math.max(seqLen, lengths[picks[i]]);
      truncatedRows += truncated[picks[i]] ? 1 : 0;
    }
    int size = Math.multiplyExact(count, seqLen);
    long[] ids = new long[size];
    long[] mask = new long[size];
    long[] types = new long[size];
    for (int i = 0; i < count; i++) {
      int src = picks[i] * from.seqLen();
      System.arraycopy(from.inputIds(), src, ids, i * seqLen, seqLen);
      System.arraycopy(from.attentionMask(), src, mask, i * seqLen, seqLen);
      System.arraycopy(from.tokenTypeIds(), src, types, i * seqLen, seqLen);
    }
    return new TextTokenizer.Batch(count, seqLen, ids, mask, types, truncatedRows);
  }
}
