package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.jobs.ExecutorStartWatchdog.Ask;
import io.batchinfer.jobs.ExecutorStartWatchdog.Offer;
import io.batchinfer.testing.Projects;
import io.batchinfer.udfs.plan.Problems;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The watchdog's timeout key and its messages, from hand-made Worker offers. The real thing (a
 * standalone cluster with 1-core Workers) is in {@code StandaloneClusterIT}.
 */
class ExecutorStartWatchdogTest {
  private static final Duration NINETY = Duration.ofSeconds(90);

  @Test
  void parsesDurationsAndDefaultsToNinetySeconds() {
    Problems p = new Problems();
    assertThat(ExecutorStartWatchdog.timeout(null, p)).isEqualTo(NINETY);
    assertThat(ExecutorStartWatchdog.timeout("120", p)).isEqualTo(Duration.ofSeconds(120));
    assertThat(ExecutorStartWatchdog.timeout("45s", p)).isEqualTo(Duration.ofSeconds(45));
    assertThat(ExecutorStartWatchdog.timeout("2m", p)).isEqualTo(Duration.ofMinutes(2));
    assertThat(ExecutorStartWatchdog.timeout("0", p)).isZero();
    assertThat(p.isEmpty()).isTrue();
  }

  @Test
  void rejectsAnythingElseNamingTheKey() {
    Problems p = new Problems();
    ExecutorStartWatchdog.timeout("soon", p);
    assertThat(p.list())
        .singleElement()
        .asString()
        .isEqualTo(
            "job.executor_start_timeout: expected a duration such as 90s, 2m or 120 (seconds), or 0 to wait"
                + " forever; found 'soon'.");
  }

  @Test
  void aBadTimeoutIsAConfigErrorBeforeSparkStarts() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        BatchInferenceJob.run(
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true),
            "--config",
            Projects.root().resolve("conf/examples/iris.yaml").toString(),
            "--set",
            "job.executor_start_timeout=soon");
    assertThat(code).isEqualTo(ExitCodes.INVALID);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("job.executor_start_timeout: expected a duration");
  }

  @Test
  void tooManyCoresForEveryWorker() {
    String m =
        ExecutorStartWatchdog.standaloneMessage(
            NINETY,
            new Ask(2, 2048, null),
            List.of(new Offer("w1", 1, 2048), new Offer("w2", 1, 1024)));
    assertThat(m)
        .isEqualTo(
            "no executor started in 90 s (job.executor_start_timeout): each executor asks for 2 cores"
                + " and 2g, the largest free Worker offers 1 core and 2g; lower spark.executor.cores or"
                + " BATCHINFER_EXECUTOR_CORES (to at most 1)");
  }

  @Test
  void tooMuchMemoryForEveryWorker() {
    String m =
        ExecutorStartWatchdog.standaloneMessage(
            NINETY, new Ask(1, 2048, null), List.of(new Offer("w1", 4, 1536)));
    assertThat(m)
        .endsWith(
            "asks for 1 core and 2g, the largest free Worker offers 4 cores and 1536m; lower"
                + " spark.executor.memory or BATCHINFER_EXECUTOR_MEMORY (to at most 1536m)");
  }

  @Test
  void coresAndMemoryOnDifferentWorkers() {
    String m =
        ExecutorStartWatchdog.standaloneMessage(
            NINETY,
            new Ask(2, 2048, null),
            List.of(new Offer("w1", 2, 1024), new Offer("w2", 1, 4096)));
    assertThat(m)
        .contains("the largest free Worker offers 2 cores and 1g")
        .endsWith(
            "no Worker has both the cores and the memory free: lower spark.executor.cores or"
                + " spark.executor.memory (BATCHINFER_EXECUTOR_CORES, BATCHINFER_EXECUTOR_MEMORY)");
  }

  @Test
  void busyClusterSaysSo() {
    String m =
        ExecutorStartWatchdog.standaloneMessage(
            NINETY, new Ask(1, 512, null), List.of(new Offer("w1", 0, 512)));
    assertThat(m).endsWith("offers 0 cores and 512m; wait for other applications to free cores");
  }

  @Test
  void noAliveWorker() {
    assertThat(
            ExecutorStartWatchdog.standaloneMessage(NINETY, new Ask(null, 1024, null), List.of()))
        .isEqualTo(
            "no executor started in 90 s (job.executor_start_timeout): each executor asks for all free cores"
                + " of a Worker and 1g; the Master has no alive Worker. Start Workers (or check that they reach the Master).");
  }

  @Test
  void coresMaxBelowExecutorCores() {
    assertThat(
            ExecutorStartWatchdog.standaloneMessage(
                NINETY, new Ask(2, 1024, 1), List.of(new Offer("w1", 4, 4096))))
        .endsWith(
            "spark.cores.max (1) is below spark.executor.cores (2): raise spark.cores.max or lower"
                + " spark.executor.cores (BATCHINFER_EXECUTOR_CORES).");
  }

  @Test
  void roomOnAWorkerPointsAtTheExecutorLogs() {
    assertThat(
            ExecutorStartWatchdog.standaloneMessage(
                NINETY, new Ask(1, 1024, null), List.of(new Offer("w1", 2, 2048))))
        .contains("enough for one, so the executors probably fail as they start");
  }
}
