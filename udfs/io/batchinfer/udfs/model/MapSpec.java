package io.batchinfer.udfs.model;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.ValueInfo;
import java.io.Serializable;
import java.util.Objects;

/**
 * A model output that is an ONNX-ML map, or a sequence of maps with one map per row (what ZipMap
 * returns: {@code seq(map(int64|string, float))}, the class probabilities of every scikit-learn
 * classifier exported with default options). Keys are int64 or string; values float32, float64,
 * int64 or string (the map types ONNX Runtime Java reads). Immutable; serializable so it can travel
 * in a spec.
 *
 * @param name the model output name
 * @param sequence true for {@code seq(map(..))} (one map per row), false for a single map
 * @param keyType {@link ElementType#INT64} or {@link ElementType#STRING}
 * @param valueType {@link ElementType#FLOAT32}, {@link ElementType#FLOAT64}, {@link
 *     ElementType#INT64} or {@link ElementType#STRING}
 */
public record MapSpec(String name, boolean sequence, ElementType keyType, ElementType valueType)
    implements Serializable {

  public MapSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(valueType, "valueType");
  }

  /**
   * @return the spec of a map or sequence-of-maps value, or null when {@code info} is anything else
   *     (a tensor, a sequence of tensors, a map type ONNX Runtime Java cannot read)
   */
  public static MapSpec of(String name, ValueInfo info) {
    if (info instanceof MapInfo m) {
      return of(name, false, m);
    }
    if (info instanceof SequenceInfo s && s.isSequenceOfMaps() && s.mapInfo != null) {
      return of(name, true, s.mapInfo);
    }
    return null;
  }

  private static MapSpec of(String name, boolean sequence, MapInfo m) {
    ElementType key = element(m.keyType);
    ElementType value = element(m.valueType);
    if ((key != ElementType.INT64 && key != ElementType.STRING) || value == null) {
      return null;
    }
    return new MapSpec(name, sequence, key, value);
  }

  private static ElementType element(OnnxJavaType type) {
    if (type == null) {
      return null;
    }
    switch (type) {
      case FLOAT:
        return ElementType.FLOAT32;
      case DOUBLE:
        return ElementType.FLOAT64;
      case INT64:
        return ElementType.INT64;
      case STRING:
        return ElementType.STRING;
      default:
        return null;
    }
  }

  /**
   * @return true when the values are numbers (an array of them can be post-processed)
   */
  public boolean numericValues() {
    return valueType != ElementType.STRING;
  }

  /**
   * @return e.g. {@code seq(map(int64, float32))}
   */
  public String describe() {
    String map = "map(" + keyType + ", " + valueType + ")";
    return sequence ? "seq(" + map + ")" : map;
  }
}
