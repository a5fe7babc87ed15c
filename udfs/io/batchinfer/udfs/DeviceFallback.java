package io.batchinfer.udfs;

import java.util.Locale;

/**
 * What a task does when its GPU device cannot be used ({@code model.device_fallback}): fail with
 * ONNX Runtime's reason, or run on CPU and say why in the run report.
 */
public enum DeviceFallback {
  /** Fail the task (the default for an explicit {@code cuda} or {@code tensorrt}). */
  FAIL,
  /** Run on CPU and record the reason (the default for {@code auto}). */
  CPU;

  /**
   * @return the fallback for a config value, or {@code null} if unknown
   */
  public static DeviceFallback parse(String value) {
    return io.batchinfer.udfs.EnumValues.parse(DeviceFallback.class, value);
  }

  /**
   * @return the default for {@code device}: {@link #CPU} for {@code auto}, {@link #FAIL} otherwise
   */
  public static DeviceFallback defaultFor(Device device) {
    return device == Device.AUTO ? CPU : FAIL;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
