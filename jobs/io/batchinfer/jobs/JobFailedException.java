package io.batchinfer.jobs;

import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.ModelFailureException;
import io.batchinfer.udfs.RowRejectedException;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.session.SessionCache.SessionCreationException;

/**
 * The job ran but its result is not acceptable (too many rejected rows, rows unaccounted for).
 * {@code main} prints the message without a stack trace and exits with {@link ExitCodes#FAILED}.
 * {@link #reasonOf} gives any failure the short reason the summary line, {@code --summary-json} and
 * the run report print.
 */
final class JobFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Every input row was rejected (and {@code errors.max_rejected_fraction} is not 1). */
  static final String EMPTY_RUN = "empty_run";

  /** More rows were rejected than {@code errors.max_rejected_fraction} allows. */
  static final String TOO_MANY_REJECTED = "too_many_rejected";

  private final String reason;

  JobFailedException(String message) {
    this(message, (Throwable) null);
  }

  JobFailedException(String message, Throwable cause) {
    super(message, cause);
    this.reason = "error";
  }

  JobFailedException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /**
   * @return why a run failed, in one word: {@code broken_model} (the circuit breaker: the model
   *     fails on every input), {@code empty_run}, {@code too_many_rejected}, {@code rejected_row}
   *     (a bad row under {@code errors.policy: fail}), {@code inference_error}, {@code
   *     session_error}, {@code invalid}, or {@code error}
   */
  static String reasonOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof JobFailedException f && !"error".equals(f.reason)) {
        return f.reason;
      } else if (t instanceof ModelFailureException) {
        return "broken_model";
      } else if (t instanceof RowRejectedException) {
        return "rejected_row";
      } else if (t instanceof InferenceRunException) {
        return "inference_error";
      } else if (t instanceof SessionCreationException) {
        return "session_error";
      } else if (t instanceof ValidationException) {
        return "invalid";
      }
    }
    return "error";
  }
}
