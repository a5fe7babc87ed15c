package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How GPU sessions are placed and configured: what to do when the GPU cannot be used, which Spark
 * resource names the task's GPU, and the provider options passed to ONNX Runtime. Immutable and
 * serializable (it travels in the spec to executors).
 *
 * @param fallback {@code model.device_fallback}
 * @param resourceName the Spark resource whose address is the task's GPU ordinal ({@code
 *     model.gpu_resource}, default {@code gpu})
 * @param cuda {@code model.cuda}: CUDA provider options, by ONNX Runtime name (validated by {@link
 *     ProviderOptions})
 * @param tensorrt {@code model.tensorrt}: TensorRT provider options, by ONNX Runtime name
 * @param cacheDir {@code model.cache_dir} (TensorRT engines default to {@code
 *     <cacheDir>/tensorrt-engines}), or null for the default under {@code java.io.tmpdir}
 */
public record GpuOptions(
    DeviceFallback fallback,
    String resourceName,
    Map<String, String> cuda,
    Map<String, String> tensorrt,
    String cacheDir)
    implements Serializable {
  /** Default Spark resource name for GPUs. */
  public static final String RESOURCE_DEFAULT = "gpu";

  public GpuOptions {
    Objects.requireNonNull(fallback, "fallback");
    resourceName = resourceName == null || resourceName.isBlank() ? RESOURCE_DEFAULT : resourceName;
    // Sorted copies: equal options give equal (cache) keys whatever the YAML order.
    cuda = cuda == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(cuda));
    tensorrt =
        tensorrt == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(tensorrt));
  }

  /**
   * @return the defaults for {@code device}: fallback per {@link DeviceFallback#defaultFor},
   *     resource {@code gpu}, no options
   */
  public static GpuOptions defaults(Device device) {
    return new GpuOptions(
        DeviceFallback.defaultFor(device), RESOURCE_DEFAULT, Map.of(), Map.of(), null);
  }
}
