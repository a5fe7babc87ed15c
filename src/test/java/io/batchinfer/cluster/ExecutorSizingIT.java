package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executor sizing on a real standalone cluster whose Workers have 1 core and 1g each (the trap of
 * issue 9): the script's default of 2 cores per executor fits no Worker. A user's own setting, in
 * any form, must win over that default and the job must run; a job left mis-sized must fail within
 * {@code job.executor_start_timeout} with a message naming what it asked for and what the largest
 * Worker offers, instead of waiting forever.
 */
@Tag("slow")
class ExecutorSizingIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(150);
  private static final int WORKER_CORES = 1;
  private static final String WORKER_MEMORY = "1g";

  private static LocalStandaloneCluster cluster;
  private static Path root;

  @TempDir static Path tmp;

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void startCluster() throws Exception {
    root = Projects.root();
    assertThat(root.resolve("target/batchinfer-cluster.jar")).as("built by mvn package").exists();
    cluster = LocalStandaloneCluster.start(2, WORKER_CORES, WORKER_MEMORY);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void userConfWinsOverTheScriptsTwoCoreDefault() throws Exception {
    Path out = tmp.resolve("conf-wins");
    List<String> args =
        List.of(
            "--master",
            cluster.masterUrl(),
            "--conf",
            "spark.executor.cores=1",
            "--conf",
            "spark.executor.memory=640m",
            "conf/examples/iris.yaml",
            "--set",
            "output.path=" + out);
    // What the script will run: the user's values, and no spark-submit option that would beat them.
    LocalStandaloneCluster.Launched print =
        script("conf-wins-print", environment(), prepend("--print-command", args));
    assertThat(print.await(Duration.ofSeconds(30))).as(print.describe()).isZero();
    assertThat(print.stdout())
        .contains("--conf spark.executor.cores=1")
        .doesNotContain("spark.executor.cores=2")
        .doesNotContain("--executor-cores");

    LocalStandaloneCluster.Launched run = script("conf-wins", environment(), args);
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    assertThat(run.stdout()).contains("rows_out=150");
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void sparkDefaultsConfWinsOverTheScriptsDefaults() throws Exception {
    Path confDir = Files.createDirectories(tmp.resolve("spark-conf"));
    Files.writeString(
        confDir.resolve("spark-defaults.conf"),
        "spark.executor.cores 1\nspark.executor.memory 640m\n");
    Map<String, String> env = environment();
    env.put("SPARK_CONF_DIR", confDir.toString());
    Path out = tmp.resolve("defaults-win");
    LocalStandaloneCluster.Launched run =
        script(
            "defaults-win",
            env,
            List.of(
                "--master",
                cluster.masterUrl(),
                "conf/examples/iris.yaml",
                "--set",
                "output.path=" + out));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    assertThat(run.stdout()).contains("rows_out=150");
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void misSizedExecutorsFailWithinTheTimeoutSayingWhatTheWorkersOffer() throws Exception {
    Path out = tmp.resolve("mis-sized");
    long start = System.nanoTime();
    LocalStandaloneCluster.Launched run =
        script(
            "mis-sized",
            environment(),
            List.of(
                "--master",
                cluster.masterUrl(),
                "--conf",
                "spark.master.ui.port=" + cluster.masterWebUiPort(),
                "--conf",
                "spark.executor.memory=640m",
                "conf/examples/iris.yaml",
                "--set",
                "output.path=" + out,
                "--set",
                "job.executor_start_timeout=20s"));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isEqualTo(1);
    double seconds = (System.nanoTime() - start) / 1e9;
    // Expected from the cluster this test started: Workers of 1 core and 1g, the script's default
    // of 2 cores.
    assertThat(run.stderr())
        .as(run.describe())
        .contains(
            "batchinfer: job failed: no executor started in 20 s"
                + " (job.executor_start_timeout): each executor asks for 2 cores and 640m, the largest free Worker offers"
                + " 1 core and 1g; lower spark.executor.cores or BATCHINFER_EXECUTOR_CORES (to at most 1)")
        .doesNotContain("unreachable");
    assertThat(seconds).as("bounded: 20 s of waiting plus driver start and stop").isLessThan(120);
    assertThat(out).doesNotExist();
  }

  /**
   * submit.sh's environment: no rebuild, small driver, the script's executor defaults untouched,
   * and the cluster's SPARK_HOME (its spark-submit never outlives the test JVM).
   */
  private static Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    env.put("BATCHINFER_SKIP_BUILD", "1");
    env.put("BATCHINFER_DRIVER_MEMORY", "512m");
    env.put("BATCHINFER_EXECUTOR_CORES", null);
    env.put("BATCHINFER_EXECUTOR_MEMORY", null);
    env.put("BATCHINFER_NUM_EXECUTORS", null);
    return env;
  }

  private static List<String> prepend(String first, List<String> rest) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(rest);
    return all;
  }

  private static LocalStandaloneCluster.Launched script(
      String name, Map<String, String> env, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", "submit-scripts/submit.sh"));
    command.addAll(args);
    return cluster.run(name, root, env, command);
  }
}
