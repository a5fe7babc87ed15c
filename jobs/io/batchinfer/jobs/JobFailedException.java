package io.batchinfer.jobs;

/**
 * The job ran but its result is not acceptable (too many rejected rows, rows unaccounted for).
 * {@code main} prints the message without a stack trace and exits with {@link ExitCodes#FAILED}.
 */
final class JobFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  JobFailedException(String message) {
    super(message);
  }

  JobFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
