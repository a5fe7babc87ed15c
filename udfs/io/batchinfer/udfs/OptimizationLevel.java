package io.batchinfer.udfs;

import ai.onnxruntime.OrtSession;
import java.util.Locale;

/**
 * ONNX Runtime graph optimisation level: the {@code model.onnxruntime.optimization_level} config
 * key.
 */
public enum OptimizationLevel {
  /** No graph optimisation (the model runs as written). */
  DISABLE(OrtSession.SessionOptions.OptLevel.NO_OPT),
  /** Constant folding and redundant-node removal only. */
  BASIC(OrtSession.SessionOptions.OptLevel.BASIC_OPT),
  /** Plus node fusions (e.g. attention, GELU, layer norm). */
  EXTENDED(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT),
  /** Plus layout optimisations for the machine it runs on (the default). */
  ALL(OrtSession.SessionOptions.OptLevel.ALL_OPT);

  private final OrtSession.SessionOptions.OptLevel ort;

  OptimizationLevel(OrtSession.SessionOptions.OptLevel ort) {
    this.ort = ort;
  }

  /**
   * @return ONNX Runtime's constant for this level
   */
  public OrtSession.SessionOptions.OptLevel ort() {
    return ort;
  }

  /**
   * @return the level for a config value, or {@code null} if unknown
   */
  public static OptimizationLevel parse(String value) {
    return EnumValues.parse(OptimizationLevel.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
