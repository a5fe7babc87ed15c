package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.image.ImagePreprocessing;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.Shapes;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.sql.types.DecimalType;

/**
 * A validated mapping from input columns to one model input: which columns, how they are laid out,
 * and the tensor they become. Built on the driver by {@code InferencePlanner}; shipped to executors
 * inside the spec, where {@link #newEncoder(int)} builds the per-partition codec. Immutable and
 * serializable.
 *
 * @param onnxName the model input name
 * @param target the model's element type; values are cast to it
 * @param layout how columns map to the tensor
 * @param columns the column names (for messages)
 * @param ordinals the columns' ordinals in the input row
 * @param kinds how to read each column (for {@link InputLayout#ARRAY}: the leaf element)
 * @param decimalTypes the decimal type per column where the kind is DECIMAL, else null entries
 * @param rowShape the per-row tensor shape (without the batch axis); {@code -1} where free
 * @param batchAxis whether the model tensor has a leading batch dimension
 * @param allowNan whether NaN and ±Infinity may reach the model ({@code errors.allow_nan})
 * @param image for {@link InputLayout#IMAGE}: how each encoded image becomes a tensor row; else
 *     null
 */
public record InputBinding(
    String onnxName,
    ElementType target,
    InputLayout layout,
    String[] columns,
    int[] ordinals,
    SourceKind[] kinds,
    DecimalType[] decimalTypes,
    long[] rowShape,
    boolean batchAxis,
    boolean allowNan,
    ImagePreprocessing image)
    implements Serializable {

  /** A binding of columns or arrays (no image). */
  public InputBinding(
      String onnxName,
      ElementType target,
      InputLayout layout,
      String[] columns,
      int[] ordinals,
      SourceKind[] kinds,
      DecimalType[] decimalTypes,
      long[] rowShape,
      boolean batchAxis,
      boolean allowNan) {
    this(
        onnxName,
        target,
        layout,
        columns,
        ordinals,
        kinds,
        decimalTypes,
        rowShape,
        batchAxis,
        allowNan,
        null);
  }

  /** Copies the arrays: a binding never changes after planning. */
  public InputBinding {
    columns = columns.clone();
    ordinals = ordinals.clone();
    kinds = kinds.clone();
    decimalTypes = decimalTypes.clone();
    rowShape = rowShape.clone();
  }

  /**
   * @return a copy of the column names
   */
  @Override
  public String[] columns() {
    return columns.clone();
  }

  /**
   * @return a copy of the column ordinals (encoders keep their own copy)
   */
  @Override
  public int[] ordinals() {
    return ordinals.clone();
  }

  /**
   * @return a copy of the source kinds
   */
  @Override
  public SourceKind[] kinds() {
    return kinds.clone();
  }

  /**
   * @return a copy of the decimal types
   */
  @Override
  public DecimalType[] decimalTypes() {
    return decimalTypes.clone();
  }

  /**
   * @return a copy of the per-row shape
   */
  @Override
  public long[] rowShape() {
    return rowShape.clone();
  }

  /** Compares the arrays by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof InputBinding b
        && onnxName.equals(b.onnxName)
        && target == b.target
        && layout == b.layout
        && Arrays.equals(columns, b.columns)
        && Arrays.equals(ordinals, b.ordinals)
        && Arrays.equals(kinds, b.kinds)
        && Arrays.equals(decimalTypes, b.decimalTypes)
        && Arrays.equals(rowShape, b.rowShape)
        && batchAxis == b.batchAxis
        && allowNan == b.allowNan
        && Objects.equals(image, b.image);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        onnxName,
        target,
        layout,
        Arrays.hashCode(columns),
        Arrays.hashCode(ordinals),
        Arrays.hashCode(rowShape),
        batchAxis,
        allowNan,
        image);
  }

  @Override
  public String toString() {
    return "InputBinding[" + describe() + "]";
  }

  /**
   * @return a fresh encoder for rows of one partition; the caller owns and closes it
   */
  public InputEncoder newEncoder(int batchSize) {
    if (image != null) {
      return new ImageEncoder(this, batchSize);
    }
    return target == ElementType.STRING
        ? new StringEncoder(this, batchSize)
        : new NumericEncoder(this, batchSize);
  }

  /**
   * @return e.g. {@code features <- [sepal_length, sepal_width] as [?, 2] float32}
   */
  public String describe() {
    long[] full = batchAxis ? Shapes.prepend(-1, rowShape) : rowShape;
    return onnxName
        + " <- "
        + (layout == InputLayout.COLUMNS ? Arrays.toString(columns) : columns[0])
        + (image != null ? " (image: " + image.describe() + ")" : "")
        + " as "
        + Shapes.format(full)
        + " "
        + target;
  }
}
