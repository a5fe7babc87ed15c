package io.batchinfer.udfs;

import java.util.Locale;

/**
 * How a model reaches executors ({@code model.distribution}).
 *
 * <ul>
 *   <li>{@link #BROADCAST}: the driver reads the bytes and broadcasts them; executors build their
 *       session from memory. Models up to 2 GB without external data.
 *   <li>{@link #FILES}: each node copies the model file and its external-data files once into a
 *       local cache folder ({@code model.LocalModelCache}) and ONNX Runtime loads it by path: any
 *       size, external data resolves. The model path must be readable from executors (HDFS, S3, a
 *       shared file system).
 *   <li>{@link #AUTO}: {@code files} when the model has external data or its files exceed the
 *       threshold ({@code model.distribution_threshold_mb}), {@code broadcast} otherwise.
 * </ul>
 */
public enum ModelDistribution {
  AUTO,
  BROADCAST,
  FILES;

  /**
   * Default {@code model.distribution_threshold_mb}: models above it go as files under {@code
   * auto}.
   */
  public static final int THRESHOLD_MB_DEFAULT = 1024;

  /**
   * @return the value for a config string, or {@code null} if unknown
   */
  public static ModelDistribution parse(String value) {
    return io.batchinfer.udfs.EnumValues.parse(ModelDistribution.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
