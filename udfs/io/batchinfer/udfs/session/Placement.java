package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import java.io.Serializable;
import java.util.Objects;

/**
 * Where one task's session should run, resolved on the executor by {@link DeviceResolver}: a
 * concrete device ({@code cpu}, {@code cuda} or {@code tensorrt}; never {@code auto}), the GPU
 * ordinal (-1 on CPU) and where the ordinal came from. Part of the session cache key, so tasks on
 * the same GPU share a session and two GPUs of one executor get one each. Immutable.
 *
 * @param device the device to try first
 * @param ordinal the GPU ordinal, or -1 for CPU
 * @param source where the ordinal came from, e.g. {@code spark resource 'gpu'} or {@code
 *     model.device_id}
 * @param auto true when the config said {@code auto} (a GPU failure then falls back by default)
 */
public record Placement(Device device, int ordinal, String source, boolean auto)
    implements Serializable {
  /** CPU, no GPU. */
  public static final Placement CPU = new Placement(Device.CPU, -1, "model.device", false);

  public Placement {
    Objects.requireNonNull(device, "device");
    if (device == Device.AUTO) {
      throw new IllegalArgumentException("a placement is concrete: cpu, cuda or tensorrt");
    }
  }

  /**
   * @return e.g. {@code cuda:1} or {@code cpu}
   */
  public String describe() {
    return device == Device.CPU ? "cpu" : device + ":" + ordinal;
  }
}
