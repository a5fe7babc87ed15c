package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.cluster.ParquetFiles.IdRow;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.ReportSvg;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The job on a real standalone cluster ({@link LocalStandaloneCluster}: a master, two 1-core
 * workers, executors and cluster-mode drivers as separate JVMs), submitted with {@code
 * submit-scripts/submit.sh} or plain {@code spark-submit}, always with the shaded {@code
 * target/batchinfer-cluster.jar} on a Spark-only classpath. Runs after {@code package}.
 *
 * <p>The submit script runs with an environment that lacks the ONNX Runtime and DJL switches: the
 * script must set them for the driver.
 */
@Tag("slow")
class StandaloneClusterIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(150);
  private static final Pattern SUMMARY = Pattern.compile("(?m)^batchinfer: job=.* status=ok .*$");
  private static final Pattern DRIVER_ID = Pattern.compile("driver-\\d{14}-\\d{4}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LocalStandaloneCluster cluster;
  private static Path root;
  private static Path clusterJar;

  @TempDir static Path tmp;

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void startCluster() throws Exception {
    root = Projects.root();
    clusterJar = Projects.clusterJar();
    assertThat(clusterJar).as("built by mvn package").exists();
    cluster = LocalStandaloneCluster.start(2, 1, "1g");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void irisExampleWritesTheSameRowsInLocalClientAndClusterMode() throws Exception {
    Path local = tmp.resolve("iris-local");
    Path client = tmp.resolve("iris-client");
    Path clustered = tmp.resolve("iris-cluster");

    Map<String, String> noSparkHome = submitEnvironment();
    noSparkHome.put("SPARK_HOME", null);
    LocalStandaloneCluster.Launched localRun =
        cluster.run(
            "iris-local",
            root,
            noSparkHome,
            List.of(
                "bash",
                "submit-scripts/submit.sh",
                "--master",
                "local[2]",
                "--conf",
                "spark.ui.enabled=false",
                "conf/examples/iris.yaml",
                "--set",
                "output.path=" + local));
    assertThat(localRun.await(JOB_TIMEOUT)).as(localRun.describe()).isZero();
    assertThat(summary(localRun.stdout())).contains("rows_out=150");

    LocalStandaloneCluster.Launched clientRun =
        submitScript(
            "iris-client",
            List.of(
                "--master",
                cluster.masterUrl(),
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "conf/examples/iris.yaml",
                "--set",
                "output.path=" + client));
    assertThat(clientRun.await(JOB_TIMEOUT)).as(clientRun.describe()).isZero();
    assertThat(summary(clientRun.stdout())).contains("rows_out=150").contains("app_id=app-");

    // Cluster mode: the driver runs in a worker's work dir, so every path must be absolute.
    LocalStandaloneCluster.Launched clusterRun =
        submitScript(
            "iris-cluster",
            List.of(
                "--master",
                cluster.masterUrl(),
                "--deploy-mode",
                "cluster",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "conf/examples/iris.yaml",
                "--set",
                "input.path=" + root.resolve("data/iris/iris.parquet"),
                "--set",
                "model.path=" + root.resolve("models/iris/iris-logreg.onnx"),
                "--set",
                "output.path=" + clustered));
    assertThat(clusterRun.await(JOB_TIMEOUT)).as(clusterRun.describe()).isZero();
    String driverStdout = driverStdout(clusterRun);
    assertThat(summary(driverStdout)).contains("rows_out=150").contains("app_id=app-");

    Map<Long, String> expected = byId(ParquetFiles.read(local));
    assertThat(expected).hasSize(150);
    assertThat(byId(ParquetFiles.read(client))).as("client mode").isEqualTo(expected);
    assertThat(byId(ParquetFiles.read(clustered))).as("cluster mode").isEqualTo(expected);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void textEmbeddingsOnExecutorsMatchLocalMode() throws Exception {
    // DJL's tokenizer (native library, relocated gson) loads from the cluster jar on the executors.
    List<String> job =
        List.of("conf/examples/text-embeddings.yaml", "--set", "input.filter=id < 200");
    Path local = tmp.resolve("text-local");
    Path client = tmp.resolve("text-client");
    Map<String, String> noSparkHome = submitEnvironment();
    noSparkHome.put("SPARK_HOME", null);
    List<String> localArgs =
        new ArrayList<>(
            List.of(
                "bash",
                "submit-scripts/submit.sh",
                "--master",
                "local[2]",
                "--conf",
                "spark.ui.enabled=false"));
    localArgs.addAll(job);
    localArgs.addAll(List.of("--set", "output.path=" + local));
    LocalStandaloneCluster.Launched localRun =
        cluster.run("text-local", root, noSparkHome, localArgs);
    assertThat(localRun.await(JOB_TIMEOUT)).as(localRun.describe()).isZero();

    List<String> clientArgs =
        new ArrayList<>(
            List.of(
                "--master",
                cluster.masterUrl(),
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST));
    clientArgs.addAll(job);
    clientArgs.addAll(List.of("--set", "output.path=" + client));
    LocalStandaloneCluster.Launched clientRun = submitScript("text-client", clientArgs);
    assertThat(clientRun.await(JOB_TIMEOUT)).as(clientRun.describe()).isZero();

    Map<Long, String> expected = byId(ParquetFiles.read(local));
    assertThat(expected).hasSizeGreaterThan(150);
    assertThat(summaryValue(summary(clientRun.stdout()), "rows_out")).isEqualTo(expected.size());
    assertThat(byId(ParquetFiles.read(client))).isEqualTo(expected);
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void digitImagesOnExecutorsGiveTheExampleAccuracy() throws Exception {
    // The image readers (TwelveMonkeys, registered by the image package) load from the cluster jar
    // in executor JVMs; 296 of 300 is the training script's held-out count.
    List<String> args =
        new ArrayList<>(
            List.of(
                "--master",
                cluster.masterUrl(),
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "conf/examples/digits-images.yaml",
                "--set",
                "output.path=" + tmp.resolve("digits-client")));
    LocalStandaloneCluster.Launched run = submitScript("digits-client", args);
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    assertThat(summary(run.stdout())).contains("rows_out=300").contains("app_id=app-");
    assertThat(run.stdout())
        .contains("batchinfer: evaluate accuracy=0.9867 correct=296 compared=300");
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void eachExecutorCreatesOneSessionPerModel() throws Exception {
    Path input = ParquetFiles.writeIrisLike(tmp.resolve("sessions-input"), 16, 500, 42);
    Path output = tmp.resolve("sessions-output");
    Path events = Files.createDirectories(tmp.resolve("sessions-events"));
    // Plain spark-submit, no script: the job itself must set the executors' environment.
    LocalStandaloneCluster.Launched run =
        cluster.submit(
            "sessions",
            root,
            Map.of(),
            List.of(
                "--master",
                cluster.masterUrl(),
                "--class",
                "io.batchinfer.jobs.BatchInferenceJob",
                "--driver-memory",
                "512m",
                "--executor-memory",
                "640m",
                "--executor-cores",
                "1",
                "--total-executor-cores",
                "2",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "--conf",
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf",
                "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                "--conf",
                "spark.locality.wait=0s",
                "--conf",
                "spark.sql.files.openCostInBytes=134217728",
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.dir=" + events.toUri(),
                // One plain JSON-lines file, as Spark 3.5 writes by default (Spark 4 rolls and
                // compresses).
                "--conf",
                "spark.eventLog.rolling.enabled=false",
                "--conf",
                "spark.eventLog.compress=false",
                clusterJar.toString(),
                "--config",
                "conf/examples/iris.yaml",
                "--set",
                "input.path=" + input,
                "--set",
                "passthrough=[id]",
                "--set",
                "model.batch_size=16",
                "--set",
                "output.path=" + output));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    String summary = summary(run.stdout());
    long sessions = summaryValue(summary, "sessions_created");

    Set<String> scoringExecutors = scoringExecutors(events);
    assertThat(scoringExecutors)
        .as("executors that ran scoring tasks (16 partitions, 2 executors)")
        .hasSize(2);
    assertThat(sessions).as(summary).isEqualTo(scoringExecutors.size());
    // Cross-check from the executors' own logs: one "created ONNX Runtime session" line each.
    String appId = summaryText(summary, "app_id");
    Map<String, Long> created = new TreeMap<>();
    for (Path workDir : cluster.workDirs()) {
      Path app = workDir.resolve(appId);
      if (Files.isDirectory(app)) {
        try (Stream<Path> executorDirs = Files.list(app)) {
          for (Path e : executorDirs.toList()) {
            created.put(
                e.getFileName().toString(),
                Files.readAllLines(e.resolve("stderr")).stream()
                    .filter(l -> l.contains("created ONNX Runtime session"))
                    .count());
          }
        }
      }
    }
    assertThat(created)
        .as("sessions created per executor log")
        .hasSize(2)
        .allSatisfy((id, n) -> assertThat(n).isOne());
    assertThat(ParquetFiles.read(output)).hasSize(16 * 500);
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void killedExecutorLosesAndDuplicatesNoRow() throws Exception {
    int files = 16;
    int rowsPerFile = 10_000;
    Path input = ParquetFiles.writeIrisLike(tmp.resolve("fault-input"), files, rowsPerFile, 7);
    Path output = tmp.resolve("fault-output");
    Path events = Files.createDirectories(tmp.resolve("fault-events"));
    Map<String, String> env = submitEnvironment();
    env.put("BATCHINFER_NUM_EXECUTORS", "2");
    LocalStandaloneCluster.Launched run =
        cluster.run(
            "fault",
            root,
            env,
            List.of(
                "bash",
                "submit-scripts/submit.sh",
                "--master",
                cluster.masterUrl(),
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "--conf",
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf",
                "spark.locality.wait=0s",
                "--conf",
                "spark.sql.files.openCostInBytes=134217728",
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.dir=" + events.toUri(),
                // One plain JSON-lines file, as Spark 3.5 writes by default (Spark 4 rolls and
                // compresses).
                "--conf",
                "spark.eventLog.rolling.enabled=false",
                "--conf",
                "spark.eventLog.compress=false",
                "conf/examples/iris.yaml",
                "--set",
                "input.path=" + input,
                "--set",
                "passthrough=[id]",
                "--set",
                "model.batch_size=1",
                "--set",
                "output.path=" + output));

    // Once the first scoring task has committed, kill an executor that is running a task.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    ProcessHandle victim = null;
    int committedAtKill = -1;
    while (victim == null && System.nanoTime() < deadline && run.process().isAlive()) {
      committedAtKill = committedTasks(output);
      if (committedAtKill >= 1 && cluster.executors().size() == 2) {
        victim =
            cluster.executors().stream()
                .filter(StandaloneClusterIT::runsATask)
                .findFirst()
                .orElse(null);
      }
      if (victim == null) {
        Thread.sleep(50);
      }
    }
    assertThat(victim)
        .as("an executor running a task after the first commit; " + run.describe())
        .isNotNull();
    assertThat(victim.destroyForcibly()).isTrue();
    victim.onExit().get(30, TimeUnit.SECONDS);
    assertThat(committedAtKill).as("the kill came before the last task").isLessThan(files);

    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    List<String> failures = taskFailures(events);
    assertThat(failures)
        .as("the kill hit a running task")
        .anyMatch(r -> r.contains("ExecutorLostFailure"));

    Map<Long, Long> counts =
        ParquetFiles.read(output).stream()
            .collect(Collectors.groupingBy(IdRow::id, Collectors.counting()));
    long total = (long) files * rowsPerFile;
    assertThat(counts).as("every input id").hasSize((int) total);
    assertThat(counts.keySet()).allMatch(id -> id >= 0 && id < total);
    assertThat(counts.values()).as("each id exactly once").allMatch(n -> n == 1);
    assertThat(summaryValue(summary(run.stdout()), "rows_out")).isEqualTo(total);

    // The report's task timeline: a lane per executor, the lost one marked, its cut-short attempts
    // failed.
    Document svg = ReportSvg.timeline(Files.readString(output.resolve("_batchinfer/report.html")));
    List<String> lanes =
        ReportSvg.byClass(svg, "g", "lane").stream()
            .map(e -> e.getAttribute("data-executor"))
            .toList();
    assertThat(lanes)
        .as("executors that ran tasks or were lost")
        .hasSizeGreaterThanOrEqualTo(2)
        .doesNotContain("driver");
    List<Element> lost = ReportSvg.byClass(svg, "g", "executor-lost");
    assertThat(lost).as("the killed executor is marked").isNotEmpty();
    String lostId = ((Element) lost.get(0).getParentNode()).getAttribute("data-executor");
    assertThat(ReportSvg.byClass(svg, "rect", "failed"))
        .as("attempts lost with the executor")
        .anyMatch(e -> e.getAttribute("data-executor").equals(lostId));
    JsonNode timeline =
        JSON.readTree(output.resolve("_batchinfer/report.json").toFile()).path("timeline");
    assertThat(timeline.path("executors").findValuesAsText("lost_reason")).isNotEmpty();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void failedClusterModeDriverFailsTheSubmitScript() throws Exception {
    // Spark 3.5's standalone submit client exits 0 whatever the driver's fate; submit.sh must not.
    LocalStandaloneCluster.Launched run =
        submitScript(
            "invalid-cluster",
            List.of(
                "--master",
                cluster.masterUrl(),
                "--deploy-mode",
                "cluster",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "conf/examples/iris.yaml",
                "--set",
                "input.path=" + root.resolve("data/iris/iris.parquet"),
                "--set",
                "model.path=" + root.resolve("models/iris/iris-logreg.onnx"),
                "--set",
                "model.batch_size=0",
                "--set",
                "output.path=" + tmp.resolve("invalid-cluster")));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isEqualTo(1);
    assertThat(run.stderr()).contains("submit.sh: the driver failed");
    Matcher m = DRIVER_ID.matcher(run.stderr());
    assertThat(m.find()).isTrue();
    Path driver = cluster.driverDir(m.group()).orElseThrow();
    assertThat(Files.readString(driver.resolve("stderr")))
        .contains("model.batch_size: must be a positive number");
    assertThat(tmp.resolve("invalid-cluster")).doesNotExist();
  }

  /**
   * Environment for submit.sh: small executors, no rebuild, and no ORT/DJL switches (the script
   * sets them).
   */
  private static Map<String, String> submitEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("BATCHINFER_SKIP_BUILD", "1");
    env.put("BATCHINFER_EXECUTOR_CORES", "1");
    env.put("BATCHINFER_EXECUTOR_MEMORY", "640m");
    env.put("BATCHINFER_DRIVER_MEMORY", "512m");
    env.put("ORT_DISABLE_TELEMETRY", null);
    env.put("DJL_OFFLINE", null);
    env.put("OPT_OUT_TRACKING", null);
    return env;
  }

  private static LocalStandaloneCluster.Launched submitScript(String name, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of("bash", "submit-scripts/submit.sh"));
    command.addAll(args);
    return cluster.run(name, root, submitEnvironment(), command);
  }

  /**
   * @return the stdout of the cluster-mode driver that {@code run} submitted
   */
  private static String driverStdout(LocalStandaloneCluster.Launched run) throws IOException {
    Matcher m = DRIVER_ID.matcher(run.stderr());
    assertThat(m.find()).as("driver id in the submit log; " + run.describe()).isTrue();
    Path dir =
        cluster
            .driverDir(m.group())
            .orElseThrow(() -> new AssertionError("no work dir for " + m.group()));
    return Files.readString(dir.resolve("stdout"));
  }

  private static String summary(String stdout) {
    Matcher m = SUMMARY.matcher(stdout);
    assertThat(m.find()).as("summary line in:\n" + stdout).isTrue();
    return m.group();
  }

  private static long summaryValue(String summary, String key) {
    return Long.parseLong(summaryText(summary, key));
  }

  private static String summaryText(String summary, String key) {
    Matcher m = Pattern.compile("\\b" + key + "=(\\S+)").matcher(summary);
    assertThat(m.find()).as(key + " in " + summary).isTrue();
    return m.group(1);
  }

  private static Map<Long, String> byId(List<IdRow> rows) {
    return rows.stream()
        .collect(
            Collectors.toMap(
                IdRow::id,
                IdRow::values,
                (a, b) -> {
                  throw new AssertionError("duplicate id: " + a);
                },
                TreeMap::new));
  }

  /**
   * @return whether the executor's log says it started a task and has not finished it
   */
  private static boolean runsATask(ProcessHandle executor) {
    try {
      String log =
          Files.readString(
              LocalStandaloneCluster.workDirOf(executor).resolve("stderr"),
              StandardCharsets.ISO_8859_1);
      return log.lastIndexOf("Executor: Running task") > log.lastIndexOf("Executor: Finished task");
    } catch (IOException e) {
      return false; // it just exited
    }
  }

  /** Tasks committed so far by Hadoop's v1 output committer: {@code _temporary/0/task_*}. */
  private static int committedTasks(Path output) throws IOException {
    Path dir = output.resolve("_temporary/0");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.filter(p -> p.getFileName().toString().startsWith("task_")).count();
    }
  }

  /**
   * @return the event log's task-end events, one JSON node each
   */
  private static List<JsonNode> taskEnds(Path eventDir) throws IOException {
    List<Path> logs;
    try (Stream<Path> s = Files.list(eventDir)) {
      logs = s.filter(p -> p.getFileName().toString().startsWith("app-")).toList();
    }
    assertThat(logs).as("one event log in " + eventDir).hasSize(1);
    List<JsonNode> ends = new ArrayList<>();
    for (String line : Files.readAllLines(logs.get(0))) {
      JsonNode event = JSON.readTree(line);
      if ("SparkListenerTaskEnd".equals(event.path("Event").asText())) {
        ends.add(event);
      }
    }
    return ends;
  }

  /**
   * @return ids of the executors that finished scoring tasks (tasks that updated
   *     batchinfer.rows_in)
   */
  private static Set<String> scoringExecutors(Path eventDir) throws IOException {
    Set<String> executors = new HashSet<>();
    for (JsonNode end : taskEnds(eventDir)) {
      boolean scored = false;
      for (JsonNode acc : end.path("Task Info").path("Accumulables")) {
        scored |= "batchinfer.rows_in".equals(acc.path("Name").asText());
      }
      if (scored && "Success".equals(end.path("Task End Reason").path("Reason").asText())) {
        executors.add(end.path("Task Info").path("Executor ID").asText());
      }
    }
    return executors;
  }

  /**
   * @return the end reasons of failed tasks
   */
  private static List<String> taskFailures(Path eventDir) throws IOException {
    Function<JsonNode, String> reason = e -> e.path("Task End Reason").path("Reason").asText();
    return taskEnds(eventDir).stream().map(reason).filter(r -> !"Success".equals(r)).toList();
  }
}
