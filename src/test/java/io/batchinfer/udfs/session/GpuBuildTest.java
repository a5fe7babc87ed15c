package io.batchinfer.udfs.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With the GPU build ({@code mvn -Pgpu}, onnxruntime_gpu on the test classpath): on a machine where
 * CUDA cannot initialise (CI: no GPU, no CUDA 12 libraries), {@code cuda} fails with ONNX Runtime's
 * own reason and {@code auto} falls back to CPU saying why; on a working GPU node both run on CUDA.
 * Skipped in the default (CPU) build, where SessionPlacementTest covers the CPU jar. CI runs it as
 * {@code mvn -Pgpu test -Dtest=GpuBuildTest}.
 */
class GpuBuildTest {
  private static final ModelArtifact MODEL =
      ModelLoader.fromBytes("identity", TestModels.identity("x", "y", TestModels.FLOAT, -1, 2));

  @BeforeEach
  @AfterEach
  void clear() {
    SessionCache.closeAll();
  }

  @Test
  void cudaFailsWithOnnxRuntimesReasonOrRunsAndAutoFallsBack() {
    OrtRuntime.environment();
    assumeTrue(
        OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "not the GPU build (run with -Pgpu)");
    ProviderProbe.Result probe = ProviderProbe.probe(Device.CUDA, 0);
    SessionOptionsSpec cuda = new SessionOptionsSpec(1, Device.CUDA, 0, List.of());
    SessionOptionsSpec auto = new SessionOptionsSpec(1, Device.AUTO, 0, List.of());
    Placement placement = DeviceResolver.resolve(cuda, Map.of());
    if (probe.ok()) {
      assertThat(
              SessionCache.acquire(MODEL.sha256(), cuda, placement, () -> MODEL)
                  .cached()
                  .provider())
          .isEqualTo("CUDA");
      assertThat(
              SessionCache.acquire(
                      MODEL.sha256(), auto, DeviceResolver.resolve(auto, Map.of()), () -> MODEL)
                  .cached()
                  .fallbackReason())
          .isNull();
      return;
    }
    // No usable GPU: ONNX Runtime's reason (typically a CUDA 12 library it cannot load) reaches the
    // user.
    assertThat(probe.detail()).contains("libonnxruntime_providers_cuda.so");
    assertThatThrownBy(() -> SessionCache.acquire(MODEL.sha256(), cuda, placement, () -> MODEL))
        .isInstanceOf(SessionCache.SessionCreationException.class)
        .hasMessageContaining("CUDA provider on GPU ordinal 0 (from model.device_id)")
        .hasMessageContaining("libonnxruntime_providers_cuda.so")
        .hasMessageContaining("model.device_fallback=cpu");
    SessionCache.CachedSession fellBack =
        SessionCache.acquire(
                MODEL.sha256(), auto, DeviceResolver.resolve(auto, Map.of()), () -> MODEL)
            .cached();
    assertThat(fellBack.provider()).isEqualTo("CPU");
    assertThat(fellBack.fallbackReason())
        .startsWith("cuda:0 unusable: ")
        .contains("libonnxruntime_providers_cuda.so");
  }
}
