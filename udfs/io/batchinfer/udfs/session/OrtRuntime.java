package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Access to the process-wide {@link OrtEnvironment}, guarded against a known ONNX Runtime crash.
 *
 * <p>ONNX Runtime 1.29 on Linux reads {@code /proc/self/cmdline} when the environment is created
 * and dies with SIGSEGV when the command line is longer than about 4 KB, unless telemetry is off
 * ({@code ORT_DISABLE_TELEMETRY=1}; microsoft/onnxruntime#32173). Spark executors always have
 * long command lines. The project's scripts and the job set the variable for drivers and
 * executors; this guard turns any remaining case (a hand-written launcher, say) into a clear
 * error instead of a dead JVM. Thread-safe; the environment is owned by ONNX Runtime and never
 * closed by batchinfer.
 */
public final class OrtRuntime {
  /** Environment variable that turns ONNX Runtime telemetry off. */
  public static final String TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY";
  /** Command-line length (bytes) from which ONNX Runtime 1.29 crashes with telemetry on: measured 4009 crashes, 3959 works. */
  static final int CRASHING_CMDLINE_BYTES = 3900;

  private OrtRuntime() {}

  /**
   * Returns the shared environment, first checking that creating it cannot crash this JVM.
   *
   * @throws IllegalStateException naming the fix when telemetry is on and the command line is long
   */
  public static OrtEnvironment environment() {
    checkTelemetryCrashGuard();
    return OrtEnvironment.getEnvironment();
  }

  static void checkTelemetryCrashGuard() {
    if ("1".equals(System.getenv(TELEMETRY_ENV))) {
      return;
    }
    long length = commandLineLength();
    if (length >= CRASHING_CMDLINE_BYTES) {
      throw new IllegalStateException("ONNX Runtime would crash this JVM: its command line is " + length
          + " bytes and " + TELEMETRY_ENV + " is not 1 (ONNX Runtime 1.29 reads /proc/self/cmdline for telemetry"
          + " and segfaults past ~4 KB). Set " + TELEMETRY_ENV + "=1 in the environment of this JVM"
          + " (for executors: spark.executorEnv." + TELEMETRY_ENV + "=1; submit-scripts/ do this for you).");
    }
  }

  private static long commandLineLength() {
    Path cmdline = Path.of("/proc/self/cmdline");
    try {
      // procfs reports size 0: read it.
      return Files.isReadable(cmdline) ? Files.readAllBytes(cmdline).length : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
