package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access to the process-wide {@link OrtEnvironment}, guarded against a known ONNX Runtime crash.
 *
 * <p>ONNX Runtime 1.29 on Linux reads {@code /proc/self/cmdline} when the environment is created
 * and dies with SIGSEGV when the command line is longer than about 4 KB, unless telemetry is off
 * ({@code ORT_DISABLE_TELEMETRY=1}; microsoft/onnxruntime#32173). Spark executors always have long
 * command lines. The project's scripts and the job set the variable for drivers and executors; this
 * guard turns any remaining case (a hand-written launcher, say) into a clear error instead of a
 * dead JVM. Thread-safe; the environment is owned by ONNX Runtime and never closed by batchinfer.
 *
 * <p>It also creates the environment with a JVM-wide thread pool when the first session of the JVM
 * asks for one ({@code model.onnxruntime.global_thread_pool}): ONNX Runtime only accepts threading
 * options when the environment is created, so a later request is logged and ignored.
 */
public final class OrtRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);

  /**
   * Whether this class created the environment, and with a global thread pool. Guarded by the class
   * lock.
   */
  private static boolean created;

  private static boolean globalPool;

  /** Environment variable that turns ONNX Runtime telemetry off. */
  public static final String TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY";

  /**
   * Command-line length (bytes) from which ONNX Runtime 1.29 crashes with telemetry on: measured
   * 4009 crashes, 3959 works.
   */
  static final int CRASHING_CMDLINE_BYTES = 3900;

  private OrtRuntime() {}

  /**
   * Returns the shared environment, first checking that creating it cannot crash this JVM.
   *
   * @throws IllegalStateException naming the fix when telemetry is on and the command line is long
   */
  public static OrtEnvironment environment() {
    checkTelemetryCrashGuard();
    synchronized (OrtRuntime.class) {
      created = true;
    }
    return OrtEnvironment.getEnvironment();
  }

  /**
   * Returns the shared environment; if {@code spec} asks for a global thread pool and nothing in
   * this JVM has created the environment yet, creates it with one pool of {@code
   * spec.intraOpThreads()} intra-op and {@code interOpThreads} inter-op threads (spinning as the
   * spec says). Otherwise the same as {@link #environment()}; see {@link
   * #globalThreadPoolActive()}.
   */
  public static OrtEnvironment environment(SessionOptionsSpec spec) {
    checkTelemetryCrashGuard();
    synchronized (OrtRuntime.class) {
      if (!spec.tuning().globalThreadPool()) {
        created = true;
        return OrtEnvironment.getEnvironment();
      }
      if (created) {
        if (!globalPool) {
          LOG.warn(
              "model.onnxruntime.global_thread_pool is set, but ONNX Runtime was already started in this JVM"
                  + " without one (it only accepts a global pool as its first call); sessions keep their own threads");
        }
        return OrtEnvironment.getEnvironment();
      }
      created = true;
      try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
        threading.setGlobalIntraOpNumThreads(spec.intraOpThreads());
        threading.setGlobalInterOpNumThreads(spec.tuning().interOpThreads());
        threading.setGlobalSpinControl(spec.tuning().spinning());
        OrtEnvironment env =
            OrtEnvironment.getEnvironment(
                OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, OrtEnvironment.DEFAULT_NAME, threading);
        globalPool = true;
        LOG.info(
            "ONNX Runtime environment created with a global thread pool: intra_op={}, inter_op={}, spinning={}",
            spec.intraOpThreads(),
            spec.tuning().interOpThreads(),
            spec.tuning().spinning());
        return env;
      } catch (OrtException | IllegalStateException e) {
        LOG.warn(
            "cannot create ONNX Runtime's global thread pool ({}); sessions keep their own threads",
            e.toString());
        return OrtEnvironment.getEnvironment();
      }
    }
  }

  /**
   * @return whether this JVM's environment has a global thread pool that sessions can share
   */
  public static synchronized boolean globalThreadPoolActive() {
    return globalPool;
  }

  static void checkTelemetryCrashGuard() {
    if ("1".equals(System.getenv(TELEMETRY_ENV))) {
      return;
    }
    long length = commandLineLength();
    if (length >= CRASHING_CMDLINE_BYTES) {
      throw new IllegalStateException(
          "ONNX Runtime would crash this JVM: its command line is "
              + length
              + " bytes and "
              + TELEMETRY_ENV
              + " is not 1 (ONNX Runtime 1.29 reads /proc/self/cmdline for telemetry"
              + " and segfaults past ~4 KB). Set "
              + TELEMETRY_ENV
              + "=1 in the environment of this JVM"
              + " (for executors: spark.executorEnv."
              + TELEMETRY_ENV
              + "=1; submit-scripts/ do this for you).");
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
