package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * The ONNX Runtime session settings that matter for caching: two tasks with the same model sha256
 * and equal options share one session. Immutable and serializable (it travels in the spec).
 *
 * @param intraOpThreads threads ONNX Runtime may use inside one operator ({@code model.threads}).
 *     Tasks of an executor share the session, so (tasks per executor) x (threads) should not
 *     exceed the executor's cores; the default is 1.
 * @param device where to run
 * @param cudaDeviceId the CUDA device ordinal when running on CUDA
 * @param customOpLibraries native custom-op libraries to register (none unless configured)
 */
public record SessionOptionsSpec(int intraOpThreads, Device device, int cudaDeviceId, List<String> customOpLibraries)
    implements Serializable {
  /** Default: one intra-op thread, CPU, no custom ops. */
  public static final SessionOptionsSpec DEFAULT = new SessionOptionsSpec(1, Device.CPU, 0, List.of());

  public SessionOptionsSpec {
    Objects.requireNonNull(device, "device");
    customOpLibraries = customOpLibraries == null ? List.of() : List.copyOf(customOpLibraries);
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
    }
  }
}
