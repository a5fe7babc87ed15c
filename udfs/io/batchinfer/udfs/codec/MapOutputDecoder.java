package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.model.ElementType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Executor side: decodes an ONNX-ML map output ({@code map(..)}, one per run) or sequence-of-maps
 * output ({@code seq(map(..))}, one map per row: ZipMap) into a Spark map column, or into an array
 * of the values in class order that {@link ClassScores} post-processes like a class-score tensor.
 *
 * <p>Class order of the array form: {@link MapLayout#classes()} when configured, else the keys
 * sorted ascending; then every row's map must hold exactly the same keys (a ZipMap always does),
 * otherwise the output contradicts the mapping and the batch fails with an {@link
 * OutputDecoder.OutputShapeException} naming the output (nothing is dropped silently).
 *
 * <p>Closes the per-row {@link OnnxMap} values it takes out of a sequence (ONNX Runtime hands them
 * over as new native values); the sequence itself belongs to the caller's result. One instance per
 * task (it remembers the sorted class order it saw first); not thread-safe.
 */
final class MapOutputDecoder {
  private final OutputBinding binding;
  private final MapLayout layout;
  private final ClassScores classScores;

  /** The class keys (Long or String) in array order; from config, or the first map's keys. */
  private List<Object> order;

  MapOutputDecoder(OutputBinding binding) {
    this.binding = binding;
    this.layout = binding.map();
    this.classScores = new ClassScores(binding);
    if (layout.classes() != null) {
      List<Object> keys = new ArrayList<>();
      for (String c : layout.classes()) {
        keys.add(layout.keyType() == ElementType.INT64 ? (Object) Long.parseLong(c.trim()) : c);
      }
      this.order = keys;
    }
  }

  /** Decodes {@code rows} rows of {@code value} into {@code out[rowIndex[r]][offset ...]}. */
  void decode(OnnxValue value, int rows, Object[][] out, int[] rowIndex, int offset)
      throws OrtException {
    if (layout.sequence()) {
      if (!(value instanceof OnnxSequence seq)) {
        throw mismatch(value);
      }
      List<? extends OnnxValue> items = seq.getValue();
      try {
        if (items.size() != rows) {
          throw new OutputDecoder.OutputShapeException(
              "model output '"
                  + binding.onnxName()
                  + "' is a sequence of "
                  + items.size()
                  + " maps for a batch of "
                  + rows
                  + " rows; expected one map per row");
        }
        for (int r = 0; r < rows; r++) {
          if (!(items.get(r) instanceof OnnxMap map)) {
            throw mismatch(items.get(r));
          }
          write(map.getValue(), out[rowIndex[r]], offset);
        }
      } finally {
        for (OnnxValue item : items) {
          item.close();
        }
      }
    } else {
      if (!(value instanceof OnnxMap map)) {
        throw mismatch(value);
      }
      if (rows != 1) {
        throw new OutputDecoder.OutputShapeException(
            "model output '"
                + binding.onnxName()
                + "' is one map for a run of "
                + rows
                + " rows; a map output needs one row per run");
      }
      write(map.getValue(), out[rowIndex[0]], offset);
    }
  }

  private OutputDecoder.OutputShapeException mismatch(OnnxValue value) {
    return new OutputDecoder.OutputShapeException(
        "model output '"
            + binding.onnxName()
            + "' is "
            + value.getInfo()
            + " at run time but its metadata declares "
            + layout.describe());
  }

  private void write(Map<?, ?> map, Object[] row, int offset) {
    if (!layout.asArray()) {
      row[offset] = sparkMap(new TreeMap<Object, Object>(map));
      return;
    }
    if (order == null) {
      order = new ArrayList<>(new TreeMap<Object, Object>(map).keySet());
    }
    if (map.size() != order.size() || !map.keySet().containsAll(order)) {
      List<Object> found = new ArrayList<>(new TreeMap<Object, Object>(map).keySet());
      throw new OutputDecoder.OutputShapeException(
          "model output '"
              + binding.onnxName()
              + "' returned a map with keys "
              + found
              + " but the array form expects exactly the classes "
              + order
              + (layout.classes() != null
                  ? " listed in outputs." + binding.onnxName() + ".classes"
                  : " of the first row")
              + ". List the keys the model returns in outputs."
              + binding.onnxName()
              + ".classes, or write the map form (as: map)");
    }
    if (binding.labels() != null && binding.labels().size() != order.size()) {
      throw new OutputDecoder.OutputShapeException(
          "model output '"
              + binding.onnxName()
              + "' has "
              + order.size()
              + " classes "
              + order
              + " but outputs."
              + binding.onnxName()
              + ".labels lists "
              + binding.labels().size()
              + "; list one label per class");
    }
    Object[] values = new Object[order.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = map.get(order.get(i));
    }
    Object raw = array(values, layout.valueType());
    if (!binding.postProcesses()) {
      row[offset] = raw;
      return;
    }
    double[] scores = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      scores[i] = ((Number) values[i]).doubleValue();
    }
    classScores.write(scores, binding.softmax() ? null : raw, row, offset);
  }

  private Object sparkMap(TreeMap<Object, Object> sorted) {
    Object[] keys = sorted.keySet().toArray();
    Object[] values = sorted.values().toArray();
    return new ArrayBasedMapData(array(keys, layout.keyType()), array(values, layout.valueType()));
  }

  /** Spark array of boxed map keys or values of {@code type}. */
  private static ArrayData array(Object[] values, ElementType type) {
    switch (type) {
      case FLOAT32:
        {
          float[] f = new float[values.length];
          for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) values[i]).floatValue();
          }
          return UnsafeArrayData.fromPrimitiveArray(f);
        }
      case FLOAT64:
        {
          double[] d = new double[values.length];
          for (int i = 0; i < d.length; i++) {
            d[i] = ((Number) values[i]).doubleValue();
          }
          return UnsafeArrayData.fromPrimitiveArray(d);
        }
      case INT64:
        {
          long[] l = new long[values.length];
          for (int i = 0; i < l.length; i++) {
            l[i] = ((Number) values[i]).longValue();
          }
          return UnsafeArrayData.fromPrimitiveArray(l);
        }
      case STRING:
        {
          Object[] s = new Object[values.length];
          for (int i = 0; i < s.length; i++) {
            s[i] = UTF8String.fromString(String.valueOf(values[i]));
          }
          return new GenericArrayData(s);
        }
      default:
        throw new IllegalStateException(
            "map element type " + type + " in " + Arrays.toString(values));
    }
  }
}
