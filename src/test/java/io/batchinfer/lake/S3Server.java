package io.batchinfer.lake;

import io.batchinfer.cluster.ProcessWatchdog;
import io.batchinfer.testing.Projects;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 API server on 127.0.0.1 for tests: s3proxy (org.gaul:s3proxy, Maven Central) with its
 * filesystem backend, so buckets are folders under {@link #root()}. It runs in a child JVM from its
 * own self-contained jar ({@code target/s3proxy/s3proxy.jar}, copied by the build), so its Jetty,
 * Guava and Jackson never meet Spark's on one classpath. The child runs under {@link
 * ProcessWatchdog}: it exits when this JVM is gone or after {@link #MAX_SECONDS}, even if {@link
 * #close()} never runs. Ended by its PID in {@link #close()}.
 */
public final class S3Server implements AutoCloseable {
  /** The child's lifetime limit: longer than any test class that uses it. */
  static final long MAX_SECONDS = 1200;

  public static final String ACCESS_KEY = "batchinfer-test-access";
  public static final String SECRET_KEY = "batchinfer-test-secret";

  private final Process process;
  private final Path root;
  private final Path log;
  private final int port;

  private S3Server(Process process, Path root, Path log, int port) {
    this.process = process;
    this.root = root;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts a server whose buckets live under {@code workDir/buckets} and waits (up to 60 s) until
   * it answers HTTP.
   *
   * @param buckets buckets to create (folders the filesystem backend serves as buckets)
   */
  public static S3Server start(Path workDir, String... buckets)
      throws IOException, InterruptedException {
    Path jar = Projects.root().resolve("target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing; the build copies it (mvn generate-test-resources)");
    }
    Path root = Files.createDirectories(workDir.resolve("buckets"));
    for (String b : buckets) {
      Files.createDirectories(root.resolve(b));
    }
    int port = freePort();
    Path props = workDir.resolve("s3proxy.properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + SECRET_KEY,
            "jclouds.provider=filesystem",
            "jclouds.identity=" + ACCESS_KEY,
            "jclouds.credential=" + SECRET_KEY,
            "jclouds.filesystem.basedir=" + root,
            ""));
    Path watchdogDir = workDir.resolve("watchdog");
    Path watchdogClass = watchdogDir.resolve("io/batchinfer/cluster/ProcessWatchdog.class");
    Files.createDirectories(watchdogClass.getParent());
    try (InputStream in = ProcessWatchdog.class.getResourceAsStream("ProcessWatchdog.class")) {
      Files.copy(in, watchdogClass, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                jar + java.io.File.pathSeparator + watchdogDir,
                ProcessWatchdog.class.getName(),
                Long.toString(self.pid()),
                Long.toString(started),
                Long.toString(MAX_SECONDS),
                "org.gaul.s3proxy.Main",
                "--properties",
                props.toString()));
    Path log = workDir.resolve("s3proxy.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    S3Server server = new S3Server(p, root, log, port);
    server.awaitReady(60);
    return server;
  }

  /**
   * @return the endpoint URL, {@code http://127.0.0.1:port}
   */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /**
   * @return the folder holding one sub-folder per bucket (the filesystem backend's base dir)
   */
  public Path root() {
    return root;
  }

  /**
   * @return Hadoop settings that point S3A at this server with its credentials, as {@code
   *     spark.hadoop.*}-less keys (prefix them for Spark)
   */
  public Map<String, String> hadoopConf() {
    return Map.ofEntries(
        Map.entry("fs.s3a.endpoint", endpoint()),
        Map.entry("fs.s3a.path.style.access", "true"),
        Map.entry("fs.s3a.connection.ssl.enabled", "false"),
        Map.entry("fs.s3a.access.key", ACCESS_KEY),
        Map.entry("fs.s3a.secret.key", SECRET_KEY),
        Map.entry(
            "fs.s3a.aws.credentials.provider",
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"),
        // s3proxy does not answer S3A's bulk DeleteObjects request (the client waits forever):
        // delete one key at a time, and keep directory markers (no bulk delete after each write).
        Map.entry("fs.s3a.multiobjectdelete.enable", "false"),
        Map.entry("fs.s3a.directory.marker.retention", "keep"),
        // Bounded retries: a test of a wrong bucket or credentials must fail fast, not back off for
        // minutes.
        Map.entry("fs.s3a.attempts.maximum", "2"),
        Map.entry("fs.s3a.retry.limit", "2"),
        Map.entry("fs.s3a.connection.establish.timeout", "5000"),
        Map.entry("fs.s3a.connection.timeout", "20000"));
  }

  private void awaitReady(int seconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited with " + process.exitValue() + ":\n" + logTail());
      }
      try {
        HttpURLConnection c =
            (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(2000);
        c.getResponseCode(); // any HTTP answer (403 for an anonymous request) means it listens
        c.disconnect();
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    close();
    throw new IllegalStateException(
        "s3proxy did not answer on " + endpoint() + " within " + seconds + " s:\n" + logTail());
  }

  private String logTail() throws IOException {
    String s = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops the child by its PID (TERM, then KILL after 10 s). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
