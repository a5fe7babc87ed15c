package io.batchinfer.udfs.codec;

/**
 * Why one input row cannot be scored: a stable code (the dead-letter {@code _error_code}), the
 * column (with element path for arrays) and a reason that never quotes the whole row. Immutable.
 *
 * @param code one of the constants below
 * @param column the input column, e.g. {@code features} or {@code features[3]}; null until known
 * @param message what was wrong, e.g. {@code null value}
 */
public record RowProblem(String code, String column, String message) {
  /** A null in a mapped column or array element. */
  public static final String NULL_VALUE = "null_value";

  /** NaN or ±Infinity in a floating-point input while {@code errors.allow_nan} is false. */
  public static final String NAN_VALUE = "nan_value";

  /** An array whose length differs from the model's dimension (or from the batch's first row). */
  public static final String SHAPE_MISMATCH = "shape_mismatch";

  /** A number outside the range of the model's integer type. */
  public static final String OUT_OF_RANGE = "out_of_range";

  /** A fraction where the model takes an integer type. */
  public static final String NOT_INTEGER = "not_integer";

  /** Bytes in an image column that do not decode as an image (unknown format, corrupt, too big). */
  public static final String DECODE_ERROR = "decode_error";

  /** An empty text while the text input says {@code reject_empty}. */
  public static final String EMPTY_TEXT = "empty_text";

  /**
   * Internal: the row's length along a free dimension differs from the batch's first row. The
   * scorer starts a new batch with such a row; it is never a rejection.
   */
  public static final String BATCH_SHAPE = "batch_shape";

  /** ONNX Runtime failed on this row alone (after its batch failed and was retried row by row). */
  public static final String INFERENCE_ERROR = "inference_error";

  /**
   * @return this problem attributed to {@code col}
   */
  public RowProblem at(String col) {
    return new RowProblem(code, col, message);
  }
}
