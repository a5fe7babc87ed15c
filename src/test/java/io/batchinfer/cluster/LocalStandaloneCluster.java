package io.batchinfer.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.Projects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A real Spark standalone cluster on this machine, for tests: Spark's own {@code Master} and {@code
 * Worker} classes, each in its own JVM bound to 127.0.0.1 on free ports, with executors (and
 * cluster-mode drivers) launched by the workers as further JVMs, exactly as on a cluster.
 *
 * <p>Its {@code SPARK_HOME} is a folder under {@code target/cluster/} whose {@code jars} links to
 * {@code target/spark-home/jars} (Spark without the application's dependencies, assembled by {@code
 * mvn package}), plus a generated {@code bin/spark-submit}. Applications are submitted as child
 * processes through Spark's {@code SparkSubmit} ({@link #submit}, or a script run with this {@code
 * SPARK_HOME}, {@link #run}), with {@code target/batchinfer-cluster.jar} as application jar.
 *
 * <p>Processes: every process it starts is recorded and {@link #close()} ends each one by its
 * {@link Process} handle, together with its descendants (executors and drivers are children of the
 * workers), never by name. Each JVM runs under {@link ProcessWatchdog}, which exits it when the
 * test JVM is gone or after {@link #MAX_LIFETIME}, so nothing survives a killed test JVM either. A
 * JVM shutdown hook calls {@link #close()} if a test forgets to.
 *
 * <p>Not thread-safe: one test class drives one cluster. Memory: master and workers 384 MB heap
 * each; executors and drivers as submitted (keep them at 512–768 MB: a worker offers 1 GB).
 */
public final class LocalStandaloneCluster implements AutoCloseable {
  /** Longest time any process started here may live, whatever happens to the test JVM. */
  public static final Duration MAX_LIFETIME = Duration.ofMinutes(15);

  /** Loopback: every daemon, driver and executor binds here. */
  public static final String HOST = "127.0.0.1";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_GRACE = Duration.ofSeconds(15);
  private static final String SUBMIT_MAIN = "org.apache.spark.deploy.SparkSubmit";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path baseDir;
  private final Path sparkHome;
  private final Path logDir;
  private final int masterPort;
  private final int masterWebUiPort;
  private final List<Path> workDirs = new ArrayList<>();
  private final List<String> workerJvmOptions = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private final List<Process> started = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger launches = new AtomicInteger();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Thread shutdownHook = new Thread(this::close, "local-standalone-cluster-close");
  private Process master;
  private volatile boolean closed;

  private LocalStandaloneCluster(Path baseDir) throws IOException {
    this.baseDir = baseDir;
    this.sparkHome = baseDir.resolve("spark-home");
    this.logDir = baseDir.resolve("logs");
    this.masterPort = freePort();
    this.masterWebUiPort = freePort();
    Files.createDirectories(logDir);
  }

  /**
   * Starts a master and {@code workers} workers with {@code workerCores} cores and {@code
   * workerMemory} (e.g. {@code 1g}) each, and waits until every worker is registered. Logs and work
   * dirs go to a new folder under {@code target/cluster/}.
   *
   * @throws IllegalStateException when the cluster does not come up in time (it is stopped first)
   */
  public static LocalStandaloneCluster start(int workers, int workerCores, String workerMemory)
      throws IOException, InterruptedException {
    return start(workers, workerCores, workerMemory, List.of());
  }

  /**
   * As {@link #start(int, int, String)}, with extra JVM options for each worker, e.g. {@code
   * -Dspark.worker.resource.gpu.amount=2} and a discovery script, so that workers advertise (fake)
   * GPUs and executors get GPU addresses exactly as on a GPU cluster.
   */
  public static LocalStandaloneCluster start(
      int workers, int workerCores, String workerMemory, List<String> workerJvmOptions)
      throws IOException, InterruptedException {
    Path jars = Projects.buildDir().resolve("spark-home/jars");
    if (!Files.isDirectory(jars)) {
      throw new IllegalStateException(jars + " is missing: run mvn package first");
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    LocalStandaloneCluster cluster =
        new LocalStandaloneCluster(Projects.root().resolve("target/cluster/" + stamp));
    cluster.workerJvmOptions.addAll(workerJvmOptions);
    Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
    try {
      cluster.assembleSparkHome(jars);
      cluster.startDaemons(workers, workerCores, workerMemory);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * @return {@code spark://127.0.0.1:<port>}
   */
  public String masterUrl() {
    return "spark://" + HOST + ":" + masterPort;
  }

  /**
   * @return the port of the master's web UI ({@code /json/}): what a driver needs as {@code
   *     spark.master.ui.port}
   */
  public int masterWebUiPort() {
    return masterWebUiPort;
  }

  /**
   * @return the {@code SPARK_HOME} of this cluster ({@code jars/}, {@code bin/spark-submit})
   */
  public Path sparkHome() {
    return sparkHome;
  }

  /**
   * @return where this cluster keeps its logs, work dirs and local dirs
   */
  public Path baseDir() {
    return baseDir;
  }

  /**
   * @return the work dir of each worker: {@code app-*}/{executor id}/stderr, {@code
   *     driver-*}/stdout
   */
  public List<Path> workDirs() {
    return List.copyOf(workDirs);
  }

  /**
   * @return the master's state from its JSON endpoint ({@code workers}, {@code activeapps}, ...)
   */
  public JsonNode masterState() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + masterWebUiPort + "/json/"))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("master /json/ answered " + response.statusCode());
    }
    return JSON.readTree(response.body());
  }

  /**
   * Starts {@code sparkHome/bin/spark-submit args...} in {@code dir} (the working directory of a
   * client-mode driver). The environment is this JVM's without any {@code SPARK_*} variable, plus
   * {@code SPARK_HOME}, {@code SPARK_SCALA_VERSION} and {@code SPARK_LOCAL_IP}; {@code extraEnv} is
   * applied last (a {@code null} value removes a variable).
   */
  public Launched submit(String name, Path dir, Map<String, String> extraEnv, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add("bash");
    command.add(sparkHome.resolve("bin/spark-submit").toString());
    command.addAll(args);
    return run(name, dir, extraEnv, command);
  }

  /**
   * Starts any command (a submit script, say) with the environment described in {@link #submit}, so
   * that a script sees this cluster's {@code SPARK_HOME}. The process is ended by {@link #close()}
   * if it is still running.
   */
  public Launched run(String name, Path dir, Map<String, String> extraEnv, List<String> command)
      throws IOException {
    Map<String, String> env = clientEnvironment();
    env.putAll(extraEnv);
    return launch(name, dir, env, command);
  }

  /**
   * @return the executor JVMs running now: descendants of the workers whose command line runs
   *     {@code CoarseGrainedExecutorBackend}
   */
  public List<ProcessHandle> executors() {
    List<ProcessHandle> result = new ArrayList<>();
    for (Process worker : workers) {
      worker
          .descendants()
          .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
          .forEach(result::add);
    }
    return result;
  }

  /**
   * @return the work dir of an executor or driver process ({@code stdout}, {@code stderr}): its
   *     working directory, read from {@code /proc} (Linux)
   */
  public static Path workDirOf(ProcessHandle process) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd"));
  }

  /**
   * @return the folder of a cluster-mode driver ({@code stdout}, {@code stderr}), if a worker has
   *     it
   */
  public Optional<Path> driverDir(String driverId) {
    return workDirs.stream().map(d -> d.resolve(driverId)).filter(Files::isDirectory).findFirst();
  }

  /**
   * Stops every process this cluster started, newest first (submissions, then workers with their
   * executors and drivers, then the master): SIGTERM, so that Spark's shutdown hooks run, then a
   * forced kill of whatever of each process tree is still alive after {@link #STOP_GRACE}. Also
   * deletes the copies of the application jar in the work dirs (60 MB each). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook
    }
    List<Process> all;
    synchronized (started) {
      all = new ArrayList<>(started);
    }
    Collections.reverse(all);
    List<Process> daemons = new ArrayList<>(workers);
    if (master != null) {
      daemons.add(master);
    }
    all.removeAll(daemons);
    stopTrees(all);
    stopTrees(workers);
    if (master != null) {
      stopTrees(List.of(master));
    }
    deleteJarCopies();
  }

  /** A process started by the cluster, with its output in files. */
  public static final class Launched {
    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private Launched(String name, Process process, Path stdout, Path stderr) {
      this.name = name;
      this.process = process;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    /**
     * @return the process (end it with {@link LocalStandaloneCluster#close()} or {@link #await})
     */
    public Process process() {
      return process;
    }

    /**
     * @return what it printed to stdout so far
     */
    public String stdout() {
      return read(stdout);
    }

    /**
     * @return what it printed to stderr so far
     */
    public String stderr() {
      return read(stderr);
    }

    /**
     * Waits for the process to end. On timeout, ends its process tree and throws.
     *
     * @return the exit code
     * @throws AssertionError on timeout, with the end of its stderr
     */
    public int await(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stopTrees(List.of(process));
        throw new AssertionError(
            name
                + " did not finish within "
                + timeout
                + "; stderr ends with:\n"
                + tail(stderr(), 60));
      }
      return process.exitValue();
    }

    /**
     * @return a description for assertion messages: name, exit code, the end of stdout and stderr
     */
    public String describe() {
      String code = process.isAlive() ? "running" : "exit " + process.exitValue();
      return name
          + " ("
          + code
          + ")\n--- stdout:\n"
          + tail(stdout(), 20)
          + "\n--- stderr:\n"
          + tail(stderr(), 80);
    }
  }

  private void assembleSparkHome(Path jars) throws IOException {
    Files.createDirectories(sparkHome.resolve("bin"));
    Files.createSymbolicLink(sparkHome.resolve("jars"), jars.toAbsolutePath());
    // ProcessWatchdog alone on the children's classpath (see its Javadoc).
    Path watchdog = sparkHome.resolve("watchdog/io/batchinfer/cluster/ProcessWatchdog.class");
    Files.createDirectories(watchdog.getParent());
    try (InputStream in = ProcessWatchdog.class.getResourceAsStream("ProcessWatchdog.class")) {
      if (in == null) {
        throw new IllegalStateException("ProcessWatchdog.class not found on the test classpath");
      }
      Files.copy(in, watchdog);
    }
    ProcessHandle self = ProcessHandle.current();
    long selfStart = self.info().startInstant().map(i -> i.toEpochMilli()).orElse(-1L);
    // A spark-submit like Spark's own: the JVM flags its launcher adds, -Xmx from --driver-memory
    // or --conf spark.driver.memory (not from a properties file).
    String script =
        """
        #!/usr/bin/env bash
        # Written by LocalStandaloneCluster (test code): spark-submit for a Spark home that only has
        # jars/. Runs SparkSubmit with the module flags Spark's launcher adds and -Xmx from
        # --driver-memory or --conf spark.driver.memory, under ProcessWatchdog so that it never
        # outlives the test JVM.
        set -euo pipefail
        home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
        memory=1g
        previous=
        for arg in "$@"; do
          if [ "$previous" = "--driver-memory" ]; then memory="$arg"; fi
          if [ "$previous" = "--conf" ]; then
            case "$arg" in spark.driver.memory=*) memory="${arg#spark.driver.memory=}" ;; esac
          fi
          previous="$arg"
        done
        exec "%s" %s -Xmx"$memory" -cp "$home/watchdog:$home/jars/*" \\
          io.batchinfer.cluster.ProcessWatchdog %d %d %d %s "$@"
        """
            .formatted(
                javaBinary(),
                JavaModuleOptions.defaultModuleOptions(),
                self.pid(),
                selfStart,
                MAX_LIFETIME.toSeconds(),
                SUBMIT_MAIN);
    Path submit = sparkHome.resolve("bin/spark-submit");
    Files.writeString(submit, script);
    Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private void startDaemons(int workerCount, int workerCores, String workerMemory)
      throws IOException, InterruptedException {
    master =
        launch(
                "master",
                baseDir,
                daemonEnvironment(),
                daemonCommand(
                    List.of(),
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    HOST,
                    "--port",
                    Integer.toString(masterPort),
                    "--webui-port",
                    Integer.toString(masterWebUiPort)))
            .process();
    for (int i = 0; i < workerCount; i++) {
      Path workDir = baseDir.resolve("worker-" + i);
      Files.createDirectories(workDir);
      workDirs.add(workDir);
      Map<String, String> env = daemonEnvironment();
      env.put(
          "SPARK_LOCAL_DIRS", Files.createDirectories(baseDir.resolve("local-" + i)).toString());
      workers.add(
          launch(
                  "worker-" + i,
                  workDir,
                  env,
                  daemonCommand(
                      workerJvmOptions,
                      "org.apache.spark.deploy.worker.Worker",
                      "--host",
                      HOST,
                      "--port",
                      Integer.toString(freePort()),
                      "--webui-port",
                      Integer.toString(freePort()),
                      "--cores",
                      Integer.toString(workerCores),
                      "--memory",
                      workerMemory,
                      "--work-dir",
                      workDir.toString(),
                      masterUrl()))
              .process());
    }
    awaitWorkers(workerCount);
  }

  private void awaitWorkers(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      for (Process p : started) {
        if (!p.isAlive()) {
          throw new IllegalStateException(
              "a cluster daemon exited with "
                  + p.exitValue()
                  + " while starting; logs in "
                  + logDir);
        }
      }
      try {
        JsonNode state = masterState();
        long alive = 0;
        for (JsonNode w : state.path("workers")) {
          if ("ALIVE".equals(w.path("state").asText())) {
            alive++;
          }
        }
        if (alive >= expected) {
          return;
        }
        last = alive + " of " + expected + " workers alive";
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "the cluster did not come up within "
            + START_TIMEOUT
            + " ("
            + last
            + "); logs in "
            + logDir);
  }

  private List<String> daemonCommand(List<String> jvmOptions, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx384m"));
    command.addAll(jvmOptions);
    command.addAll(
        List.of("-cp", sparkHome.resolve("watchdog") + ":" + sparkHome.resolve("jars") + "/*"));
    command.addAll(watchdogArgs());
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  private static List<String> watchdogArgs() {
    ProcessHandle self = ProcessHandle.current();
    long start = self.info().startInstant().map(i -> i.toEpochMilli()).orElse(-1L);
    return List.of(
        ProcessWatchdog.class.getName(),
        Long.toString(self.pid()),
        Long.toString(start),
        Long.toString(MAX_LIFETIME.toSeconds()));
  }

  /** The workers' and master's environment; executors and drivers inherit it from the workers. */
  private Map<String, String> daemonEnvironment() {
    Map<String, String> env = clientEnvironment();
    env.put("ORT_DISABLE_TELEMETRY", "1");
    return env;
  }

  private Map<String, String> clientEnvironment() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("SPARK_"));
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", Projects.scalaBinaryVersion());
    env.put("BATCHINFER_SPARK", Projects.sparkLine()); // submit.sh uses the build under test
    env.put("SPARK_LOCAL_IP", HOST);
    return env;
  }

  private Launched launch(String name, Path dir, Map<String, String> env, List<String> command)
      throws IOException {
    if (closed) {
      throw new IllegalStateException("the cluster is closed");
    }
    String file = String.format("%02d-%s", launches.incrementAndGet(), name);
    Path out = logDir.resolve(file + ".out");
    Path err = logDir.resolve(file + ".err");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().clear();
    env.forEach(
        (k, v) -> {
          if (v != null) {
            pb.environment().put(k, v);
          }
        });
    Process p = pb.start();
    started.add(p);
    return new Launched(name, p, out, err);
  }

  /**
   * Ends each process and its descendants: snapshot of the trees first (a worker's executors are
   * reparented once the worker dies), SIGTERM to the roots, then SIGKILL to everything still alive
   * after the grace period.
   */
  static void stopTrees(List<Process> roots) {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process p : roots) {
      all.add(p.toHandle());
      p.descendants().forEach(all::add);
    }
    roots.forEach(Process::destroy);
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          // still alive: killed below
        }
      }
    }
    for (ProcessHandle h : all) {
      h.descendants().forEach(ProcessHandle::destroyForcibly);
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println(
            "LocalStandaloneCluster: pid " + h.pid() + " did not exit after SIGKILL");
      }
    }
  }

  private void deleteJarCopies() {
    for (Path dir : workDirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files
            .filter(f -> f.getFileName().toString().endsWith(".jar"))
            .forEach(
                f -> {
                  try {
                    Files.deleteIfExists(f);
                  } catch (IOException e) {
                    // leave it
                  }
                });
      } catch (IOException | UncheckedIOException e) {
        // best effort
      }
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "<cannot read " + file + ": " + e + ">";
    }
  }

  /**
   * @return the last {@code lines} lines of {@code text}
   */
  static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
  }
}
