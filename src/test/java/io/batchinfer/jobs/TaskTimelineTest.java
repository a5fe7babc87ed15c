package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.jobs.TaskTimeline.Kind;
import io.batchinfer.jobs.TaskTimeline.LostExecutor;
import io.batchinfer.jobs.TaskTimeline.Outcome;
import io.batchinfer.jobs.TaskTimeline.Snapshot;
import io.batchinfer.jobs.TaskTimeline.Stage;
import io.batchinfer.jobs.TaskTimeline.Task;
import io.batchinfer.testing.ReportSvg;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The task timeline of {@code report.html} and the stage durations of {@code report.json}, from a
 * real local run whose task attempts a second, independent listener counts, and from hand-built
 * timelines for what a local run cannot show (several executors, killed attempts, a lost executor).
 * The SVG is parsed as XML, not searched as text.
 */
class TaskTimelineTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** Counts task ends per stage, as an independent oracle for the bars. */
  static final class Oracle extends SparkListener {
    final ConcurrentMap<Integer, AtomicInteger> byStage = new ConcurrentHashMap<>();
    final ConcurrentMap<String, AtomicInteger> byExecutor = new ConcurrentHashMap<>();
    final AtomicInteger failed = new AtomicInteger();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      byStage.computeIfAbsent(e.stageId(), k -> new AtomicInteger()).incrementAndGet();
      byExecutor
          .computeIfAbsent(e.taskInfo().executorId(), k -> new AtomicInteger())
          .incrementAndGet();
      if (e.taskInfo().failed()) {
        failed.incrementAndGet();
      }
    }

    int total() {
      return byStage.values().stream().mapToInt(AtomicInteger::get).sum();
    }
  }

  @Test
  void packingStacksOnlyTasksThatRanAtOnce() {
    // Two cores: a and b run together; c starts 3 ms before a's core is free (clock noise between
    // the driver's launch time and the executor's measured run), so it takes a's row; d starts
    // while b and c both still run, so it needs a third row.
    List<Task> tasks =
        List.of(task(1, 0, 1000), task(2, 10, 2000), task(3, 997, 1500), task(4, 1400, 2500));
    int[] row = new int[tasks.size()];
    assertThat(TimelineSvg.pack(tasks, row)).isEqualTo(3);
    assertThat(row).containsExactly(0, 1, 0, 2);
  }

  private static Task task(long id, long launch, long busyUntil) {
    return new Task(
        id,
        0,
        0,
        (int) id,
        0,
        "driver",
        "localhost",
        launch,
        busyUntil + 4,
        busyUntil,
        Outcome.SUCCEEDED,
        false,
        null);
  }

  @Test
  void reportOfARealRunHasOneLaneAndOneBarPerTaskColouredByStage() throws Exception {
    Path input = writeIrisLike(spark, tmp, 600, 3, 7);
    Path out = tmp.resolve("out");
    // input.partitions forces a shuffle: a reading stage (3 tasks), then 5 tasks that score and
    // write.
    Path conf =
        writeConfig(
            tmp,
            irisConfig(input, out)
                .replace(
                    "input: {path: \"" + input + "\"}",
                    "input: {path: \"" + input + "\", partitions: 5}"));
    Oracle oracle = new Oracle();
    spark.sparkContext().addSparkListener(oracle);
    JobTestSupport.Run run;
    try {
      run = cli("--config", conf.toString());
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } finally {
      spark.sparkContext().removeSparkListener(oracle);
    }
    assertThat(run.exitCode()).as(run.err()).isZero();

    JsonNode report = JSON.readTree(out.resolve("_batchinfer/report.json").toFile());
    JsonNode stages = report.path("timeline").path("stages");
    assertThat(stages).isNotEmpty();
    Map<String, Integer> tasksByKind = new TreeMap<>();
    for (JsonNode s : stages) {
      assertThat(s.path("status").asText()).isEqualTo("ok");
      assertThat(s.path("duration_s").asDouble()).isGreaterThanOrEqualTo(0);
      assertThat(s.path("start_s").asDouble()).isGreaterThanOrEqualTo(0);
      tasksByKind.merge(s.path("kind").asText(), s.path("tasks").asInt(), Integer::sum);
    }
    // Under errors.policy fail the model runs inside the write: one stage of 5 tasks does both.
    assertThat(tasksByKind).containsEntry("scoring-writing", 5).doesNotContainKey("scoring");
    // Reading the input before the shuffle, plus planning's own passes (schema, footers): neither
    // scores nor writes.
    assertThat(tasksByKind.get("other"))
        .isGreaterThanOrEqualTo(spark.read().parquet(input.toString()).rdd().getNumPartitions());
    JsonNode kinds = report.path("timeline").path("stage_seconds_by_kind");
    assertThat(kinds.path("scoring-writing").asDouble()).isPositive();

    Document svg = timelineSvg(Files.readString(out.resolve("_batchinfer/report.html")));
    List<Element> lanes = byClass(svg, "g", "lane");
    assertThat(lanes)
        .extracting(e -> e.getAttribute("data-executor"))
        .containsExactlyElementsOf(new TreeMap<>(oracle.byExecutor).keySet())
        .containsExactly("driver");
    List<Element> bars = byClass(svg, "rect", "task");
    assertThat(bars).hasSize(oracle.total());
    assertThat(report.path("timeline").path("tasks_recorded").asInt()).isEqualTo(oracle.total());
    Map<Integer, Integer> barsByStage = new TreeMap<>();
    for (Element bar : bars) {
      barsByStage.merge(Integer.parseInt(bar.getAttribute("data-stage")), 1, Integer::sum);
      assertThat(Double.parseDouble(bar.getAttribute("width"))).isPositive();
      assertThat(bar.getElementsByTagName("title").item(0).getTextContent())
          .contains("partition", "succeeded");
    }
    Map<Integer, Integer> expected = new TreeMap<>();
    oracle.byStage.forEach((stage, n) -> expected.put(stage, n.get()));
    assertThat(barsByStage).isEqualTo(expected);
    assertThat(bars.stream().filter(b -> hasClass(b, "scoring-writing"))).hasSize(5);
    assertThat(bars.stream().filter(b -> hasClass(b, "failed") || hasClass(b, "killed"))).isEmpty();
    // local[2]: at most two tasks at once, so the driver's lane stacks bars in at most two rows.
    assertThat(bars.stream().map(b -> b.getAttribute("y")).distinct().count()).isBetween(1L, 2L);
  }

  @Test
  void failedRunShowsItsFailedAttempt() throws Exception {
    Path input = writeIrisLike(spark, tmp, 100, 2, 3);
    // One NaN makes its task fail under errors.policy fail (local mode does not retry it).
    spark
        .read()
        .parquet(input.toString())
        .selectExpr(
            "id",
            "IF(id = 42, double('NaN'), sepal_length) AS sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "day")
        .coalesce(2)
        .write()
        .parquet(tmp.resolve("bad").toString());
    Path out = tmp.resolve("out");
    Path conf =
        writeConfig(
            tmp, irisConfig(tmp.resolve("bad"), out).replace("mode: error", "mode: overwrite"));
    Oracle oracle = new Oracle();
    spark.sparkContext().addSparkListener(oracle);
    JobTestSupport.Run run;
    try {
      run = cli("--config", conf.toString());
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } finally {
      spark.sparkContext().removeSparkListener(oracle);
    }
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(oracle.failed.get()).isPositive();

    JsonNode report = JSON.readTree(out.resolve("_batchinfer/report.json").toFile());
    assertThat(report.path("status").asText()).isEqualTo("failed");
    Document svg = timelineSvg(Files.readString(out.resolve("_batchinfer/report.html")));
    List<Element> failed = byClass(svg, "rect", "failed");
    assertThat(failed).hasSize(oracle.failed.get());
    assertThat(failed.get(0).getElementsByTagName("title").item(0).getTextContent())
        .contains("failed", "RowRejectedException", "sepal_length");
    assertThat(report.path("timeline").path("stages").findValuesAsText("status"))
        .contains("failed");
  }

  @Test
  void rendersExecutorsKilledAttemptsAndLostExecutors() throws Exception {
    long t0 = 1_000_000L;
    List<Task> tasks = new ArrayList<>();
    // Executor 1: two cores, three tasks (two overlap); executor 2: a failed attempt, then lost;
    // executor 10 sorts after 2; a killed speculative duplicate on executor 1.
    tasks.add(task(1, 1, "1", t0 + 100, t0 + 2_000, Outcome.SUCCEEDED));
    tasks.add(task(2, 1, "1", t0 + 150, t0 + 1_000, Outcome.SUCCEEDED));
    tasks.add(task(3, 1, "1", t0 + 1_100, t0 + 2_500, Outcome.KILLED));
    tasks.add(task(4, 1, "2", t0 + 200, t0 + 3_000, Outcome.FAILED));
    tasks.add(task(5, 2, "10", t0 + 3_100, t0 + 4_000, Outcome.SUCCEEDED));
    List<Stage> stages =
        List.of(
            new Stage(1, 0, "count at X.java:1", 4, t0 + 50, t0 + 3_050, Kind.SCORING, 1, 1, null),
            new Stage(
                2, 0, "parquet at Y.java:2", 1, t0 + 3_050, t0 + 4_000, Kind.WRITING, 0, 0, null));
    Snapshot snapshot =
        new Snapshot(
            t0,
            t0 + 4_000,
            tasks,
            0,
            stages,
            List.of(new LostExecutor("2", t0 + 3_000, "Command exited with code 137")));

    Document svg = parse(TimelineSvg.render(snapshot));
    assertThat(byClass(svg, "g", "lane"))
        .extracting(e -> e.getAttribute("data-executor"))
        .containsExactly("1", "2", "10");
    List<Element> bars = byClass(svg, "rect", "task");
    assertThat(bars).hasSize(5);
    assertThat(byClass(svg, "rect", "killed")).hasSize(1);
    assertThat(byClass(svg, "rect", "failed"))
        .singleElement()
        .satisfies(e -> assertThat(e.getAttribute("data-executor")).isEqualTo("2"));
    assertThat(byClass(svg, "rect", "writing"))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getAttribute("fill")).isEqualTo(TimelineSvg.colour(Kind.WRITING)));
    List<Element> lost = byClass(svg, "g", "executor-lost");
    assertThat(lost)
        .singleElement()
        .satisfies(
            g -> {
              assertThat(((Element) g.getParentNode()).getAttribute("data-executor"))
                  .isEqualTo("2");
              assertThat(g.getElementsByTagName("title").item(0).getTextContent())
                  .contains("code 137");
            });
    // Tasks 1 and 2 overlap on executor 1: two rows; task 3 starts after task 2 ended: row 2 again.
    Element lane1 = byClass(svg, "g", "lane").get(0);
    List<Element> lane1Bars = byClass(lane1, "rect", "task");
    assertThat(lane1Bars.get(0).getAttribute("y")).isNotEqualTo(lane1Bars.get(1).getAttribute("y"));
    assertThat(lane1Bars.get(2).getAttribute("y")).isEqualTo(lane1Bars.get(1).getAttribute("y"));
    // Bars are placed on one time scale: a task twice as long is twice as wide.
    double w1 = Double.parseDouble(bars.get(0).getAttribute("width"));
    double w5 = Double.parseDouble(lane(svg, "10").getAttribute("width"));
    assertThat(w1 / w5).isCloseTo(1_900.0 / 900.0, org.assertj.core.data.Offset.offset(0.02));

    JsonNode json = TaskTimeline.toJson(snapshot);
    assertThat(json.path("stages").get(0).path("duration_s").asDouble()).isEqualTo(3.0);
    assertThat(json.path("stages").get(1).path("kind").asText()).isEqualTo("writing");
    assertThat(json.path("stage_seconds_by_kind").path("scoring").asDouble()).isEqualTo(3.0);
    assertThat(json.path("executors").get(1).path("lost_at_s").asDouble()).isEqualTo(3.0);
    assertThat(json.path("executors").get(0).path("busy_s").asDouble())
        .isCloseTo(1.9 + 0.85 + 1.4, org.assertj.core.data.Offset.offset(1e-9));
  }

  private static Element lane(Document svg, String executor) {
    for (Element g : byClass(svg, "g", "lane")) {
      if (g.getAttribute("data-executor").equals(executor)) {
        return byClass(g, "rect", "task").get(0);
      }
    }
    throw new AssertionError("no lane " + executor);
  }

  private static Task task(
      long id, int stage, String executor, long launch, long finish, Outcome outcome) {
    return new Task(
        id,
        stage,
        0,
        (int) id,
        0,
        executor,
        "host-" + executor,
        launch,
        finish,
        finish,
        outcome,
        outcome == Outcome.KILLED,
        outcome == Outcome.SUCCEEDED ? null : "reason " + id);
  }

  static Document timelineSvg(String html) throws Exception {
    return ReportSvg.timeline(html);
  }

  static Document parse(String xml) throws Exception {
    return ReportSvg.parse(xml);
  }

  static List<Element> byClass(Document doc, String tag, String cls) {
    return ReportSvg.byClass(doc, tag, cls);
  }

  static List<Element> byClass(Element root, String tag, String cls) {
    return ReportSvg.byClass(root, tag, cls);
  }

  static boolean hasClass(Element e, String cls) {
    return ReportSvg.hasClass(e, cls);
  }
}
