package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceSettings;
import io.batchinfer.udfs.DistributionSettings;
import io.batchinfer.udfs.session.GpuOptions;
import io.batchinfer.udfs.session.ProviderOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Driver only: checks GPU placement and model distribution settings ({@code model.device_id},
 * {@code model.gpu_resource}, {@code model.cuda}, {@code model.tensorrt}, {@code
 * model.distribution_threshold_mb}) and freezes them into the {@link GpuOptions} sessions are built
 * with. Provider options are checked by name against the ones ONNX Runtime parses ({@link
 * ProviderOptions}) and turned into the strings it expects. Stateless.
 */
public final class DeviceBinder {
  private DeviceBinder() {}

  /**
   * Records a problem for every bad value.
   *
   * @return the options to build sessions with (valid parts only when there are problems)
   */
  public static GpuOptions bind(
      Device device,
      DeviceSettings settings,
      DistributionSettings distribution,
      Problems problems) {
    if (settings.deviceId() < 0) {
      problems.add(
          "model.device_id: must be a GPU ordinal (0, 1, ...); found " + settings.deviceId() + ".");
    }
    if (distribution.thresholdMb() < 0) {
      problems.add(
          "model.distribution_threshold_mb: must be at least 0; found "
              + distribution.thresholdMb()
              + ".");
    }
    if (settings.gpuResource().isBlank()) {
      problems.add(
          "model.gpu_resource: empty; name the Spark resource of GPUs (default "
              + DeviceSettings.GPU_RESOURCE_DEFAULT
              + ").");
    }
    Map<String, String> cuda =
        providerOptions("model.cuda", settings.cuda(), ProviderOptions.CUDA, problems);
    Map<String, String> tensorrt =
        providerOptions("model.tensorrt", settings.tensorrt(), ProviderOptions.TENSORRT, problems);
    if (!settings.tensorrt().isEmpty() && device != Device.TENSORRT) {
      problems.add(
          "model.tensorrt: set, but model.device is "
              + device
              + "; set model.device: tensorrt or remove"
              + " model.tensorrt.");
    }
    if (!settings.cuda().isEmpty() && !device.usesGpu()) {
      problems.add(
          "model.cuda: set, but model.device is cpu; set model.device to cuda, tensorrt or auto, or remove"
              + " model.cuda.");
    }
    return new GpuOptions(
        settings.fallback(), settings.gpuResource(), cuda, tensorrt, distribution.cacheDir());
  }

  /**
   * Converts YAML values to the strings ONNX Runtime parses (booleans become {@code 1}/{@code 0})
   * and records a problem for every unknown name or non-scalar value.
   *
   * @param key {@code model.cuda} or {@code model.tensorrt}
   * @param names the option names ONNX Runtime accepts ({@link ProviderOptions#CUDA} or {@link
   *     ProviderOptions#TENSORRT})
   * @return the valid options as strings
   */
  public static Map<String, String> providerOptions(
      String key, Map<String, ?> options, Set<String> names, Problems problems) {
    Map<String, String> out = new LinkedHashMap<>();
    if (options == null) {
      return out;
    }
    String provider = names == ProviderOptions.CUDA ? "CUDA" : "TensorRT";
    for (Map.Entry<String, ?> e : options.entrySet()) {
      String name = e.getKey();
      Object value = e.getValue();
      if ("device_id".equals(name)) {
        problems.add(
            key
                + ".device_id: the GPU ordinal comes from Spark's task resources (spark.task.resource.gpu.amount)"
                + " or model.device_id; remove "
                + key
                + ".device_id.");
      } else if (!names.contains(name)) {
        problems.add(
            key
                + "."
                + name
                + ": unknown "
                + provider
                + " provider option; expected one of "
                + names
                + "."
                + Problems.didYouMean(name, names));
      } else if (value == null || value instanceof Map || value instanceof List) {
        problems.add(
            key
                + "."
                + name
                + ": expected a single value (text, number or true/false); found "
                + (value == null
                    ? "nothing"
                    : value.getClass().getSimpleName().toLowerCase(Locale.ROOT))
                + ".");
      } else if (value instanceof Boolean b) {
        out.put(name, b ? "1" : "0");
      } else {
        out.put(name, String.valueOf(value));
      }
    }
    return out;
  }
}
