package io.batchinfer.udfs.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One model input or output as declared in the ONNX graph: name, element type and shape. A
 * dimension of {@code -1} is free (symbolic or unknown); {@code dimNames} holds the symbolic names
 * where the model gives them. Immutable; serializable so it can travel in a spec.
 */
public record TensorSpec(String name, ElementType type, long[] shape, String[] dimNames)
    implements Serializable {

  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    shape = shape.clone();
    dimNames = dimNames == null ? new String[shape.length] : dimNames.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * @return the number of dimensions
   */
  public int rank() {
    return shape.length;
  }

  /**
   * @return dimension {@code i}, {@code -1} when free
   */
  public long dim(int i) {
    return shape[i];
  }

  /**
   * @return e.g. {@code [?, 4] float32} (ONNX notation, symbolic names shown where known)
   */
  public String describe() {
    return Shapes.format(shape, dimNames) + " " + type.onnxName();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && name.equals(t.name)
        && type == t.type
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(dimNames, t.dimNames);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + " " + describe();
  }
}
