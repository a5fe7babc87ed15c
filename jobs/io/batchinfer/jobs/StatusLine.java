package io.batchinfer.jobs;

import java.io.PrintStream;

/**
 * Driver only: the one line at the bottom of a terminal that the progress reporter rewrites in
 * place ({@code \r}), shared with everything else that writes to stderr. Whoever writes a whole
 * line to stderr while progress is shown (a log line, a warning) goes through {@link #aside}: the
 * progress line is cleared first and redrawn after, so the two never share a line. When stderr is
 * not a terminal, progress lines are plain lines and nothing needs clearing. Thread-safe: one lock
 * orders progress updates and log lines.
 */
final class StatusLine {
  private final PrintStream err;
  private final boolean terminal;

  /** The progress text on screen (terminal only), or null. */
  private String shown;

  private int width;

  /**
   * @param err stderr
   * @param terminal {@code err} is a terminal: rewrite the line in place
   */
  StatusLine(PrintStream err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  boolean terminal() {
    return terminal;
  }

  /** Shows {@code text} as the progress line: in place on a terminal, else as a line of its own. */
  synchronized void show(String text) {
    if (!terminal) {
      err.println(text);
      return;
    }
    int pad = Math.max(0, width - text.length());
    err.print("\r" + text + " ".repeat(pad));
    err.flush();
    shown = text;
    width = text.length();
  }

  /**
   * Ends the progress line (keeps it on screen, moves to the next line); later lines start below
   * it.
   */
  synchronized void end() {
    if (terminal && shown != null) {
      err.println();
    }
    shown = null;
    width = 0;
  }

  /** Prints a whole line on stderr without sharing a line with the progress line. */
  void println(String line) {
    aside(() -> err.println(line));
  }

  /**
   * Runs {@code write}, which prints whole lines to the same terminal (through {@code err} or
   * another stream on the same file descriptor, flushed before it returns), with the progress line
   * cleared before and redrawn after.
   */
  synchronized void aside(Runnable write) {
    if (!terminal || shown == null) {
      write.run();
      return;
    }
    err.print("\r" + " ".repeat(width) + "\r");
    err.flush();
    try {
      write.run();
    } finally {
      err.print(shown);
      err.flush();
    }
  }
}
