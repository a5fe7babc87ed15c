package io.batchinfer.jobs;

/** Process exit codes of the batchinfer jobs, documented in README.md. */
public final class ExitCodes {
  private ExitCodes() {}

  /** The job ran and wrote its output. */
  public static final int OK = 0;

  /** The job started but failed while running (a task failed, a bad row, an I/O error). */
  public static final int FAILED = 1;

  /** The command line is wrong (unknown option, missing --config). */
  public static final int USAGE = 2;

  /**
   * The config, input schema, model or output path is wrong; nothing ran and nothing was written.
   */
  public static final int INVALID = 3;
}
