package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.scheduler.TaskInfo;
import scala.collection.Iterator;

/**
 * Driver only: where a run's time went, from the Spark listener events the job already receives:
 * every task attempt (executor, launch and finish time, outcome), every stage (submission and
 * completion) and every executor lost while it is registered. {@link #snapshot()} gives the report
 * its stage durations ({@code report.json}) and {@link TimelineSvg} its picture.
 *
 * <p>A stage's kind says what its tasks did: ran the model (their updates carry the engine's {@code
 * batchinfer.rows_in} accumulator), wrote output (output metrics), both (one stage under {@code
 * errors.policy: fail}, where scoring streams into the writer), or neither (counting, listing,
 * reading footers: the passes before scoring, and the final count of a cached pass).
 *
 * <p>Keeps at most {@link #MAX_TASKS} task records (the rest are counted), so a huge run's driver
 * memory stays bounded. Called on the listener bus thread, read by the job's thread: thread-safe.
 */
final class TaskTimeline extends SparkListener {
  /** Task attempts recorded one by one; later ones are only counted. */
  static final int MAX_TASKS = 50_000;

  private static final String ROWS_IN = "batchinfer.rows_in";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a stage's tasks did. */
  enum Kind {
    OTHER("other", "other passes (counts, listing, footers)"),
    SCORING("scoring", "scoring"),
    SCORING_WRITING("scoring-writing", "scoring and writing (one stage)"),
    WRITING("writing", "writing");

    final String id;
    final String label;

    Kind(String id, String label) {
      this.id = id;
      this.label = label;
    }

    static Kind of(boolean scored, boolean wrote) {
      return scored ? (wrote ? SCORING_WRITING : SCORING) : (wrote ? WRITING : OTHER);
    }
  }

  /** How a task attempt ended. */
  enum Outcome {
    SUCCEEDED,
    FAILED,
    KILLED
  }

  /**
   * One task attempt; times in epoch milliseconds.
   *
   * @param launch when the driver launched it
   * @param finish when the driver learned it ended
   * @param busyUntil when its executor core was free again: launch plus the time the executor
   *     measured (deserializing, running, serializing the result), at most {@code finish}. The
   *     driver marks a task finished after it already launched the next one on the freed core, so
   *     {@code finish} overlaps the next task by a few milliseconds; {@code busyUntil} does not
   * @param reason why it failed or was killed, else null
   */
  record Task(
      long taskId,
      int stageId,
      int stageAttempt,
      int partition,
      int attempt,
      String executorId,
      String host,
      long launch,
      long finish,
      long busyUntil,
      Outcome outcome,
      boolean speculative,
      String reason) {}

  /**
   * One stage attempt; times in epoch milliseconds, {@code completed} -1 while running.
   *
   * @param failure why the stage failed, else null
   */
  record Stage(
      int id,
      int attempt,
      String name,
      int tasks,
      long submitted,
      long completed,
      Kind kind,
      int failedTasks,
      int killedTasks,
      String failure) {
    double seconds(long now) {
      return ((completed < 0 ? now : completed) - submitted) / 1000.0;
    }
  }

  /** An executor lost while the run was watched. */
  record LostExecutor(String id, long time, String reason) {}

  /**
   * Everything recorded, frozen.
   *
   * @param origin when recording began (epoch ms): time 0 of the picture
   * @param end the latest time seen (epoch ms)
   * @param tasks recorded task attempts, by launch time
   * @param dropped task attempts not recorded (over {@link #MAX_TASKS})
   */
  record Snapshot(
      long origin,
      long end,
      List<Task> tasks,
      int dropped,
      List<Stage> stages,
      List<LostExecutor> lost) {
    /**
     * @return the kind of {@code task}'s stage
     */
    Kind kindOf(Task task) {
      for (Stage s : stages) {
        if (s.id() == task.stageId() && s.attempt() == task.stageAttempt()) {
          return s.kind();
        }
      }
      return Kind.OTHER;
    }
  }

  private static final class StageState {
    final int id;
    final int attempt;
    String name;
    int tasks;
    long submitted;
    long completed = -1;
    boolean scored;
    boolean wrote;
    int failed;
    int killed;
    String failure;

    StageState(int id, int attempt) {
      this.id = id;
      this.attempt = attempt;
    }
  }

  private final long origin;
  private final List<Task> tasks = new ArrayList<>();
  private final Map<String, StageState> stages = new LinkedHashMap<>();
  private final List<LostExecutor> lost = new ArrayList<>();
  private int dropped;
  private long end;

  TaskTimeline() {
    this(System.currentTimeMillis());
  }

  /**
   * @param origin time 0 of the picture, epoch milliseconds
   */
  TaskTimeline(long origin) {
    this.origin = origin;
    this.end = origin;
  }

  @Override
  public synchronized void onStageSubmitted(SparkListenerStageSubmitted event) {
    StageInfo info = event.stageInfo();
    StageState s = stage(info.stageId(), info.attemptNumber());
    s.name = info.name();
    s.tasks = info.numTasks();
    s.submitted =
        info.submissionTime().isDefined()
            ? (Long) info.submissionTime().get()
            : System.currentTimeMillis();
    seen(s.submitted);
  }

  @Override
  public synchronized void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo info = event.stageInfo();
    StageState s = stage(info.stageId(), info.attemptNumber());
    if (s.name == null) {
      s.name = info.name();
      s.tasks = info.numTasks();
      s.submitted = info.submissionTime().isDefined() ? (Long) info.submissionTime().get() : origin;
    }
    s.completed =
        info.completionTime().isDefined()
            ? (Long) info.completionTime().get()
            : System.currentTimeMillis();
    s.failure = info.failureReason().isDefined() ? info.failureReason().get() : null;
    seen(s.completed);
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd event) {
    TaskInfo info = event.taskInfo();
    StageState s = stage(event.stageId(), event.stageAttemptId());
    s.scored |= ranModel(info);
    TaskMetrics metrics = event.taskMetrics();
    s.wrote |=
        metrics != null
            && (metrics.outputMetrics().recordsWritten() > 0
                || metrics.outputMetrics().bytesWritten() > 0);
    Outcome outcome =
        info.successful() ? Outcome.SUCCEEDED : info.killed() ? Outcome.KILLED : Outcome.FAILED;
    if (outcome == Outcome.FAILED) {
      s.failed++;
    } else if (outcome == Outcome.KILLED) {
      s.killed++;
    }
    long finish = info.finishTime() > 0 ? info.finishTime() : System.currentTimeMillis();
    seen(finish);
    if (tasks.size() >= MAX_TASKS) {
      dropped++;
      return;
    }
    String reason =
        outcome == Outcome.SUCCEEDED
            ? null
            : firstLine(
                event.reason() instanceof TaskFailedReason r
                    ? r.toErrorString()
                    : event.reason().toString());
    long busyUntil = finish;
    if (metrics != null && metrics.executorRunTime() > 0) {
      busyUntil =
          Math.min(
              finish,
              info.launchTime()
                  + metrics.executorDeserializeTime()
                  + metrics.executorRunTime()
                  + metrics.resultSerializationTime());
    }
    tasks.add(
        new Task(
            info.taskId(),
            event.stageId(),
            event.stageAttemptId(),
            info.partitionId(),
            info.attemptNumber(),
            info.executorId(),
            info.host(),
            info.launchTime(),
            finish,
            busyUntil,
            outcome,
            info.speculative(),
            reason));
  }

  @Override
  public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved event) {
    lost.add(new LostExecutor(event.executorId(), event.time(), event.reason()));
    seen(event.time());
  }

  /**
   * @return what was recorded so far; stages still running end "now"
   */
  synchronized Snapshot snapshot() {
    long now = Math.max(end, System.currentTimeMillis());
    List<Stage> list = new ArrayList<>();
    for (StageState s : stages.values()) {
      list.add(
          new Stage(
              s.id,
              s.attempt,
              s.name == null ? "stage " + s.id : s.name,
              s.tasks,
              s.submitted > 0 ? s.submitted : origin,
              s.completed,
              Kind.of(s.scored, s.wrote),
              s.failed,
              s.killed,
              s.failure));
    }
    list.sort(
        Comparator.comparingLong(Stage::submitted)
            .thenComparingInt(Stage::id)
            .thenComparingInt(Stage::attempt));
    List<Task> sorted = new ArrayList<>(tasks);
    sorted.sort(Comparator.comparingLong(Task::launch).thenComparingLong(Task::taskId));
    return new Snapshot(
        origin, now, List.copyOf(sorted), dropped, List.copyOf(list), List.copyOf(lost));
  }

  /**
   * @return the report's {@code timeline} object: stage durations (seconds from the run's start),
   *     seconds per stage kind, and per executor its tasks, busy time and loss
   */
  static ObjectNode toJson(Snapshot t) {
    ObjectNode root = JSON.createObjectNode();
    root.put("tasks_recorded", t.tasks().size());
    root.put("tasks_not_recorded", t.dropped());
    ArrayNode stageList = root.putArray("stages");
    Map<Kind, Double> byKind = new EnumMap<>(Kind.class);
    for (Stage s : t.stages()) {
      double seconds = s.seconds(t.end());
      byKind.merge(s.kind(), seconds, Double::sum);
      ObjectNode n = stageList.addObject();
      n.put("stage", s.id())
          .put("attempt", s.attempt())
          .put("name", s.name())
          .put("kind", s.kind().id)
          .put("start_s", RunReport.round((s.submitted() - t.origin()) / 1000.0))
          .put("duration_s", RunReport.round(seconds))
          .put("tasks", s.tasks())
          .put("tasks_failed", s.failedTasks())
          .put("tasks_killed", s.killedTasks())
          .put("status", s.completed() < 0 ? "running" : s.failure() == null ? "ok" : "failed");
      if (s.failure() != null) {
        n.put("failure", firstLine(s.failure()));
      }
    }
    ObjectNode kinds = root.putObject("stage_seconds_by_kind");
    for (Kind k : Kind.values()) {
      kinds.put(k.id, RunReport.round(byKind.getOrDefault(k, 0.0)));
    }
    ArrayNode executors = root.putArray("executors");
    Map<String, List<Task>> lanes = lanes(t);
    Map<String, LostExecutor> lostById = new HashMap<>();
    t.lost().forEach(l -> lostById.putIfAbsent(l.id(), l));
    lanes.forEach(
        (id, ts) -> {
          ObjectNode e = executors.addObject().put("id", id);
          e.put("host", ts.isEmpty() ? null : ts.get(0).host());
          e.put("tasks", ts.size());
          e.put("tasks_failed", ts.stream().filter(x -> x.outcome() == Outcome.FAILED).count());
          e.put("tasks_killed", ts.stream().filter(x -> x.outcome() == Outcome.KILLED).count());
          e.put(
              "busy_s",
              RunReport.round(ts.stream().mapToLong(x -> x.finish() - x.launch()).sum() / 1000.0));
          LostExecutor l = lostById.get(id);
          if (l != null) {
            e.put("lost_at_s", RunReport.round((l.time() - t.origin()) / 1000.0))
                .put("lost_reason", l.reason());
          }
        });
    return root;
  }

  /**
   * @return one entry per executor that ran a recorded task or was lost, in order ({@code driver}
   *     first, then by number), each with its tasks by launch time
   */
  static Map<String, List<Task>> lanes(Snapshot t) {
    Map<String, List<Task>> lanes = new java.util.TreeMap<>(TaskTimeline::compareExecutors);
    for (Task task : t.tasks()) {
      lanes.computeIfAbsent(task.executorId(), k -> new ArrayList<>()).add(task);
    }
    for (LostExecutor l : t.lost()) {
      lanes.computeIfAbsent(l.id(), k -> new ArrayList<>());
    }
    return lanes;
  }

  static int compareExecutors(String a, String b) {
    boolean da = "driver".equals(a), db = "driver".equals(b);
    if (da || db) {
      return da == db ? 0 : da ? -1 : 1;
    }
    boolean na = a.chars().allMatch(Character::isDigit) && !a.isEmpty();
    boolean nb = b.chars().allMatch(Character::isDigit) && !b.isEmpty();
    if (na && nb) {
      int c = Integer.compare(a.length(), b.length());
      return c != 0 ? c : a.compareTo(b);
    }
    return na != nb ? (na ? -1 : 1) : a.compareTo(b);
  }

  private StageState stage(int id, int attempt) {
    return stages.computeIfAbsent(id + "." + attempt, k -> new StageState(id, attempt));
  }

  private void seen(long time) {
    end = Math.max(end, time);
  }

  private static boolean ranModel(TaskInfo info) {
    Iterator<AccumulableInfo> it = info.accumulables().iterator();
    while (it.hasNext()) {
      AccumulableInfo a = it.next();
      if (a.name().isDefined() && ROWS_IN.equals(a.name().get())) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return the first line of a failure, and its innermost {@code Caused by:} line (the root cause)
   */
  static String firstLine(String s) {
    if (s == null) {
      return null;
    }
    String[] lines = s.split("\n");
    String line = lines[0];
    for (int i = lines.length - 1; i > 0; i--) {
      if (lines[i].startsWith("Caused by: ")) {
        line += " ... " + lines[i];
        break;
      }
    }
    return line.length() > 400 ? line.substring(0, 400) + "..." : line;
  }
}
