package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.Shapes;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A validated mapping from one model output to output columns, with optional post-processing. Built
 * on the driver; shipped to executors in the spec; {@link OutputDecoder} does the work. Immutable
 * and serializable.
 *
 * @param onnxName the model output name
 * @param type the output's element type
 * @param rowShape the per-row shape (without the batch axis); {@code -1} where free
 * @param batchAxis whether the output has a leading batch dimension
 * @param column the column for the (optionally softmaxed) values, or null to not write them
 * @param softmax apply softmax over the last axis before writing {@code column} and scores
 * @param argmax the column for the index of the largest value, or null
 * @param labels index-to-label list, or null
 * @param labelColumn the column for the label of the argmax, or null
 * @param topK how many top entries to keep, 0 for none
 * @param topKIndices the column for the top-k indices (when topK > 0)
 * @param topKScores the column for the top-k scores (when topK > 0)
 * @param pooling pooling over the token axis ({@code [batch, tokens, hidden]} to {@code [hidden]})
 * @param normalize L2-normalize the (pooled) vector
 * @param map for a map or sequence-of-maps output: how it is written (then {@code type} is the
 *     map's value type, and the row shape is {@code [classes]} in the array form, {@code []} in the
 *     map form); null for tensors
 */
public record OutputBinding(
    String onnxName,
    ElementType type,
    long[] rowShape,
    boolean batchAxis,
    String column,
    boolean softmax,
    String argmax,
    List<String> labels,
    String labelColumn,
    int topK,
    String topKIndices,
    String topKScores,
    Pooling pooling,
    boolean normalize,
    MapLayout map)
    implements Serializable {

  public OutputBinding {
    rowShape = rowShape.clone();
    labels = labels == null ? null : List.copyOf(labels);
    pooling = pooling == null ? Pooling.NONE : pooling;
  }

  /** A binding of a tensor output. */
  public OutputBinding(
      String onnxName,
      ElementType type,
      long[] rowShape,
      boolean batchAxis,
      String column,
      boolean softmax,
      String argmax,
      List<String> labels,
      String labelColumn,
      int topK,
      String topKIndices,
      String topKScores,
      Pooling pooling,
      boolean normalize) {
    this(
        onnxName,
        type,
        rowShape,
        batchAxis,
        column,
        softmax,
        argmax,
        labels,
        labelColumn,
        topK,
        topKIndices,
        topKScores,
        pooling,
        normalize,
        null);
  }

  /**
   * @return this binding for a map or sequence-of-maps output written as {@code layout} says
   */
  public OutputBinding withMap(MapLayout layout) {
    return new OutputBinding(
        onnxName,
        type,
        rowShape,
        batchAxis,
        column,
        softmax,
        argmax,
        labels,
        labelColumn,
        topK,
        topKIndices,
        topKScores,
        pooling,
        normalize,
        layout);
  }

  /**
   * @return a copy of the per-row shape
   */
  @Override
  public long[] rowShape() {
    return rowShape.clone();
  }

  /** Compares the shape by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof OutputBinding b
        && onnxName.equals(b.onnxName)
        && type == b.type
        && Arrays.equals(rowShape, b.rowShape)
        && batchAxis == b.batchAxis
        && Objects.equals(column, b.column)
        && softmax == b.softmax
        && Objects.equals(argmax, b.argmax)
        && Objects.equals(labels, b.labels)
        && Objects.equals(labelColumn, b.labelColumn)
        && topK == b.topK
        && Objects.equals(topKIndices, b.topKIndices)
        && Objects.equals(topKScores, b.topKScores)
        && pooling == b.pooling
        && normalize == b.normalize
        && Objects.equals(map, b.map);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        onnxName,
        type,
        Arrays.hashCode(rowShape),
        batchAxis,
        column,
        softmax,
        argmax,
        labels,
        labelColumn,
        topK,
        topKIndices,
        topKScores,
        pooling,
        normalize,
        map);
  }

  @Override
  public String toString() {
    return "OutputBinding[" + describe() + "]";
  }

  /**
   * @return the per-row shape written to {@link #column}: pooling drops the token axis
   */
  public long[] writtenShape() {
    if (pooling == Pooling.NONE) {
      return rowShape.clone();
    }
    return new long[] {rowShape[rowShape.length - 1]};
  }

  /**
   * @return true when the written vector is computed (softmax, pooling, normalize) rather than
   *     copied
   */
  public boolean transformsValues() {
    return softmax || pooling != Pooling.NONE || normalize;
  }

  /**
   * @return true when post-processing over the class axis (softmax, argmax, top-k, labels) is asked
   *     for
   */
  public boolean postProcesses() {
    return softmax || argmax != null || labelColumn != null || topK > 0;
  }

  /**
   * @return the Spark type of {@link #column}: the element type nested once per axis
   */
  public DataType valueType() {
    if (map != null && !map.asArray()) {
      return map.mapType();
    }
    DataType t = type.sparkType();
    if (transformsValues()) {
      t = type == ElementType.FLOAT64 ? DataTypes.DoubleType : DataTypes.FloatType;
    }
    for (int i = 0; i < writtenShape().length; i++) {
      t = DataTypes.createArrayType(t, false);
    }
    return t;
  }

  /**
   * @return the Spark type of top-k scores
   */
  public DataType scoreType() {
    return type == ElementType.FLOAT64 ? DataTypes.DoubleType : DataTypes.FloatType;
  }

  /**
   * @return the output fields this binding writes, in order
   */
  public List<StructField> fields() {
    List<StructField> fields = new ArrayList<>();
    if (column != null) {
      fields.add(DataTypes.createStructField(column, valueType(), false));
    }
    if (argmax != null) {
      fields.add(DataTypes.createStructField(argmax, DataTypes.IntegerType, true));
    }
    if (labelColumn != null) {
      fields.add(DataTypes.createStructField(labelColumn, DataTypes.StringType, true));
    }
    if (topK > 0) {
      fields.add(
          DataTypes.createStructField(
              topKIndices, DataTypes.createArrayType(DataTypes.IntegerType, false), false));
      fields.add(
          DataTypes.createStructField(
              topKScores, DataTypes.createArrayType(scoreType(), false), false));
    }
    return fields;
  }

  /**
   * @return e.g. {@code probabilities [?, 3] float32 -> probs, pred (argmax), pred_label (labels)}
   */
  public String describe() {
    long[] full = batchAxis ? Shapes.prepend(-1, rowShape) : rowShape;
    StringBuilder sb =
        new StringBuilder(onnxName)
            .append(' ')
            .append(
                map != null
                    ? map.describe() + (map.asArray() ? " as array" : "")
                    : Shapes.format(full) + " " + type)
            .append(" ->");
    String sep = " ";
    if (column != null) {
      sb.append(sep)
          .append(column)
          .append(softmax ? " (softmax)" : "")
          .append(pooling != Pooling.NONE ? " (" + pooling + " pooling)" : "")
          .append(normalize ? " (L2-normalized)" : "");
      sep = ", ";
    }
    if (argmax != null) {
      sb.append(sep).append(argmax).append(" (argmax)");
      sep = ", ";
    }
    if (labelColumn != null) {
      sb.append(sep).append(labelColumn).append(" (label of ").append(labels.size()).append(')');
      sep = ", ";
    }
    if (topK > 0) {
      sb.append(sep)
          .append(topKIndices)
          .append(", ")
          .append(topKScores)
          .append(" (top ")
          .append(topK)
          .append(')');
    }
    return sb.toString();
  }
}
