package io.batchinfer.udfs.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's inputs and outputs, in graph order. Inputs and outputs that are not tensors (sequences,
 * maps) or whose element type ONNX Runtime Java cannot build are kept in {@link #unsupported()}
 * with a description (inputs among them also in {@link #unsupportedInputs()}), so validation can
 * name them. Outputs that are ONNX-ML maps or sequences of maps (ZipMap) are also described in
 * {@link #maps()}: they can be written as map or array columns. Immutable.
 */
public record ModelSignature(
    Map<String, TensorSpec> inputs,
    Map<String, TensorSpec> outputs,
    Map<String, String> unsupported,
    java.util.Set<String> unsupportedInputs,
    Map<String, MapSpec> maps)
    implements Serializable {

  public ModelSignature {
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    unsupported = Collections.unmodifiableMap(new LinkedHashMap<>(unsupported));
    unsupportedInputs =
        Collections.unmodifiableSet(new java.util.LinkedHashSet<>(unsupportedInputs));
    maps = Collections.unmodifiableMap(new LinkedHashMap<>(maps == null ? Map.of() : maps));
  }

  /** A signature without map outputs. */
  public ModelSignature(
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs,
      Map<String, String> unsupported,
      java.util.Set<String> unsupportedInputs) {
    this(inputs, outputs, unsupported, unsupportedInputs, Map.of());
  }

  /** Reads the signature from an open session. Does not close the session. */
  public static ModelSignature of(OrtSession session) throws OrtException {
    Map<String, String> unsupportedIn = new LinkedHashMap<>();
    Map<String, TensorSpec> in = read(session.getInputInfo(), unsupportedIn);
    Map<String, String> unsupported = new LinkedHashMap<>(unsupportedIn);
    Map<String, TensorSpec> out = read(session.getOutputInfo(), unsupported);
    Map<String, MapSpec> maps = new LinkedHashMap<>();
    for (NodeInfo node : session.getOutputInfo().values()) {
      MapSpec map = MapSpec.of(node.getName(), node.getInfo());
      if (map != null) {
        maps.put(node.getName(), map);
      }
    }
    return new ModelSignature(in, out, unsupported, unsupportedIn.keySet(), maps);
  }

  private static Map<String, TensorSpec> read(
      Map<String, NodeInfo> nodes, Map<String, String> unsupported) {
    Map<String, TensorSpec> specs = new LinkedHashMap<>();
    for (NodeInfo node : nodes.values()) {
      ValueInfo info = node.getInfo();
      if (info instanceof TensorInfo t) {
        ElementType type = ElementType.fromOnnx(t.onnxType);
        if (type == null) {
          unsupported.put(
              node.getName(), "tensor of " + t.onnxType + " (not supported by ONNX Runtime Java)");
        } else {
          specs.put(
              node.getName(),
              new TensorSpec(node.getName(), type, t.getShape(), t.getDimensionNames()));
        }
      } else {
        unsupported.put(node.getName(), String.valueOf(info));
      }
    }
    return specs;
  }

  /**
   * @return this signature without the inputs named in {@code names} (the initializers a {@link
   *     GraphSkeleton} declared as inputs)
   */
  public ModelSignature withoutInputs(java.util.Set<String> names) {
    Map<String, TensorSpec> in = new LinkedHashMap<>(inputs);
    Map<String, String> other = new LinkedHashMap<>(unsupported);
    java.util.Set<String> otherIn = new java.util.LinkedHashSet<>(unsupportedInputs);
    in.keySet().removeAll(names);
    otherIn.removeAll(names);
    other.keySet().removeIf(n -> names.contains(n) && unsupportedInputs.contains(n));
    return new ModelSignature(in, outputs, other, otherIn);
  }

  /**
   * @return e.g. {@code features [?, 4] float32, ids [?] int64}
   */
  public static String describe(Map<String, TensorSpec> specs) {
    StringBuilder sb = new StringBuilder();
    for (TensorSpec s : specs.values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(s.name()).append(' ').append(s.describe());
    }
    return sb.toString();
  }

  /**
   * @return names of all outputs, supported or not
   */
  public java.util.Set<String> allOutputNames() {
    java.util.Set<String> names = new java.util.LinkedHashSet<>(outputs.keySet());
    names.addAll(unsupported.keySet());
    return names;
  }
}
