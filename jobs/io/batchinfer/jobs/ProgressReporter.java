package io.batchinfer.jobs;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.collection.Iterator;

/**
 * Driver only: a console progress line on stderr, driven by Spark's listener bus. Each finished
 * task adds its update of the engine's {@code batchinfer.rows_in} accumulator (named, so task
 * events carry it) and counts against the tasks of the stages submitted so far. Prints at most once
 * per interval: in place ({@code \r}) on a terminal, else one line each time.
 *
 * <pre>
 * batchinfer: chunk 2/5 | 120,000 of 400,000 rows (30%) | 41,210 rows/s | tasks 12/40 | ETA 0:07
 * </pre>
 *
 * The ETA extrapolates the rows when the total is known, else the tasks. Thread-safe.
 */
final class ProgressReporter extends SparkListener {
  private static final String ROWS_IN = "batchinfer.rows_in";

  private final StatusLine console;
  private final long intervalNanos;
  private final long start = System.nanoTime();
  private final AtomicLong rows = new AtomicLong();
  private final AtomicLong tasksDone = new AtomicLong();
  private final AtomicLong tasksTotal = new AtomicLong();
  private volatile long totalRows = -1;
  private volatile String phase = "";
  private long lastPrint;
  private String lastState = "";

  /**
   * @param console the stderr line it rewrites (in place on a terminal; log lines keep off it)
   * @param intervalMillis least time between two lines
   */
  ProgressReporter(StatusLine console, long intervalMillis) {
    this.console = console;
    this.intervalNanos = intervalMillis * 1_000_000L;
    this.lastPrint = start;
  }

  /** Sets the input's row count, when known. */
  void totalRows(long total) {
    this.totalRows = total;
  }

  /** Sets a prefix such as {@code chunk 2/5}. */
  void phase(String text) {
    this.phase = text == null ? "" : text;
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted stage) {
    tasksTotal.addAndGet(stage.stageInfo().numTasks());
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (!taskEnd.taskInfo().successful()) {
      return;
    }
    tasksDone.incrementAndGet();
    Iterator<AccumulableInfo> it = taskEnd.taskInfo().accumulables().iterator();
    while (it.hasNext()) {
      AccumulableInfo a = it.next();
      if (a.name().isDefined()
          && ROWS_IN.equals(a.name().get())
          && a.update().isDefined()
          && a.update().get() instanceof Long n) {
        rows.addAndGet(n);
      }
    }
    maybePrint();
  }

  private synchronized void maybePrint() {
    long now = System.nanoTime();
    if (now - lastPrint < intervalNanos) {
      return;
    }
    lastPrint = now;
    print(line(now));
  }

  /** Prints the final state (unless that was the last line printed) and ends the line. */
  synchronized void finish() {
    if (!state().equals(lastState)) {
      print(line(System.nanoTime()));
    }
    console.end();
  }

  String line(long now) {
    double elapsed = Math.max(1e-9, (now - start) / 1e9);
    long done = rows.get();
    long total = totalRows;
    long tDone = tasksDone.get();
    long tTotal = Math.max(tDone, tasksTotal.get());
    StringBuilder sb = new StringBuilder("batchinfer: ");
    if (!phase.isEmpty()) {
      sb.append(phase).append(" | ");
    }
    sb.append(String.format(Locale.ROOT, "%,d", done));
    if (total >= 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              " of %,d rows (%d%%)",
              total,
              total == 0 ? 100 : Math.min(100, done * 100 / total)));
    } else {
      sb.append(" rows");
    }
    sb.append(
        String.format(Locale.ROOT, " | %,.0f rows/s | tasks %d/%d", done / elapsed, tDone, tTotal));
    double fraction = total > 0 ? (double) done / total : tTotal > 0 ? (double) tDone / tTotal : 0;
    if (fraction > 0 && fraction < 1) {
      long eta = Math.round(elapsed / fraction - elapsed);
      sb.append(String.format(Locale.ROOT, " | ETA %d:%02d", eta / 60, eta % 60));
    }
    return sb.toString();
  }

  /**
   * @return what a line shows apart from the clock: rows, tasks and phase
   */
  private String state() {
    return phase + "|" + rows.get() + "|" + tasksDone.get() + "|" + tasksTotal.get();
  }

  private void print(String line) {
    lastState = state();
    console.show(line);
  }
}
