package io.batchinfer.udfs.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import java.util.List;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Placement of sessions: GPU ordinals from a task's Spark resources, one session per (model,
 * options, device, ordinal), and what happens when the GPU provider cannot be used, with the real
 * CPU build of ONNX Runtime this build tests with (it has no CUDA or TensorRT provider, which the
 * first test asserts so that the others mean what they say).
 */
class SessionPlacementTest {
  private static final ModelArtifact MODEL =
      ModelLoader.fromBytes("identity", TestModels.identity("x", "y", TestModels.FLOAT, -1, 2));

  @BeforeAll
  static void cpuOnlyBuild() {
    assertThat(OrtEnvironment.getAvailableProviders())
        .contains(OrtProvider.CPU)
        .doesNotContain(OrtProvider.CUDA, OrtProvider.TENSOR_RT);
  }

  @BeforeEach
  @AfterEach
  void clear() {
    SessionCache.closeAll();
  }

  private static SessionOptionsSpec spec(
      Device device, DeviceFallback fallback, String resource, int deviceId) {
    return new SessionOptionsSpec(
        1,
        device,
        deviceId,
        List.of(),
        new GpuOptions(fallback, resource, Map.of("gpu_mem_limit", "1000000"), Map.of(), null));
  }

  private static Map<String, ResourceInformation> gpus(String name, String... addresses) {
    return Map.of(name, new ResourceInformation(name, addresses));
  }

  @Test
  void theOrdinalIsTheAddressSparkAssignedToTheTask() {
    SessionOptionsSpec cuda = spec(Device.CUDA, DeviceFallback.FAIL, "gpu", 0);
    assertThat(DeviceResolver.resolve(cuda, gpus("gpu", "1")))
        .isEqualTo(new Placement(Device.CUDA, 1, "spark resource 'gpu'", false));
    // Several GPUs for one task: the session runs on the first.
    assertThat(DeviceResolver.resolve(cuda, gpus("gpu", "3", "2")).ordinal()).isEqualTo(3);
    // A configured resource name.
    SessionOptionsSpec named = spec(Device.TENSORRT, DeviceFallback.FAIL, "nvidia.com/gpu", 0);
    assertThat(DeviceResolver.resolve(named, gpus("nvidia.com/gpu", "2")))
        .isEqualTo(new Placement(Device.TENSORRT, 2, "spark resource 'nvidia.com/gpu'", false));
  }

  @Test
  void withoutAGpuResourceTheOrdinalIsModelDeviceId() {
    assertThat(DeviceResolver.resolve(spec(Device.CUDA, DeviceFallback.FAIL, "gpu", 0), Map.of()))
        .isEqualTo(new Placement(Device.CUDA, 0, "model.device_id", false));
    assertThat(
            DeviceResolver.resolve(
                spec(Device.AUTO, DeviceFallback.CPU, "gpu", 2), gpus("fpga", "0")))
        .isEqualTo(new Placement(Device.CUDA, 2, "model.device_id", true));
    assertThat(
            DeviceResolver.resolve(
                spec(Device.CPU, DeviceFallback.FAIL, "gpu", 0), gpus("gpu", "1")))
        .isEqualTo(Placement.CPU);
  }

  @Test
  void aNonNumericAddressIsAClearError() {
    assertThatThrownBy(
            () ->
                DeviceResolver.resolve(
                    spec(Device.CUDA, DeviceFallback.FAIL, "gpu", 0), gpus("gpu", "GPU-8a1f")))
        .hasMessageContaining(
            "model.gpu_resource: Spark assigned this task the 'gpu' address 'GPU-8a1f'")
        .hasMessageContaining("\"addresses\": [\"0\", \"1\"]");
  }

  @Test
  void oneSessionPerDeviceAndOrdinal() {
    // CPU placements that carry ordinals exercise the cache key exactly as GPU ones would (no GPU
    // here).
    SessionOptionsSpec options = spec(Device.CPU, DeviceFallback.FAIL, "gpu", 0);
    Placement gpu0 = new Placement(Device.CPU, 0, "test", false);
    Placement gpu1 = new Placement(Device.CPU, 1, "test", false);
    SessionCache.Lease a = SessionCache.acquire(MODEL.sha256(), options, gpu0, () -> MODEL);
    SessionCache.Lease b = SessionCache.acquire(MODEL.sha256(), options, gpu0, () -> MODEL);
    SessionCache.Lease c = SessionCache.acquire(MODEL.sha256(), options, gpu1, () -> MODEL);
    assertThat(a.created()).isTrue();
    assertThat(b.created()).isFalse();
    assertThat(b.session()).isSameAs(a.session());
    assertThat(c.created()).isTrue();
    assertThat(c.session()).isNotSameAs(a.session());
    assertThat(c.cached().ordinal()).isEqualTo(1);
    assertThat(SessionCache.sessionsCreated()).isEqualTo(2);
    assertThat(SessionCache.size()).isEqualTo(2);
  }

  @Test
  void cudaOnTheCpuBuildFailsNamingProviderOrdinalAndKeys() {
    SessionOptionsSpec cuda = spec(Device.CUDA, DeviceFallback.FAIL, "gpu", 0);
    Placement placement = DeviceResolver.resolve(cuda, gpus("gpu", "1"));
    assertThatThrownBy(() -> SessionCache.acquire(MODEL.sha256(), cuda, placement, () -> MODEL))
        .isInstanceOf(SessionCache.SessionCreationException.class)
        .hasMessageContaining(
            "model.device is cuda but this executor's ONNX Runtime build has no CUDA provider")
        .hasMessageContaining("GPU ordinal 1 from spark resource 'gpu'")
        .hasMessageContaining("providers compiled in: [CPU]")
        .hasMessageContaining("-Pgpu")
        .hasMessageContaining("model.device_fallback=cpu");
    assertThat(SessionCache.size()).isZero();

    SessionOptionsSpec trt = spec(Device.TENSORRT, DeviceFallback.FAIL, "gpu", 0);
    assertThatThrownBy(
            () ->
                SessionCache.acquire(
                    MODEL.sha256(), trt, DeviceResolver.resolve(trt, Map.of()), () -> MODEL))
        .hasMessageContaining("no TensorRT provider (GPU ordinal 0 from model.device_id");
  }

  @Test
  void fallbackToCpuSharesOneCpuSessionAndSaysWhy() {
    SessionOptionsSpec auto = spec(Device.AUTO, DeviceFallback.CPU, "gpu", 0);
    SessionCache.Lease on0 =
        SessionCache.acquire(
            MODEL.sha256(), auto, DeviceResolver.resolve(auto, gpus("gpu", "0")), () -> MODEL);
    SessionCache.Lease on1 =
        SessionCache.acquire(
            MODEL.sha256(), auto, DeviceResolver.resolve(auto, gpus("gpu", "1")), () -> MODEL);
    assertThat(on0.created()).isTrue();
    assertThat(on1.created())
        .as("the CPU session of the first fallback serves the second")
        .isFalse();
    assertThat(on1.session()).isSameAs(on0.session());
    assertThat(on0.cached().provider()).isEqualTo("CPU");
    assertThat(on0.cached().ordinal())
        .as("the ordinal Spark assigned, kept for the report")
        .isZero();
    assertThat(on1.cached().ordinal()).isEqualTo(1);
    assertThat(on1.cached().fallbackReason())
        .startsWith("cuda:1 unusable: ")
        .contains("no CUDA provider");
    assertThat(SessionCache.sessionsCreated()).isOne();
    assertThat(SessionCache.size()).isOne();
  }
}
