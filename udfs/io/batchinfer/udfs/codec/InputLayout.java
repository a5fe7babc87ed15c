package io.batchinfer.udfs.codec;

/** How input columns become one model input tensor. */
public enum InputLayout {
  /**
   * Several scalar columns (or one) stacked on the last axis: {@code [batch, n]} or {@code
   * [batch]}.
   */
  COLUMNS,
  /**
   * One (possibly nested) array column: {@code array<T>} to {@code [batch, d]}, {@code
   * array<array<T>>} to {@code [batch, d1, d2]}, ...
   */
  ARRAY,
  /**
   * One binary column of encoded images, each decoded and preprocessed into {@code [C, H, W]} or
   * {@code [H, W, C]} ({@link InputBinding#image()}).
   */
  IMAGE
}
