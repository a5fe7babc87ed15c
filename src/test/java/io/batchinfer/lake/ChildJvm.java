package io.batchinfer.lake;

import io.batchinfer.cluster.ProcessWatchdog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * Runs a main class of the test classpath in a child JVM (Spark's module flags, the test classpath
 * through an argument file so the command line stays short, ONNX Runtime telemetry off), under
 * {@link ProcessWatchdog} so it cannot outlive this JVM, and waits at most {@link #MAX_MINUTES}
 * minutes for it.
 */
final class ChildJvm {
  static final long MAX_MINUTES = 5;

  private ChildJvm() {}

  /** The child's exit code and combined output. */
  record Result(int exitCode, String log) {}

  /**
   * @param hadoop Hadoop settings, passed as {@code -Dspark.hadoop.*} (read by {@code new
   *     SparkConf()})
   * @param env extra environment variables
   */
  static Result run(
      Path workDir,
      Map<String, String> hadoop,
      Map<String, String> env,
      String main,
      String... args)
      throws IOException, InterruptedException {
    Path argFile = Files.createTempFile(workDir, "child", ".args");
    Files.writeString(
        argFile, "-cp\n\"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
    cmd.add("@" + argFile);
    cmd.add("-Dspark.ui.enabled=false");
    cmd.add("-Dspark.driver.host=127.0.0.1");
    cmd.add("-Dspark.driver.bindAddress=127.0.0.1");
    hadoop.forEach((k, v) -> cmd.add("-Dspark.hadoop." + k + "=" + v));
    cmd.addAll(
        List.of(
            ProcessWatchdog.class.getName(),
            Long.toString(self.pid()),
            Long.toString(started),
            Long.toString(TimeUnit.MINUTES.toSeconds(MAX_MINUTES)),
            main));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(workDir, "child", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    if (!p.waitFor(MAX_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "child JVM did not end within " + MAX_MINUTES + " minutes:\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log));
  }
}
