package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.cluster.ParquetFiles.IdRow;
import io.batchinfer.testing.Projects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code submit-scripts/submit.sh --master yarn} on Hadoop's own YARN and HDFS ({@link
 * MiniYarnCluster}), without a Spark installation: the script runs SparkSubmit on {@code
 * target/spark-home/jars} (spark-yarn included) with the generated {@code HADOOP_CONF_DIR}. The
 * examples' data and models are copied to the HDFS home directory under the same relative paths, so
 * the example configs run unchanged (relative paths resolve against the driver's default file
 * system, HDFS). Outputs are compared by id with a local-mode run of the same example.
 */
@Tag("slow")
class YarnClusterIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
  private static final Pattern SUMMARY = Pattern.compile("(?m)^batchinfer: job=.* status=ok .*$");
  private static final Pattern APP_ID = Pattern.compile("application_\\d+_\\d+");
  private static final String SESSION_LINE = "created ONNX Runtime session";

  private static MiniYarnCluster yarn;
  private static Path root;
  private static String home;

  @TempDir static Path tmp;

  @BeforeAll
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  static void startCluster() throws Exception {
    root = Projects.root();
    assertThat(root.resolve("target/batchinfer-cluster.jar")).as("built by mvn package").exists();
    assertThat(root.resolve("target/spark-home/jars"))
        .isDirectoryContaining("glob:**/spark-yarn_*.jar");
    yarn = MiniYarnCluster.start(root.resolve("target/batchinfer-mini-dfs"), 4096);
    try (FileSystem fs = yarn.fileSystem()) {
      home = fs.getHomeDirectory().toUri().getPath();
      for (String p :
          List.of(
              "data/iris/iris.parquet",
              "models/iris/iris-logreg.onnx",
              "data/sentences/sentences.parquet",
              "models/all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx",
              "models/all-minilm-l6-v2-q/all-minilm-l6-v2-q-tokenizer.json")) {
        fs.copyFromLocalFile(
            false,
            true,
            new org.apache.hadoop.fs.Path(root.resolve(p).toUri()),
            new org.apache.hadoop.fs.Path(home + "/" + p));
      }
    }
  }

  @AfterAll
  static void stopCluster() {
    if (yarn != null) {
      yarn.close();
    }
  }

  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void irisExampleRunsInClientAndClusterMode() throws Exception {
    List<String> job = List.of("conf/examples/iris.yaml", "--set", "input.partitions=4");
    Map<Long, String> expected = localRun("iris-local", job);
    assertThat(expected).hasSize(150);

    // Client mode: the driver is the submitting JVM; the summary line comes back on stdout.
    Run client =
        submit(
            "iris-client",
            jars(List.of("--master", "yarn")),
            job,
            "--set",
            "output.path=yarn-out/iris-client");
    assertThat(client.code).as(client.describe()).isZero();
    String summary = summary(client.stdout);
    assertThat(summary).contains("rows_out=150").contains("app_id=application_");
    assertOneSessionPerExecutor(appId(summary), summary);
    assertThat(hdfsRows("yarn-out/iris-client")).isEqualTo(expected);

    // Cluster mode, with Spark's default for the Spark jars: the client zips target/spark-home/jars
    // and ships them through the HDFS staging directory (no Spark installation anywhere).
    Run cluster =
        submit(
            "iris-cluster",
            List.of("--master", "yarn", "--deploy-mode", "cluster"),
            job,
            "--set",
            "output.path=yarn-out/iris-cluster");
    assertThat(cluster.code).as(cluster.describe()).isZero();
    String driverSummary = summaryFromYarnLogs(appId(cluster.stderr));
    assertThat(driverSummary).contains("rows_out=150");
    assertThat(hdfsRows("yarn-out/iris-cluster")).isEqualTo(expected);
  }

  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void textExampleRunsInClientAndClusterMode() throws Exception {
    List<String> job =
        List.of("conf/examples/text-embeddings.yaml", "--set", "input.filter=id < 200");
    Map<Long, String> expected = localRun("text-local", job);
    assertThat(expected).hasSizeGreaterThan(150);

    Run client =
        submit(
            "text-client",
            jars(List.of("--master", "yarn")),
            job,
            "--set",
            "output.path=yarn-out/text-client");
    assertThat(client.code).as(client.describe()).isZero();
    String summary = summary(client.stdout);
    assertOneSessionPerExecutor(appId(summary), summary);
    assertThat(hdfsRows("yarn-out/text-client")).isEqualTo(expected);

    Run cluster =
        submit(
            "text-cluster",
            jars(List.of("--master", "yarn", "--deploy-mode", "cluster")),
            job,
            "--set",
            "output.path=yarn-out/text-cluster");
    assertThat(cluster.code).as(cluster.describe()).isZero();
    assertThat(summaryFromYarnLogs(appId(cluster.stderr))).contains("rows_out=" + expected.size());
    assertThat(hdfsRows("yarn-out/text-cluster")).isEqualTo(expected);
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void failedClusterModeDriverFailsTheSubmitScript() throws Exception {
    Run run =
        submit(
            "invalid-cluster",
            jars(
                List.of(
                    "--master",
                    "yarn",
                    "--deploy-mode",
                    "cluster",
                    "--conf",
                    "spark.yarn.maxAppAttempts=1")),
            List.of("conf/examples/iris.yaml"),
            "--set",
            "model.batch_size=0",
            "--set",
            "output.path=yarn-out/invalid");
    assertThat(run.code).as(run.describe()).isNotZero();
    String logs = yarnLogs(appId(run.stderr), "model.batch_size: must be a positive number");
    assertThat(logs).contains("Nothing was run or written.");
    try (FileSystem fs = yarn.fileSystem()) {
      assertThat(fs.exists(new org.apache.hadoop.fs.Path(home + "/yarn-out/invalid"))).isFalse();
    }
  }

  /**
   * Each executor container that scored created exactly one ONNX Runtime session (its own log says
   * so), both executors scored, and the summary's count agrees.
   */
  private static void assertOneSessionPerExecutor(String appId, String summary) throws IOException {
    Map<String, Long> sessions = new TreeMap<>();
    for (Path dir : yarn.containerLogDirs()) {
      Path app = dir.resolve(appId);
      if (!Files.isDirectory(app)) {
        continue;
      }
      try (Stream<Path> containers = Files.list(app)) {
        for (Path c : containers.toList()) {
          String stderr = Files.readString(c.resolve("stderr"), StandardCharsets.ISO_8859_1);
          if (stderr.contains("Executor: Starting executor ID")) {
            sessions.put(
                c.getFileName().toString(),
                stderr.lines().filter(l -> l.contains(SESSION_LINE)).count());
          }
        }
      }
    }
    assertThat(sessions)
        .as("sessions per executor container of " + appId)
        .hasSize(2)
        .allSatisfy((id, n) -> assertThat(n).isOne());
    assertThat(summary).contains("sessions_created=2");
  }

  /**
   * The documented way to the driver's summary line: {@code yarn-logs.sh <app id> -log_files
   * stdout}.
   */
  private static String summaryFromYarnLogs(String appId) throws Exception {
    String logs = yarnLogs(appId, "batchinfer: job=");
    return summary(logs);
  }

  /**
   * Runs submit-scripts/yarn-logs.sh until the aggregated logs contain {@code marker} (bounded).
   */
  private static String yarnLogs(String appId, String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    Run last = null;
    while (System.nanoTime() < deadline) {
      last =
          run(
              "yarn-logs-" + appId,
              env(),
              List.of(
                  "bash", "submit-scripts/yarn-logs.sh", appId, "-log_files", "stdout", "stderr"),
              Duration.ofSeconds(60));
      if (last.code == 0 && last.stdout.contains(marker)) {
        return last.stdout;
      }
      Thread.sleep(2000);
    }
    throw new AssertionError(
        "'" + marker + "' not in the aggregated logs of " + appId + ":\n" + last.describe());
  }

  private static Map<Long, String> localRun(String name, List<String> job) throws Exception {
    Path out = tmp.resolve(name);
    Map<String, String> env = env();
    env.put("HADOOP_CONF_DIR", null);
    Run run =
        submit(
            name,
            List.of("--master", "local[2]"),
            job,
            List.of("--set", "output.path=" + out),
            env);
    assertThat(run.code).as(run.describe()).isZero();
    return byId(ParquetFiles.read(out));
  }

  private static Map<Long, String> hdfsRows(String relative) throws IOException {
    Path local = tmp.resolve("from-hdfs-" + relative.replace('/', '-'));
    try (FileSystem fs = yarn.fileSystem()) {
      fs.copyToLocalFile(
          false,
          new org.apache.hadoop.fs.Path(home + "/" + relative),
          new org.apache.hadoop.fs.Path(local.toUri()),
          true);
    }
    return byId(ParquetFiles.read(local));
  }

  /** Spark's jars from this machine's disk instead of uploading 220 MB per submission. */
  private static List<String> jars(List<String> options) {
    List<String> all = new ArrayList<>(options);
    all.addAll(
        List.of(
            "--conf", "spark.yarn.jars=local:" + root.resolve("target/spark-home/jars") + "/*"));
    return all;
  }

  private static Run submit(String name, List<String> options, List<String> job, String... more)
      throws Exception {
    return submit(name, options, job, List.of(more), env());
  }

  private static Run submit(
      String name,
      List<String> options,
      List<String> job,
      List<String> more,
      Map<String, String> env)
      throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", "submit-scripts/submit.sh"));
    command.addAll(options);
    // Loopback for the application master, a cluster-mode driver and the executors (containers).
    command.addAll(
        List.of(
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=" + MiniYarnCluster.HOST,
            "--conf",
            "spark.executorEnv.SPARK_LOCAL_IP=" + MiniYarnCluster.HOST));
    command.addAll(job);
    command.addAll(more);
    return run(name, env, command, JOB_TIMEOUT);
  }

  /**
   * The environment of submit.sh: this cluster's client config, small containers, no Spark
   * installation, no rebuild, and none of the ONNX Runtime/DJL switches (the script must set them).
   */
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("HADOOP_CONF_DIR", yarn.confDir().toString());
    env.put("BATCHINFER_SKIP_BUILD", "1");
    env.put("BATCHINFER_EXECUTOR_CORES", "1");
    env.put("BATCHINFER_EXECUTOR_MEMORY", "512m");
    env.put("BATCHINFER_DRIVER_MEMORY", "512m");
    env.put("BATCHINFER_NUM_EXECUTORS", "2");
    env.put("SPARK_LOCAL_IP", MiniYarnCluster.HOST);
    env.put("SPARK_HOME", null);
    env.put("SPARK_CONF_DIR", null);
    env.put("ORT_DISABLE_TELEMETRY", null);
    env.put("DJL_OFFLINE", null);
    env.put("OPT_OUT_TRACKING", null);
    return env;
  }

  private static Run run(
      String name, Map<String, String> env, List<String> command, Duration timeout)
      throws Exception {
    Path out = Files.createTempFile(tmp, name, ".out");
    Path err = Files.createTempFile(tmp, name, ".err");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    env.forEach(
        (k, v) -> {
          if (v == null) {
            pb.environment().remove(k);
          } else {
            pb.environment().put(k, v);
          }
        });
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      LocalStandaloneCluster.stopTrees(List.of(p));
      throw new AssertionError(
          name
              + " did not finish within "
              + timeout
              + "; stderr ends with:\n"
              + LocalStandaloneCluster.tail(Files.readString(err), 60));
    }
    System.err.printf(
        "YarnClusterIT: %s exited %d after %.1f s%n",
        name, p.exitValue(), (System.nanoTime() - start) / 1e9);
    return new Run(name, p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private record Run(String name, int code, String stdout, String stderr) {
    String describe() {
      return name
          + " (exit "
          + code
          + ")\n--- stdout:\n"
          + LocalStandaloneCluster.tail(stdout, 20)
          + "\n--- stderr:\n"
          + LocalStandaloneCluster.tail(stderr, 80);
    }
  }

  private static String summary(String text) {
    Matcher m = SUMMARY.matcher(text);
    assertThat(m.find()).as("summary line in:\n" + LocalStandaloneCluster.tail(text, 40)).isTrue();
    return m.group();
  }

  private static String appId(String text) {
    Matcher m = APP_ID.matcher(text);
    assertThat(m.find())
        .as("a YARN application id in:\n" + LocalStandaloneCluster.tail(text, 40))
        .isTrue();
    return m.group();
  }

  private static Map<Long, String> byId(List<IdRow> rows) {
    return rows.stream()
        .collect(
            Collectors.toMap(
                IdRow::id,
                IdRow::values,
                (x, y) -> {
                  throw new AssertionError("duplicate id: " + x);
                },
                TreeMap::new));
  }
}
