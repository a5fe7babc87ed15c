package io.batchinfer.jobs.submit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spark-submit command submit.sh builds, read as the script would print it: which defaults it
 * adds for each way a user can set a Spark setting. Expected commands are written out by hand from
 * the precedence rules in submit.sh's help.
 */
class SubmitCommandTest {
  private static final String OPTS =
      "--add-opens=java.base/java.lang=ALL-UNNAMED -Dai.djl.offline=true";

  @TempDir Path root;
  @TempDir Path work;
  private Path config;
  private final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void fakeProject() throws IOException {
    Files.createDirectories(root.resolve("target/spark-home/jars"));
    Files.writeString(root.resolve("target/batchinfer-cluster.jar"), "jar");
    config = Files.writeString(work.resolve("job.yaml"), "job: {name: x}\n");
    env.put("BATCHINFER_DRIVER_OPTS", OPTS);
  }

  @Test
  void standaloneDefaultsAreConfSettingsNotSubmitOptions() throws Exception {
    List<String> cmd = plan("--master", "spark://m:7077", config.toString()).command();
    assertThat(confs(cmd))
        .containsEntry("spark.executor.cores", "2")
        .containsEntry("spark.executor.memory", "2g")
        .containsEntry("spark.driver.memory", "2g")
        .containsEntry("spark.executorEnv.ORT_DISABLE_TELEMETRY", "1")
        .doesNotContainKey("spark.cores.max");
    // spark-submit prefers its own options over --conf: the script must not use them.
    assertThat(cmd)
        .doesNotContain(
            "--executor-cores",
            "--executor-memory",
            "--driver-memory",
            "--total-executor-cores",
            "--num-executors");
    assertThat(cmd)
        .containsSubsequence(
            "java",
            "-Xmx2g",
            "-cp",
            root.resolve("target/spark-home/jars") + "/*",
            SubmitCommand.SUBMIT_CLASS,
            "--master",
            "spark://m:7077");
    assertThat(cmd.subList(cmd.size() - 3, cmd.size()))
        .containsExactly(
            root.resolve("target/batchinfer-cluster.jar").toString(),
            "--config",
            config.toString());
  }

  @Test
  void userConfWinsOverEveryDefault() throws Exception {
    env.put("BATCHINFER_NUM_EXECUTORS", "3");
    List<String> cmd =
        plan(
                "--master",
                "spark://m:7077",
                "--conf",
                "spark.executor.cores=1",
                "--conf",
                "spark.executor.memory=1g",
                "--conf",
                "spark.driver.memory=768m",
                "--conf",
                "spark.executorEnv.ORT_DISABLE_TELEMETRY=1",
                config.toString())
            .command();
    assertThat(values(cmd, "spark.executor.cores")).containsExactly("1");
    assertThat(values(cmd, "spark.executor.memory")).containsExactly("1g");
    assertThat(values(cmd, "spark.driver.memory")).containsExactly("768m");
    assertThat(values(cmd, "spark.executorEnv.ORT_DISABLE_TELEMETRY")).containsExactly("1");
    // 3 executors of the user's 1 core each, and this JVM (the client-mode driver) gets the user's
    // heap.
    assertThat(values(cmd, "spark.cores.max")).containsExactly("3");
    assertThat(cmd).contains("-Xmx768m").doesNotContain("-Xmx2g");
  }

  @Test
  void environmentDefaultsApplyWhenTheUserSetsNothing() throws Exception {
    env.put("BATCHINFER_EXECUTOR_CORES", "1");
    env.put("BATCHINFER_EXECUTOR_MEMORY", "640m");
    env.put("BATCHINFER_DRIVER_MEMORY", "512m");
    env.put("BATCHINFER_NUM_EXECUTORS", "2");
    Map<String, String> c = confs(plan("--master", "spark://m:7077", config.toString()).command());
    assertThat(c)
        .containsEntry("spark.executor.cores", "1")
        .containsEntry("spark.executor.memory", "640m")
        .containsEntry("spark.driver.memory", "512m")
        .containsEntry("spark.cores.max", "2");
  }

  @Test
  void sparkConfDirDefaultsWinOverTheScriptsDefaults() throws Exception {
    Path confDir = Files.createDirectories(work.resolve("conf-dir"));
    Files.writeString(
        confDir.resolve("spark-defaults.conf"),
        """
        # cluster admin's defaults
        spark.executor.memory   3g
        spark.executor.cores=1
        spark.cores.max 4
        """);
    env.put("SPARK_CONF_DIR", confDir.toString());
    env.put("BATCHINFER_NUM_EXECUTORS", "2");
    List<String> cmd = plan("--master", "spark://m:7077", config.toString()).command();
    // Not passed at all: spark-submit reads the file itself, and the script adds nothing over it.
    assertThat(confs(cmd))
        .doesNotContainKeys("spark.executor.memory", "spark.executor.cores", "spark.cores.max")
        .containsEntry("spark.driver.memory", "2g");
  }

  @Test
  void sparkHomeConfDefaultsCountWhenSparkConfDirIsUnset() throws Exception {
    Path sparkHome = Files.createDirectories(work.resolve("spark"));
    Files.createDirectories(sparkHome.resolve("conf"));
    Files.writeString(
        sparkHome.resolve("conf/spark-defaults.conf"),
        "spark.executor.instances 5\nspark.driver.memory 4g\n");
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("HADOOP_CONF_DIR", work.toString());
    List<String> cmd = plan("--master", "yarn", config.toString()).command();
    assertThat(cmd.get(0)).isEqualTo(sparkHome.resolve("bin/spark-submit").toString());
    assertThat(confs(cmd))
        .doesNotContainKeys("spark.executor.instances", "spark.driver.memory")
        .containsEntry("spark.executor.cores", "2");
  }

  @Test
  void propertiesFileReplacesSparkDefaultsAsInSparkSubmit() throws Exception {
    Path confDir = Files.createDirectories(work.resolve("conf-dir"));
    Files.writeString(confDir.resolve("spark-defaults.conf"), "spark.executor.memory 3g\n");
    Path props =
        Files.writeString(
            work.resolve("job.properties"), "spark.executor.instances=4\nspark.executor.cores 3\n");
    env.put("SPARK_CONF_DIR", confDir.toString());
    env.put("HADOOP_CONF_DIR", work.toString());
    List<String> cmd =
        plan("--master", "yarn", "--properties-file", props.toString(), config.toString())
            .command();
    // spark-submit 3.5 reads --properties-file instead of spark-defaults.conf: the 3g is not in
    // force,
    // so the script's memory default applies.
    assertThat(confs(cmd))
        .doesNotContainKeys("spark.executor.instances", "spark.executor.cores")
        .containsEntry("spark.executor.memory", "2g");
    assertThat(cmd).containsSubsequence("--properties-file", props.toString());
  }

  @Test
  void yarnWithoutSparkHomeShipsTheBuiltJarsAndReadsHadoopConf() throws Exception {
    env.put("HADOOP_CONF_DIR", "/etc/hadoop/conf");
    List<String> cmd =
        plan("--master", "yarn", "--deploy-mode", "cluster", config.toString(), "--var", "ds=1")
            .command();
    assertThat(cmd).startsWith("env", "SPARK_HOME=" + root.resolve("target/spark-home"), "java");
    assertThat(cmd)
        .contains(
            root.resolve("target/spark-home/jars") + "/*:/etc/hadoop/conf",
            SubmitCommand.SUBMITTER_HEAP);
    Map<String, String> c = confs(cmd);
    assertThat(c)
        .containsEntry("spark.executor.instances", "2")
        .containsEntry("spark.yarn.appMasterEnv.ORT_DISABLE_TELEMETRY", "1")
        .containsEntry("spark.driver.extraJavaOptions", OPTS);
    assertThat(cmd).containsSubsequence("--files", config.toString());
    assertThat(cmd.subList(cmd.size() - 4, cmd.size()))
        .containsExactly("--config", "job.yaml", "--var", "ds=1");
  }

  @Test
  void dynamicAllocationGetsNoExecutorCount() throws Exception {
    env.put("HADOOP_CONF_DIR", work.toString());
    Map<String, String> c =
        confs(
            plan(
                    "--master",
                    "yarn",
                    "--conf",
                    "spark.dynamicAllocation.enabled=true",
                    config.toString())
                .command());
    assertThat(c).doesNotContainKey("spark.executor.instances");
  }

  @Test
  void clusterModeDriverOptionsAreMergedNotReplaced() throws Exception {
    List<String> cmd =
        plan(
                "--master",
                "spark://m:7077",
                "--deploy-mode",
                "cluster",
                "--conf",
                "spark.driver.extraJavaOptions=-Dmy.flag=1",
                config.toString())
            .command();
    assertThat(values(cmd, "spark.driver.extraJavaOptions"))
        .last()
        .isEqualTo("-Dmy.flag=1 " + OPTS);
    assertThat(confs(cmd)).containsEntry("spark.standalone.submit.waitAppCompletion", "true");
    assertThat(cmd).containsSubsequence("--config", config.toAbsolutePath().toString());
  }

  @Test
  void userFilesKeepTheirPlaceBesideTheConfig() throws Exception {
    List<String> cmd =
        plan(
                "--master",
                "spark://m:7077",
                "--conf",
                "spark.files=/data/lookup.csv",
                config.toString())
            .command();
    assertThat(cmd).containsSubsequence("--files", "/data/lookup.csv," + config);
  }

  @Test
  void kubernetesClusterModeSetsDriverEnvAndUploadsThroughTheUploadPath() throws Exception {
    SubmitCommand.Plan plan =
        plan(
            "--print-command",
            "--master",
            "k8s://https://127.0.0.1:6443",
            "--deploy-mode",
            "cluster",
            "--conf",
            "spark.kubernetes.container.image=registry.example/spark:3.5",
            "--conf",
            "spark.kubernetes.file.upload.path=s3a://bucket/uploads",
            config.toString());
    assertThat(plan.action()).isEqualTo(SubmitCommand.Action.PRINT);
    Map<String, String> c = confs(plan.command());
    assertThat(c)
        .containsEntry("spark.kubernetes.driverEnv.ORT_DISABLE_TELEMETRY", "1")
        .containsEntry("spark.kubernetes.driverEnv.DJL_OFFLINE", "true")
        .containsEntry("spark.kubernetes.driverEnv.OPT_OUT_TRACKING", "true")
        .containsEntry("spark.executorEnv.ORT_DISABLE_TELEMETRY", "1")
        .containsEntry("spark.kubernetes.file.upload.path", "s3a://bucket/uploads")
        .containsEntry("spark.executor.instances", "2")
        .containsEntry("spark.driver.extraJavaOptions", OPTS);
    assertThat(plan.command())
        .containsSubsequence("--files", config.toString())
        .containsSubsequence("--config", "job.yaml");
    assertThat(plan.printable())
        .contains("--conf spark.kubernetes.driverEnv.ORT_DISABLE_TELEMETRY=1")
        .contains("'spark.driver.extraJavaOptions=" + OPTS + "'");
  }

  @Test
  void kubernetesClusterModeWithLocalFilesNeedsAnUploadPath() {
    assertThatThrownBy(
            () ->
                plan(
                    "--master",
                    "k8s://https://127.0.0.1:6443",
                    "--deploy-mode",
                    "cluster",
                    config.toString()))
        .isInstanceOf(SubmitCommand.SubmitException.class)
        .hasMessageContaining("the config " + config)
        .hasMessageContaining(
            "the application jar " + root.resolve("target/batchinfer-cluster.jar"))
        .hasMessageContaining("--conf spark.kubernetes.file.upload.path=");
  }

  @Test
  void kubernetesClusterModeWithRemoteFilesNeedsNoUploadPath() throws Exception {
    List<String> cmd =
        plan(
                "--master",
                "k8s://https://127.0.0.1:6443",
                "--deploy-mode",
                "cluster",
                "--jar",
                "local:///opt/batchinfer/batchinfer-cluster.jar",
                "s3a://bucket/conf/job.yaml")
            .command();
    assertThat(cmd)
        .doesNotContain("--files")
        .containsSubsequence("--config", "s3a://bucket/conf/job.yaml");
    assertThat(confs(cmd)).doesNotContainKey("spark.kubernetes.file.upload.path");
  }

  @Test
  void localModeBindsToLoopbackAndSetsNoExecutorSize() throws Exception {
    Map<String, String> c = confs(plan(config.toString()).command());
    assertThat(c)
        .containsEntry("spark.driver.host", "127.0.0.1")
        .containsEntry("spark.driver.bindAddress", "127.0.0.1")
        .doesNotContainKeys(
            "spark.executor.cores", "spark.executor.memory", "spark.executor.instances");
  }

  @Test
  void badCommandLinesAreRefusedWithTheScriptsExitCodes() {
    assertThatThrownBy(() -> plan("--master", "mesos://x", config.toString()))
        .hasMessageContaining("--master must be")
        .extracting(e -> ((SubmitCommand.SubmitException) e).exitCode)
        .isEqualTo(SubmitCommand.USAGE);
    assertThatThrownBy(() -> plan("--deploy-mode", "cluster", config.toString()))
        .hasMessageContaining("needs a cluster master");
    assertThatThrownBy(() -> plan("--conf", "spark.executor.cores", config.toString()))
        .hasMessageContaining("KEY=VALUE");
    assertThatThrownBy(() -> plan("--bogus", config.toString())).hasMessageContaining("--bogus");
    assertThatThrownBy(() -> plan(work.resolve("missing.yaml").toString()))
        .extracting(e -> ((SubmitCommand.SubmitException) e).exitCode)
        .isEqualTo(SubmitCommand.INVALID);
    env.put("BATCHINFER_NUM_EXECUTORS", "two");
    assertThatThrownBy(() -> plan("--master", "spark://m:7077", config.toString()))
        .hasMessageContaining(
            "BATCHINFER_NUM_EXECUTORS must be a positive whole number, not 'two'");
    assertThatThrownBy(() -> plan("--help"))
        .extracting(e -> ((SubmitCommand.SubmitException) e).exitCode)
        .isEqualTo(SubmitCommand.HELP);
  }

  @Test
  void jobArgumentsAfterTheConfigAreNotParsedAsScriptOptions() throws Exception {
    List<String> cmd =
        plan(config.toString(), "--conf", "x", "--set", "model.batch_size=8").command();
    assertThat(cmd.subList(cmd.size() - 4, cmd.size()))
        .containsExactly("--conf", "x", "--set", "model.batch_size=8");
  }

  @Test
  void writesNulSeparatedFieldsForTheScript() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        SubmitCommand.run(
            new String[] {config.toString()}, env, root, new PrintStream(out), System.err);
    assertThat(code).isZero();
    String[] fields = out.toString(StandardCharsets.UTF_8).split("\0");
    assertThat(fields[0]).isEqualTo("RUN");
    assertThat(fields[1]).isEqualTo("java");
  }

  @Test
  void heapSizesFollowSparkMemoryStrings() throws Exception {
    assertThat(SubmitValues.heap("2g", null)).isEqualTo("2g");
    assertThat(SubmitValues.heap("1024", null)).isEqualTo("1024m");
    assertThat(SubmitValues.heap("512mb", null)).isEqualTo("512m");
    assertThatThrownBy(() -> SubmitValues.heap("lots", "--conf"))
        .hasMessageContaining("spark.driver.memory (--conf)");
  }

  private SubmitCommand.Plan plan(String... args) throws Exception {
    return SubmitCommand.plan(args, env, root);
  }

  /**
   * @return every {@code --conf} value of {@code key}, in order
   */
  private static List<String> values(List<String> cmd, String key) {
    List<String> found = new ArrayList<>();
    for (int i = 0; i + 1 < cmd.size(); i++) {
      if (cmd.get(i).equals("--conf") && cmd.get(i + 1).startsWith(key + "=")) {
        found.add(cmd.get(i + 1).substring(key.length() + 1));
      }
    }
    return found;
  }

  /**
   * @return the {@code --conf} settings before the application jar (the last one of a key wins, as
   *     in spark-submit)
   */
  private static Map<String, String> confs(List<String> cmd) {
    Map<String, String> c = new HashMap<>();
    for (int i = 0; i + 1 < cmd.size() && !cmd.get(i).equals("--config"); i++) {
      if (cmd.get(i).equals("--conf")) {
        String kv = cmd.get(i + 1);
        c.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    return c;
  }
}
