package io.batchinfer.udfs;

import java.util.List;

/**
 * Which input columns feed one model input ({@code inputs.<name>} in the job config). Exactly one
 * of {@code columns} (scalar columns stacked on the last axis), {@code column} (one scalar or array
 * column), {@code text} (a tokenized string column) or {@code image} (a binary column of encoded
 * images) is set. Immutable.
 *
 * @param columns scalar columns, in the order the model expects them, or null
 * @param column a single column, or null
 * @param type optional expected ONNX element type of the model input ({@code inputs.<name>.type});
 *     when set, a model declaring another type is rejected (guards against a swapped model)
 * @param text a string column tokenized into this (token) input, instead of columns
 * @param image a binary column of encoded images decoded and preprocessed into this input
 */
public record InputMapping(
    List<String> columns, String column, String type, TextInput text, ImageInput image) {
  public InputMapping {
    columns = columns == null ? null : List.copyOf(columns);
  }

  /** A mapping without an image input. */
  public InputMapping(List<String> columns, String column, String type, TextInput text) {
    this(columns, column, type, text, null);
  }

  /**
   * @return a mapping decoding and preprocessing the images in a binary column into this input
   */
  public static InputMapping image(ImageInput image) {
    return new InputMapping(null, null, null, null, image);
  }

  /**
   * @return a mapping of scalar columns stacked into {@code [batch, n]}
   */
  public static InputMapping columns(String... columns) {
    return new InputMapping(List.of(columns), null, null, null);
  }

  /**
   * @return a mapping of one column: a scalar to {@code [batch]}, an array to {@code [batch, d...]}
   */
  public static InputMapping column(String column) {
    return new InputMapping(null, column, null, null);
  }

  /**
   * @return a mapping tokenizing a string column into this token input
   */
  public static InputMapping text(TextInput text) {
    return new InputMapping(null, null, null, text);
  }

  /**
   * @return this mapping, asserting the model input's element type
   */
  public InputMapping withType(String elementType) {
    return new InputMapping(columns, column, elementType, text, image);
  }
}
