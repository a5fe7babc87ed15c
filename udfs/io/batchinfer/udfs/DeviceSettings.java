package io.batchinfer.udfs;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * GPU placement as requested ({@code model.device_fallback}, {@code model.device_id}, {@code
 * model.gpu_resource}, {@code model.cuda}, {@code model.tensorrt}), not yet validated: the planner
 * checks provider option names against the ones ONNX Runtime parses. Immutable; driver only; holds
 * no native resources.
 *
 * @param fallback what a task does when its GPU cannot be used
 * @param deviceId the GPU ordinal for tasks Spark assigned no GPU resource
 * @param gpuResource the Spark resource whose address is a task's GPU ordinal
 * @param cuda CUDA provider options by ONNX Runtime name (YAML scalars)
 * @param tensorrt TensorRT provider options by ONNX Runtime name (YAML scalars)
 */
public record DeviceSettings(
    DeviceFallback fallback,
    int deviceId,
    String gpuResource,
    Map<String, Object> cuda,
    Map<String, Object> tensorrt) {
  /** Default {@code model.gpu_resource}: Spark's conventional name for GPUs. */
  public static final String GPU_RESOURCE_DEFAULT = "gpu";

  public DeviceSettings {
    Objects.requireNonNull(fallback, "fallback");
    Objects.requireNonNull(gpuResource, "gpuResource");
    cuda = Collections.unmodifiableMap(new LinkedHashMap<>(cuda));
    tensorrt = Collections.unmodifiableMap(new LinkedHashMap<>(tensorrt));
  }

  /**
   * @return the defaults for {@code device}: its default fallback, ordinal 0, resource {@code gpu},
   *     no options
   */
  public static DeviceSettings defaults(Device device) {
    return new DeviceSettings(
        DeviceFallback.defaultFor(device), 0, GPU_RESOURCE_DEFAULT, Map.of(), Map.of());
  }
}
