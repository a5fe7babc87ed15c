package io.batchinfer.udfs;

import java.util.Locale;

/**
 * How a model output that is an ONNX-ML map, or a sequence of maps (ZipMap), is written ({@code
 * outputs.<name>.as}).
 */
public enum MapForm {
  /**
   * A Spark map column ({@code map<bigint|string, float>}), keys in ascending order. The default.
   */
  MAP,
  /**
   * An array column of the map's values in class order: the order of {@code outputs.<name>.classes}
   * when given, else the keys sorted ascending (numerically for int64 keys, by string for string
   * keys: scikit-learn's {@code classes_} order). Softmax, argmax, labels and top-k apply to it as
   * to a class-score tensor.
   */
  ARRAY;

  /**
   * @return the form for a config value, or null if unknown
   */
  public static MapForm parse(String value) {
    return EnumValues.parse(MapForm.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
