package io.batchinfer.jobs;

import io.batchinfer.jobs.TaskTimeline.Kind;
import io.batchinfer.jobs.TaskTimeline.LostExecutor;
import io.batchinfer.jobs.TaskTimeline.Outcome;
import io.batchinfer.jobs.TaskTimeline.Snapshot;
import io.batchinfer.jobs.TaskTimeline.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Driver only: draws a {@link TaskTimeline} as an inline SVG for {@code report.html}, like the
 * event timeline of Spark's UI but kept after the application ends: one lane per executor, one bar
 * per task attempt from launch to finish (concurrent tasks of an executor stacked in rows),
 * coloured by the kind of its stage, failed attempts outlined in red with a cross, killed ones
 * dashed, lost executors marked by a red line at the moment they were removed. Hovering a bar shows
 * its stage, partition, attempt, times and outcome ({@code <title>}). No scripts, no external
 * resources. Elements carry classes ({@code lane}, {@code task}, the kind, {@code failed}/{@code
 * killed}, {@code executor-lost}) and {@code data-executor}/{@code data-stage} attributes, so the
 * picture can be checked as XML. Stateless.
 */
final class TimelineSvg {
  /** Overlaps up to this long (ms) between a task's end and the next launch are clock noise. */
  static final long SAME_MOMENT_MS = 5;

  /** Task bars drawn at most (the earliest launched); the caption counts the others. */
  static final int MAX_DRAWN = 10_000;

  private static final int WIDTH = 1100;
  private static final int LEFT = 170;
  private static final int RIGHT = 20;
  private static final int TOP = 44;
  private static final int LANE_GAP = 4;
  private static final String FAILED = "#d62728";
  private static final String KILLED = "#f58518";

  private TimelineSvg() {}

  /**
   * @return the fill colour of a stage kind
   */
  static String colour(Kind kind) {
    return switch (kind) {
      case OTHER -> "#bab0ac";
      case SCORING -> "#4c78a8";
      case SCORING_WRITING -> "#72b7b2";
      case WRITING -> "#54a24b";
    };
  }

  static String render(Snapshot t) {
    Map<String, List<Task>> lanes = TaskTimeline.lanes(t);
    double span = Math.max(1, t.end() - t.origin());
    double plotW = WIDTH - LEFT - RIGHT;
    StringBuilder body = new StringBuilder();
    int y = TOP;
    int drawn = 0;
    for (Map.Entry<String, List<Task>> lane : lanes.entrySet()) {
      List<Task> tasks = lane.getValue();
      int[] row = new int[tasks.size()];
      int rows = pack(tasks, row);
      double rowH = rows <= 4 ? 14 : rows <= 16 ? 9 : Math.max(2, 144.0 / rows);
      int laneH = (int) Math.ceil(Math.max(1, rows) * rowH) + 6;
      String id = lane.getKey();
      String host = tasks.isEmpty() ? "" : tasks.get(0).host();
      body.append("<g class=\"lane\" data-executor=\"").append(ReportWriter.esc(id)).append("\">");
      body.append("<rect class=\"lane-bg\" x=\"")
          .append(LEFT)
          .append("\" y=\"")
          .append(y)
          .append("\" width=\"")
          .append(fmt(plotW))
          .append("\" height=\"")
          .append(laneH)
          .append("\" fill=\"#f6f8fa\"/>");
      body.append("<text class=\"lane-label\" x=\"")
          .append(LEFT - 6)
          .append("\" y=\"")
          .append(fmt(y + laneH / 2.0 + 4))
          .append("\" font-size=\"11\" text-anchor=\"end\">")
          .append(ReportWriter.esc(label(id, host, tasks.size())))
          .append("</text>");
      for (int i = 0; i < tasks.size(); i++) {
        if (drawn >= MAX_DRAWN) {
          break;
        }
        drawn++;
        Task task = tasks.get(i);
        bar(
            body,
            t,
            task,
            x(task.launch(), t, span, plotW),
            x(task.finish(), t, span, plotW),
            y + 3 + row[i] * rowH,
            Math.max(1, rowH - 2));
      }
      for (LostExecutor l : t.lost()) {
        if (l.id().equals(id)) {
          double lx = x(l.time(), t, span, plotW);
          body.append("<g class=\"executor-lost\"><title>")
              .append(
                  ReportWriter.esc(
                      "executor "
                          + id
                          + " lost at "
                          + seconds(l.time() - t.origin())
                          + " s: "
                          + l.reason()))
              .append("</title><line x1=\"")
              .append(fmt(lx))
              .append("\" y1=\"")
              .append(y - 2)
              .append("\" x2=\"")
              .append(fmt(lx))
              .append("\" y2=\"")
              .append(y + laneH + 2)
              .append("\" stroke=\"")
              .append(FAILED)
              .append("\" stroke-width=\"2\"/><text x=\"")
              .append(fmt(lx + 14))
              .append("\" y=\"")
              .append(fmt(y + laneH / 2.0 + 4))
              .append("\" font-size=\"11\" fill=\"")
              .append(FAILED)
              .append("\">lost</text></g>");
        }
      }
      body.append("</g>");
      y += laneH + LANE_GAP;
    }
    int plotBottom = Math.max(y, TOP + 20);
    int height = plotBottom + 40;

    StringBuilder s = new StringBuilder(body.length() + 4096);
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"task-timeline\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(height)
        .append(
            "\" role=\"img\" aria-label=\"task timeline: one lane per executor, one bar per task attempt\">");
    legend(s);
    axis(s, span, plotW, plotBottom);
    if (lanes.isEmpty()) {
      s.append("<text x=\"")
          .append(LEFT)
          .append("\" y=\"")
          .append(TOP + 14)
          .append("\">no tasks ran</text>");
    }
    s.append(body);
    int total = t.tasks().size() + t.dropped();
    String caption =
        "seconds since the run started; "
            + total
            + (total == 1 ? " task attempt" : " task attempts")
            + " on "
            + lanes.size()
            + (lanes.size() == 1 ? " executor" : " executors")
            + (drawn < total ? " (" + drawn + " drawn: the earliest launched)" : "");
    s.append("<text x=\"")
        .append(fmt(LEFT + plotW / 2))
        .append("\" y=\"")
        .append(height - 8)
        .append("\" font-size=\"12\" text-anchor=\"middle\">")
        .append(ReportWriter.esc(caption))
        .append("</text>");
    return s.append("</svg>").toString();
  }

  /**
   * Assigns each task (sorted by launch) the first row whose last task's executor core was free
   * ({@link Task#busyUntil}) at its launch, so a lane has about as many rows as the executor ran
   * tasks at once. Times are the driver's and the executor's milliseconds, so a core counts as free
   * when it was busy until at most {@link #SAME_MOMENT_MS} after the launch (a gap that small is
   * clock granularity, not a task running beside another).
   *
   * @return the number of rows
   */
  static int pack(List<Task> tasks, int[] row) {
    List<Long> ends = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      Task task = tasks.get(i);
      int r = 0;
      while (r < ends.size() && ends.get(r) > task.launch() + SAME_MOMENT_MS) {
        r++;
      }
      if (r == ends.size()) {
        ends.add(task.busyUntil());
      } else {
        ends.set(r, task.busyUntil());
      }
      row[i] = r;
    }
    return ends.size();
  }

  private static void bar(
      StringBuilder s, Snapshot t, Task task, double x1, double x2, double y, double h) {
    Kind kind = t.kindOf(task);
    String outcome =
        task.outcome() == Outcome.SUCCEEDED
            ? ""
            : " " + task.outcome().name().toLowerCase(Locale.ROOT);
    double w = Math.max(1, x2 - x1);
    if (w >= 3) {
      // A hairline gap, so back-to-back tasks on one core read as separate bars.
      x1 += 0.5;
      w -= 1;
    }
    s.append("<rect class=\"task ")
        .append(kind.id)
        .append(outcome)
        .append("\" data-executor=\"")
        .append(ReportWriter.esc(task.executorId()))
        .append("\" data-stage=\"")
        .append(task.stageId())
        .append("\" x=\"")
        .append(fmt(x1))
        .append("\" y=\"")
        .append(fmt(y))
        .append("\" width=\"")
        .append(fmt(w))
        .append("\" height=\"")
        .append(fmt(h))
        .append("\" fill=\"")
        .append(colour(kind))
        .append('"');
    if (task.outcome() == Outcome.FAILED) {
      s.append(" stroke=\"").append(FAILED).append("\" stroke-width=\"1.5\"");
    } else if (task.outcome() == Outcome.KILLED) {
      s.append(" stroke=\"")
          .append(KILLED)
          .append("\" stroke-width=\"1.5\" stroke-dasharray=\"3,2\"");
    }
    s.append("><title>")
        .append(
            ReportWriter.esc(
                String.format(
                    Locale.ROOT,
                    "stage %d.%d (%s) partition %d attempt %d on executor %s%s: %s to %s s (%s s), %s%s",
                    task.stageId(),
                    task.stageAttempt(),
                    kind.label,
                    task.partition(),
                    task.attempt(),
                    task.executorId(),
                    task.speculative() ? ", speculative" : "",
                    seconds(task.launch() - t.origin()),
                    seconds(task.finish() - t.origin()),
                    seconds(task.finish() - task.launch()),
                    task.outcome().name().toLowerCase(Locale.ROOT),
                    task.reason() == null ? "" : ": " + task.reason())))
        .append("</title></rect>");
    if (task.outcome() != Outcome.SUCCEEDED) {
      s.append("<text class=\"mark\" x=\"")
          .append(fmt(x1 + w + 1))
          .append("\" y=\"")
          .append(fmt(y + h))
          .append("\" font-size=\"")
          .append(fmt(Math.max(8, h + 2)))
          .append("\" fill=\"")
          .append(task.outcome() == Outcome.FAILED ? FAILED : KILLED)
          .append("\">\u2715</text>");
    }
  }

  private static void legend(StringBuilder s) {
    int x = LEFT;
    for (Kind k : Kind.values()) {
      s.append("<rect x=\"")
          .append(x)
          .append("\" y=\"8\" width=\"12\" height=\"10\" fill=\"")
          .append(colour(k))
          .append("\"/><text x=\"")
          .append(x + 16)
          .append("\" y=\"17\" font-size=\"11\">")
          .append(ReportWriter.esc(k.label))
          .append("</text>");
      x += 26 + (int) (k.label.length() * 6.2);
    }
    s.append("<rect x=\"")
        .append(x)
        .append("\" y=\"8\" width=\"12\" height=\"10\" fill=\"#fff\" stroke=\"")
        .append(FAILED)
        .append("\" stroke-width=\"1.5\"/><text x=\"")
        .append(x + 16)
        .append("\" y=\"17\" font-size=\"11\">failed")
        .append("</text>");
    x += 62;
    s.append("<rect x=\"")
        .append(x)
        .append("\" y=\"8\" width=\"12\" height=\"10\" fill=\"#fff\" stroke=\"")
        .append(KILLED)
        .append("\" stroke-width=\"1.5\" stroke-dasharray=\"3,2\"/><text x=\"")
        .append(x + 16)
        .append("\" y=\"17\" font-size=\"11\">killed</text>");
    x += 62;
    s.append("<line x1=\"")
        .append(x + 6)
        .append("\" y1=\"6\" x2=\"")
        .append(x + 6)
        .append("\" y2=\"20\" stroke=\"")
        .append(FAILED)
        .append("\" stroke-width=\"2\"/><text x=\"")
        .append(x + 12)
        .append("\" y=\"17\" font-size=\"11\">executor lost</text>");
  }

  private static void axis(StringBuilder s, double spanMillis, double plotW, int bottom) {
    double spanS = spanMillis / 1000.0;
    double step = niceStep(spanS / 8);
    for (int i = 0; i * step <= spanS + 1e-9; i++) {
      double v = i * step;
      double x = LEFT + plotW * v / spanS;
      s.append("<line x1=\"")
          .append(fmt(x))
          .append("\" y1=\"")
          .append(TOP - 6)
          .append("\" x2=\"")
          .append(fmt(x))
          .append("\" y2=\"")
          .append(bottom)
          .append("\" stroke=\"#ddd\"/>");
      s.append("<text x=\"")
          .append(fmt(x))
          .append("\" y=\"")
          .append(TOP - 9)
          .append("\" font-size=\"10\" text-anchor=\"middle\">")
          .append(tick(v, step))
          .append("</text>");
      s.append("<text x=\"")
          .append(fmt(x))
          .append("\" y=\"")
          .append(bottom + 12)
          .append("\" font-size=\"10\" text-anchor=\"middle\">")
          .append(tick(v, step))
          .append("</text>");
    }
  }

  /**
   * @return 1, 2 or 5 times a power of ten, at least {@code raw}
   */
  static double niceStep(double raw) {
    if (raw <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String tick(double v, double step) {
    return step >= 1
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  private static double x(long time, Snapshot t, double span, double plotW) {
    return LEFT + plotW * Math.max(0, Math.min(span, time - t.origin())) / span;
  }

  private static String label(String id, String host, int tasks) {
    String name = "driver".equals(id) ? "driver" : "executor " + id;
    String h = host == null || host.isEmpty() ? "" : " @ " + host;
    String text = name + h;
    if (text.length() > 24) {
      text = text.substring(0, 23) + "\u2026";
    }
    return text + " (" + tasks + ")";
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.2f", millis / 1000.0);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
