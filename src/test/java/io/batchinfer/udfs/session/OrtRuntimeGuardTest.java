package io.batchinfer.udfs.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ONNX Runtime 1.29 telemetry crash (SIGSEGV when the command line is over ~4 KB and
 * ORT_DISABLE_TELEMETRY is not 1) must never happen through batchinfer: in a fresh JVM with a 6 KB
 * command line and no ORT_DISABLE_TELEMETRY, {@link OrtRuntime#environment()} refuses with a
 * message naming the fix; with the variable set, the same JVM loads ONNX Runtime.
 */
@Tag("slow")
class OrtRuntimeGuardTest {
  /** Child JVM entry point: loads ONNX Runtime through the guard. */
  public static final class Child {
    public static void main(String[] args) {
      try {
        System.out.println("loaded " + OrtRuntime.environment());
      } catch (IllegalStateException e) {
        System.out.println("refused: " + e.getMessage());
        System.exit(3);
      }
    }
  }

  private static Result runChild(boolean telemetryOff) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dpadding=" + "x".repeat(6000));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Child.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(OrtRuntime.TELEMETRY_ENV);
    if (telemetryOff) {
      pb.environment().put(OrtRuntime.TELEMETRY_ENV, "1");
    }
    Process p = pb.start();
    boolean done = p.waitFor(2, TimeUnit.MINUTES);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as("child JVM finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  private record Result(int exit, String out) {}

  @Test
  void refusesInsteadOfCrashingWhenTelemetryIsOnAndTheCommandLineIsLong() throws Exception {
    Result r = runChild(false);
    assertThat(r.exit()).as(r.out()).isEqualTo(3);
    assertThat(r.out())
        .contains("refused: ONNX Runtime would crash this JVM")
        .contains("Set ORT_DISABLE_TELEMETRY=1")
        .contains("spark.executorEnv.ORT_DISABLE_TELEMETRY=1");
  }

  @Test
  void loadsWithTelemetryOff() throws Exception {
    Result r = runChild(true);
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("loaded OrtEnvironment");
  }
}
