package io.batchinfer.udfs;

/**
 * A string column tokenized into a model's token inputs ({@code inputs.<name>.text} or the
 * top-level {@code text} block of the job config). Immutable.
 *
 * @param column the string column
 * @param tokenizer path of a HuggingFace {@code tokenizer.json} (any Hadoop path; read once on the
 *     driver)
 * @param maxLength maximum tokens per row, special tokens included; longer texts are truncated and
 *     counted
 * @param field which tokenizer output feeds the input ({@code input_ids}, {@code attention_mask},
 *     {@code token_type_ids}); null to infer it from the model input's name
 * @param rejectEmpty treat an empty (blank) text as a bad row ({@code reject_empty}) instead of
 *     embedding it
 */
public record TextInput(
    String column, String tokenizer, int maxLength, String field, boolean rejectEmpty) {
  /**
   * Default {@code max_length}: the 128 tokens sentence-embedding models such as all-MiniLM-L6-v2
   * are trained on.
   */
  public static final int MAX_LENGTH_DEFAULT = 128;

  /**
   * @return a text input with the field inferred from the model input's name
   */
  public static TextInput of(String column, String tokenizer, int maxLength) {
    return new TextInput(column, tokenizer, maxLength, null, false);
  }
}
