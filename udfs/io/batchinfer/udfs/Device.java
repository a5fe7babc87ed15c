package io.batchinfer.udfs;

import java.util.Locale;

/** Where a model runs: the {@code model.device} config key. */
public enum Device {
  /** ONNX Runtime's CPU execution provider. */
  CPU,
  /** CUDA; the task fails with a clear message when the executor has no CUDA provider. */
  CUDA,
  /** CUDA when the executor's ONNX Runtime build offers it, CPU otherwise. */
  AUTO;

  /** @return the device for a config value, or {@code null} if unknown */
  public static Device parse(String value) {
    return EnumValues.parse(Device.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
