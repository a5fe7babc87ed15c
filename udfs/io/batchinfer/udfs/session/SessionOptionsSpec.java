package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * The ONNX Runtime session settings that matter for caching: two tasks with the same model sha256,
 * equal options and the same resolved {@link Placement} (device, GPU ordinal) share one session.
 * Immutable and serializable (it travels in the spec).
 *
 * @param intraOpThreads threads ONNX Runtime may use inside one operator ({@code model.threads}).
 *     Tasks of an executor share the session, so (tasks per executor) x (threads) should not exceed
 *     the executor's cores; the default is 1.
 * @param device where to run ({@code model.device})
 * @param cudaDeviceId the GPU ordinal when Spark assigned the task no GPU resource ({@code
 *     model.device_id})
 * @param customOpLibraries native custom-op libraries to register (none unless configured)
 * @param gpu fallback, GPU resource name and provider options
 * @param tuning threading, memory and graph settings ({@code model.onnxruntime.*})
 */
public record SessionOptionsSpec(
    int intraOpThreads,
    Device device,
    int cudaDeviceId,
    List<String> customOpLibraries,
    GpuOptions gpu,
    OrtTuning tuning)
    implements Serializable {
  /** Default: one intra-op thread, CPU, no custom ops, default tuning. */
  public static final SessionOptionsSpec DEFAULT =
      new SessionOptionsSpec(1, Device.CPU, 0, List.of());

  /** Options with the default {@link OrtTuning}. */
  public SessionOptionsSpec(
      int intraOpThreads,
      Device device,
      int cudaDeviceId,
      List<String> customOpLibraries,
      GpuOptions gpu) {
    this(intraOpThreads, device, cudaDeviceId, customOpLibraries, gpu, OrtTuning.DEFAULT);
  }

  public SessionOptionsSpec {
    Objects.requireNonNull(device, "device");
    tuning = tuning == null ? OrtTuning.DEFAULT : tuning;
    customOpLibraries = customOpLibraries == null ? List.of() : List.copyOf(customOpLibraries);
    gpu = gpu == null ? GpuOptions.defaults(device) : gpu;
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
    }
    if (cudaDeviceId < 0) {
      throw new IllegalArgumentException("cudaDeviceId must be >= 0, was " + cudaDeviceId);
    }
  }

  /** Options with the default GPU settings for {@code device}. */
  public SessionOptionsSpec(
      int intraOpThreads, Device device, int cudaDeviceId, List<String> customOpLibraries) {
    this(intraOpThreads, device, cudaDeviceId, customOpLibraries, null, OrtTuning.DEFAULT);
  }
}
