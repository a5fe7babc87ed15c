package io.batchinfer.udfs;

/**
 * The model fails inside ONNX Runtime on every input a task gave it (or on more runs in a row than
 * {@code errors.max_consecutive_inference_errors} allows), thrown on an executor by the scoring
 * loop's circuit breaker instead of rejecting row after row. A broken model, or one that needs more
 * than the executor has, is not bad data: {@code errors.policy} {@code skip} and {@code
 * dead-letter} do not apply to it. The message names the model path and sha256, ONNX Runtime's
 * reason, and how to reproduce the failure on one row. Spark's task retries then fail the job as
 * for any task failure.
 *
 * <p>It has no cause and no stack trace: the message already holds ONNX Runtime's reason, and the
 * Java frames below {@code OrtSession.run} say nothing about a model, while Spark logs every failed
 * task attempt with its trace on executor and driver.
 */
public final class ModelFailureException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message the whole explanation (what failed, ONNX Runtime's reason, how to reproduce)
   */
  public ModelFailureException(String message) {
    super(message, null, false, false);
  }
}
