package io.batchinfer.jobs;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import io.batchinfer.udfs.ModelDistribution;
import io.batchinfer.udfs.plan.DeviceBinder;
import io.batchinfer.udfs.plan.Problems;
import io.batchinfer.udfs.session.ProviderOptions;

/**
 * Driver only: the {@code model.} keys of GPU placement and model distribution ({@code
 * device_fallback}, {@code device_id}, {@code gpu_resource}, {@code cuda}, {@code tensorrt}, {@code
 * distribution}, {@code distribution_threshold_mb}, {@code cache_dir}): checked before Spark starts
 * ({@link #check}) and handed to the engine's builder ({@link #apply}), which checks provider
 * option names. Stateless.
 */
final class DeviceConfig {
  private DeviceConfig() {}

  /** Records a problem for every value that is wrong on its own. */
  static void check(JobConfig.Model model, Device device, Problems problems) {
    fallback(model, device, problems);
    DeviceBinder.providerOptions(ConfigKeys.CUDA, model.cuda(), ProviderOptions.CUDA, problems);
    DeviceBinder.providerOptions(
        ConfigKeys.TENSORRT, model.tensorrt(), ProviderOptions.TENSORRT, problems);
    distribution(model, problems);
    if (model.deviceId() != null && model.deviceId() < 0) {
      problems.add(
          ConfigKeys.DEVICE_ID
              + ": must be a GPU ordinal (0, 1, ...); found "
              + model.deviceId()
              + ".");
    }
    if (model.distributionThresholdMb() != null && model.distributionThresholdMb() < 0) {
      problems.add(
          ConfigKeys.DISTRIBUTION_THRESHOLD_MB
              + ": must be at least 0; found "
              + model.distributionThresholdMb()
              + ".");
    }
    if (model.gpuResource() != null && model.gpuResource().isBlank()) {
      problems.add(
          ConfigKeys.GPU_RESOURCE
              + ": empty; name the Spark resource of GPUs (default "
              + ConfigKeys.GPU_RESOURCE_DEFAULT
              + ").");
    }
    if (model.deviceFallback() != null && device == Device.CPU) {
      problems.add(
          ConfigKeys.DEVICE_FALLBACK
              + ": set, but model.device is cpu; it only applies to cuda, tensorrt"
              + " and auto.");
    }
  }

  /** Passes the keys to {@code builder}; problems with values were recorded by {@link #check}. */
  static void apply(
      JobConfig.Model model, Device device, BatchInference.Builder builder, Problems problems) {
    DeviceFallback fallback = fallback(model, device, problems);
    builder.deviceFallback(fallback);
    builder.deviceId(model.deviceId() == null ? 0 : model.deviceId());
    builder.gpuResource(
        model.gpuResource() == null ? ConfigKeys.GPU_RESOURCE_DEFAULT : model.gpuResource());
    // Only the valid options: check() reported the others before Spark started.
    builder.cudaOptions(
        DeviceBinder.providerOptions(
            ConfigKeys.CUDA, model.cuda(), ProviderOptions.CUDA, new Problems()));
    builder.tensorrtOptions(
        DeviceBinder.providerOptions(
            ConfigKeys.TENSORRT, model.tensorrt(), ProviderOptions.TENSORRT, new Problems()));
    builder.distribution(
        distribution(model, problems),
        model.distributionThresholdMb() == null
            ? ConfigKeys.DISTRIBUTION_THRESHOLD_MB_DEFAULT
            : model.distributionThresholdMb());
    builder.cacheDir(model.cacheDir());
  }

  private static DeviceFallback fallback(JobConfig.Model model, Device device, Problems problems) {
    if (model.deviceFallback() == null) {
      return DeviceFallback.defaultFor(device);
    }
    DeviceFallback parsed = DeviceFallback.parse(model.deviceFallback());
    if (parsed == null) {
      problems.add(
          ConfigKeys.DEVICE_FALLBACK
              + ": unknown value '"
              + model.deviceFallback()
              + "'; expected one of "
              + ConfigKeys.DEVICE_FALLBACKS
              + "."
              + Problems.didYouMean(model.deviceFallback(), ConfigKeys.DEVICE_FALLBACKS));
      return DeviceFallback.defaultFor(device);
    }
    return parsed;
  }

  private static ModelDistribution distribution(JobConfig.Model model, Problems problems) {
    if (model.distribution() == null) {
      return ModelDistribution.AUTO;
    }
    ModelDistribution parsed = ModelDistribution.parse(model.distribution());
    if (parsed == null) {
      problems.add(
          ConfigKeys.DISTRIBUTION
              + ": unknown value '"
              + model.distribution()
              + "'; expected one of "
              + ConfigKeys.DISTRIBUTIONS
              + "."
              + Problems.didYouMean(model.distribution(), ConfigKeys.DISTRIBUTIONS));
      return ModelDistribution.AUTO;
    }
    return parsed;
  }
}
