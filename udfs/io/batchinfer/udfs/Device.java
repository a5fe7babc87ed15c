package io.batchinfer.udfs;

import java.util.Locale;

/** Where a model runs: the {@code model.device} config key. */
public enum Device {
  /** ONNX Runtime's CPU execution provider. */
  CPU,
  /**
   * CUDA on the GPU Spark assigned to the task (or {@code model.device_id}); fails the task with a
   * clear message when the executor cannot use it, unless {@code model.device_fallback} is {@code
   * cpu}.
   */
  CUDA,
  /** TensorRT (with CUDA and CPU registered after it), on the GPU chosen as for {@link #CUDA}. */
  TENSORRT,
  /**
   * CUDA when the executor can use it, CPU otherwise ({@code model.device_fallback} defaults to
   * {@code cpu}).
   */
  AUTO;

  /**
   * @return the device for a config value, or {@code null} if unknown
   */
  public static Device parse(String value) {
    return EnumValues.parse(Device.class, value);
  }

  /**
   * @return true for the devices that need a GPU ordinal ({@code cuda}, {@code tensorrt}, {@code
   *     auto})
   */
  public boolean usesGpu() {
    return this != CPU;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
