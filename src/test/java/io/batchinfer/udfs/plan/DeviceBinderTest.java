package io.batchinfer.udfs.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import io.batchinfer.udfs.DeviceSettings;
import io.batchinfer.udfs.DistributionSettings;
import io.batchinfer.udfs.session.GpuOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Provider options become the strings ONNX Runtime parses; options for a device not in use are
 * refused.
 */
class DeviceBinderTest {
  @Test
  void convertsYamlScalarsToOnnxRuntimeStrings() {
    Problems problems = new Problems();
    GpuOptions gpu =
        DeviceBinder.bind(
            Device.TENSORRT,
            new DeviceSettings(
                DeviceFallback.FAIL,
                0,
                "gpu",
                Map.of("gpu_mem_limit", 2147483648L, "cudnn_conv_algo_search", "HEURISTIC"),
                Map.of("trt_fp16_enable", true, "trt_engine_cache_enable", false)),
            DistributionSettings.DEFAULT,
            problems);
    assertThat(problems.list()).isEmpty();
    assertThat(gpu.cuda())
        .isEqualTo(Map.of("cudnn_conv_algo_search", "HEURISTIC", "gpu_mem_limit", "2147483648"));
    assertThat(gpu.tensorrt())
        .containsEntry("trt_fp16_enable", "1")
        .containsEntry("trt_engine_cache_enable", "0");
  }

  @Test
  void refusesOptionsOfAProviderTheDeviceDoesNotUse() {
    Problems problems = new Problems();
    DeviceBinder.bind(
        Device.CUDA,
        new DeviceSettings(
            DeviceFallback.FAIL, 0, "gpu", Map.of(), Map.of("trt_fp16_enable", true)),
        DistributionSettings.DEFAULT,
        problems);
    DeviceBinder.bind(
        Device.CPU,
        new DeviceSettings(DeviceFallback.FAIL, 0, "gpu", Map.of("gpu_mem_limit", 1), Map.of()),
        DistributionSettings.DEFAULT,
        problems);
    assertThat(problems.list())
        .containsExactly(
            "model.tensorrt: set, but model.device is cuda; set model.device: tensorrt or remove model.tensorrt.",
            "model.cuda: set, but model.device is cpu; set model.device to cuda, tensorrt or auto, or remove model.cuda.");
  }
}
