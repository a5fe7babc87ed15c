package io.batchinfer.udfs.session;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.Device;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * Checks which execution providers actually initialise in this JVM: for CPU, and for CUDA and
 * TensorRT on each given GPU ordinal, it creates a session on a tiny model built in memory (one
 * {@code Identity} node over a {@code [1]} float32), registers the provider as the engine does
 * ({@link ProviderOptions}), runs it once and checks the output. Used by {@code batchinfer doctor},
 * on the driver and inside one task per executor. Stateless; every native object is created and
 * closed within {@link #probe}.
 */
public final class ProviderProbe {
  private ProviderProbe() {}

  /**
   * The outcome for one provider and ordinal.
   *
   * @param provider {@code CPU}, {@code CUDA} or {@code TENSORRT}
   * @param ordinal the GPU ordinal, -1 for CPU
   * @param ok whether a session was created and ran with the provider registered
   * @param detail {@code ok in N ms}, or why not (ONNX Runtime's message)
   */
  public record Result(String provider, int ordinal, boolean ok, String detail)
      implements Serializable {
    /**
     * @return e.g. {@code CUDA:1 ok in 310 ms}
     */
    public String describe() {
      return provider + (ordinal >= 0 ? ":" + ordinal : "") + " " + (ok ? "" : "FAILS: ") + detail;
    }
  }

  /** Probes CPU, then CUDA and TensorRT on every ordinal in {@code ordinals}. */
  public static List<Result> probe(List<Integer> ordinals) {
    List<Result> results = new ArrayList<>();
    results.add(probe(Device.CPU, -1));
    for (int ordinal : ordinals) {
      results.add(probe(Device.CUDA, ordinal));
      results.add(probe(Device.TENSORRT, ordinal));
    }
    return results;
  }

  /** Probes one provider (CPU ignores the ordinal). */
  public static Result probe(Device device, int ordinal) {
    String name = device == Device.TENSORRT ? "TENSORRT" : device == Device.CPU ? "CPU" : "CUDA";
    long start = System.nanoTime();
    EnumSet<OrtProvider> available;
    try {
      OrtRuntime.environment();
      available = OrtEnvironment.getAvailableProviders();
    } catch (RuntimeException | LinkageError e) {
      return new Result(name, ordinal, false, "ONNX Runtime does not load: " + e);
    }
    OrtProvider needed =
        device == Device.TENSORRT
            ? OrtProvider.TENSOR_RT
            : device == Device.CPU ? OrtProvider.CPU : OrtProvider.CUDA;
    if (!available.contains(needed)) {
      return new Result(
          name,
          ordinal,
          false,
          "not compiled into this ONNX Runtime build (compiled in: "
              + available
              + "; the GPU build is onnxruntime_gpu, mvn -Pgpu)");
    }
    OrtEnvironment env = OrtRuntime.environment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (device == Device.CUDA) {
        ProviderOptions.addCuda(options, ordinal, Map.of());
      } else if (device == Device.TENSORRT) {
        ProviderOptions.addTensorrt(
            options,
            ordinal,
            Map.of(),
            Map.of(),
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
      }
      try (OrtSession session = env.createSession(identityModel(), options);
          OnnxTensor x = OnnxTensor.createTensor(env, new float[] {42f});
          OrtSession.Result r = session.run(Map.of("x", x))) {
        float y = ((float[]) r.get(0).getValue())[0];
        if (y != 42f) {
          return new Result(name, ordinal, false, "ran but returned " + y + " for 42");
        }
      }
      return new Result(
          name, ordinal, true, "ok in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    } catch (Exception | LinkageError e) {
      String message = String.valueOf(e.getMessage()).strip().replaceAll("\\s+", " ");
      return new Result(name, ordinal, false, message.isEmpty() ? e.toString() : message);
    }
  }

  /**
   * An ONNX model written byte by byte in protobuf wire format (IR 8, opset 17): graph {@code
   * doctor}, input {@code x} and output {@code y} both {@code [1]} float32, one {@code Identity}
   * node. 100-odd bytes; no ONNX library needed at run time.
   */
  static byte[] identityModel() {
    byte[] type = message(1, concat(varintField(1, 1), message(2, message(1, varintField(1, 1)))));
    byte[] input = message(11, concat(string(1, "x"), message(2, type)));
    byte[] output = message(12, concat(string(1, "y"), message(2, type)));
    byte[] node =
        message(
            1,
            concat(string(1, "x"), string(2, "y"), string(3, "identity"), string(4, "Identity")));
    byte[] graph = message(7, concat(node, string(2, "doctor"), input, output));
    byte[] opset = message(8, concat(string(1, ""), varintField(2, 17)));
    return concat(varintField(1, 8), opset, graph);
  }

  private static byte[] varintField(int field, long value) {
    return concat(varint((long) field << 3), varint(value));
  }

  private static byte[] string(int field, String value) {
    return message(field, value.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] message(int field, byte[] body) {
    return concat(varint(((long) field << 3) | 2), varint(body.length), body);
  }

  private static byte[] varint(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long v = value;
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
