package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.collection.JavaConverters;

/**
 * Executor side: turns {@code model.device} into a concrete {@link Placement} for the running task.
 * The GPU ordinal is the address Spark assigned to the task for the GPU resource ({@code
 * TaskContext.resources()}, resource {@code model.gpu_resource}, default {@code gpu}); with none
 * assigned it is {@code model.device_id} (default 0). {@code auto} resolves to {@code cuda}: the
 * session cache falls back to CPU when CUDA cannot be used. Stateless and thread-safe.
 */
public final class DeviceResolver {
  private DeviceResolver() {}

  /**
   * @return the placement for the task running on this thread (no task: as with no resources)
   */
  public static Placement forCurrentTask(SessionOptionsSpec spec) {
    if (!spec.device().usesGpu()) {
      return Placement.CPU;
    }
    TaskContext task = TaskContext.get();
    Map<String, ResourceInformation> resources =
        task == null ? Map.of() : JavaConverters.mapAsJavaMap(task.resources());
    return resolve(spec, resources);
  }

  /**
   * Resolves a placement from the task's resources.
   *
   * @param resources the task's resources by name (empty when Spark assigned none)
   * @throws SessionCache.SessionCreationException when the assigned address is not a GPU ordinal
   */
  public static Placement resolve(
      SessionOptionsSpec spec, Map<String, ResourceInformation> resources) {
    Device device = spec.device();
    if (!device.usesGpu()) {
      return Placement.CPU;
    }
    Device concrete = device == Device.AUTO ? Device.CUDA : device;
    String name = spec.gpu().resourceName();
    ResourceInformation info = resources.get(name);
    if (info != null && info.addresses().length > 0) {
      // A task given several GPUs uses the first: one session runs on one device.
      String address = info.addresses()[0].trim();
      try {
        int ordinal = Integer.parseInt(address);
        if (ordinal < 0) {
          throw new NumberFormatException("negative");
        }
        return new Placement(
            concrete, ordinal, "spark resource '" + name + "'", device == Device.AUTO);
      } catch (NumberFormatException e) {
        throw new SessionCache.SessionCreationException(
            "model.gpu_resource: Spark assigned this task the '"
                + name
                + "' address '"
                + address
                + "', which is not a GPU ordinal (0, 1, ...). Make the resource discovery"
                + " script print ordinals, e.g. {\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}.",
            e);
      }
    }
    return new Placement(concrete, spec.cudaDeviceId(), "model.device_id", device == Device.AUTO);
  }
}
