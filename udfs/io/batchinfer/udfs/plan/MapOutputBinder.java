package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.MapForm;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.codec.MapLayout;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.MapSpec;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Driver only: binds ONNX-ML map outputs ({@code map(..)}) and sequence-of-maps outputs ({@code
 * seq(map(..))}, what ZipMap returns) to a map column or, with {@code outputs.<name>.as: array}, to
 * an array column in class order, which then takes softmax, argmax, labels and top-k exactly like a
 * class-score tensor (the checks are {@link OutputBinder}'s, run on the equivalent tensor {@code
 * [batch, classes]}). Also rejects {@code as}/{@code classes} on tensor outputs. Records problems
 * instead of throwing; one instance per planning pass.
 */
final class MapOutputBinder {
  private final Problems problems;

  MapOutputBinder(Problems problems) {
    this.problems = problems;
  }

  /**
   * Records a problem when a tensor output's mapping uses the map-only keys.
   *
   * @return true when the mapping may be bound as a tensor mapping
   */
  boolean checkTensor(String key, TensorSpec spec, OutputMapping m) {
    if (m.as() == null && m.classes() == null) {
      return true;
    }
    problems.add(
        key
            + (m.as() != null ? ".as" : ".classes")
            + ": only for model outputs that are maps or sequences of maps (ONNX-ML ZipMap,"
            + " e.g. seq(map(int64, float32))); model output '"
            + spec.name()
            + "' is a tensor "
            + spec.describe()
            + ", which is already written as "
            + (spec.rank() <= 1 ? "one value" : "an array")
            + " per row. Remove '"
            + (m.as() != null ? "as" : "classes")
            + "'.");
    return false;
  }

  /**
   * @param batchAxis whether the model's inputs carry a batch axis (several rows per run)
   * @param tensorBinder binds the array form as the equivalent tensor {@code [batch, classes]}
   * @return the binding, or null after recording a problem
   */
  OutputBinding bind(
      String key,
      MapSpec spec,
      OutputMapping m,
      boolean batchAxis,
      Function<TensorSpec, OutputBinding> tensorBinder) {
    if (!spec.sequence() && batchAxis) {
      problems.add(
          key
              + ": model output '"
              + spec.name()
              + "' is "
              + spec.describe()
              + ", one map per model run, but the model's inputs take a batch of rows, so the map"
              + " cannot be split into rows. Map a sequence-of-maps output (ZipMap) or a tensor"
              + " output instead, or re-export the model with per-row inputs (no batch axis).");
      return null;
    }
    MapForm form = m.as() == null ? MapForm.MAP : m.as();
    List<String> classes = m.classes();
    if (classes != null && !checkClasses(key, spec, classes)) {
      return null;
    }
    if (form == MapForm.MAP) {
      return bindMap(key, spec, m);
    }
    if (!spec.numericValues()) {
      problems.add(
          key
              + ".as: array needs numeric map values to post-process; model output '"
              + spec.name()
              + "' is "
              + spec.describe()
              + ". Use as: map.");
      return null;
    }
    long n = classes == null ? -1 : classes.size();
    TensorSpec equivalent =
        new TensorSpec(
            spec.name(),
            spec.valueType(),
            spec.sequence() ? new long[] {-1, n} : new long[] {n},
            null);
    OutputBinding b = tensorBinder.apply(equivalent);
    if (b == null) {
      return null;
    }
    return b.withMap(
        new MapLayout(spec.sequence(), spec.keyType(), spec.valueType(), true, classes));
  }

  private OutputBinding bindMap(String key, MapSpec spec, OutputMapping m) {
    boolean post =
        m.softmax()
            || m.argmax() != null
            || m.topK() != null
            || m.labels() != null
            || (m.pooling() != null && m.pooling() != Pooling.NONE)
            || m.normalize();
    if (post || m.classes() != null) {
      problems.add(
          key
              + ": "
              + (m.classes() != null
                  ? "classes orders the array form"
                  : "softmax, argmax, top_k, labels, pooling and normalize work on the array form")
              + " of model output '"
              + spec.name()
              + "' ("
              + spec.describe()
              + "); add outputs."
              + spec.name()
              + ".as: array, or keep only 'column' to write a map column.");
      return null;
    }
    if (m.column() == null) {
      problems.add(
          key
              + ".column: missing; name the column for the map of model output '"
              + spec.name()
              + "' ("
              + spec.describe()
              + ").");
      return null;
    }
    return new OutputBinding(
            spec.name(),
            spec.valueType(),
            new long[0],
            spec.sequence(),
            m.column(),
            false,
            null,
            null,
            null,
            0,
            null,
            null,
            Pooling.NONE,
            false)
        .withMap(new MapLayout(spec.sequence(), spec.keyType(), spec.valueType(), false, null));
  }

  private boolean checkClasses(String key, MapSpec spec, List<String> classes) {
    boolean ok = true;
    if (classes.isEmpty()) {
      problems.add(
          key
              + ".classes: empty; list the map keys of model output '"
              + spec.name()
              + "' in the order the array should have, or remove it to sort the keys.");
      return false;
    }
    Set<Object> seen = new HashSet<>();
    for (int i = 0; i < classes.size(); i++) {
      String c = classes.get(i);
      Object k = c;
      if (spec.keyType() == ElementType.INT64) {
        try {
          k = Long.parseLong(c.trim());
        } catch (NumberFormatException e) {
          problems.add(
              key
                  + ".classes["
                  + i
                  + "]: '"
                  + c
                  + "' is not an integer, but model output '"
                  + spec.name()
                  + "' ("
                  + spec.describe()
                  + ") has int64 keys. List the integer class keys.");
          ok = false;
          continue;
        }
      }
      if (!seen.add(k)) {
        problems.add(key + ".classes[" + i + "]: '" + c + "' is listed twice.");
        ok = false;
      }
    }
    return ok;
  }
}
