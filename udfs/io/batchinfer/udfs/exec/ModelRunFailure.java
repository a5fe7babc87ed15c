package io.batchinfer.udfs.exec;

import ai.onnxruntime.OrtException;

/**
 * ONNX Runtime's own failure in {@code OrtSession.run} on one batch: the only failure {@link
 * PartitionScorer} may retry row by row and turn into {@code inference_error} rejections under the
 * skip and dead-letter policies. Checked, so that nothing else can reach the retry by accident: a
 * failure in our own encoding or decoding code is a bug and fails the task under every policy.
 */
final class ModelRunFailure extends Exception {
  private static final long serialVersionUID = 1L;

  /** Rows in the call that failed. */
  final int rows;

  ModelRunFailure(String context, int rows, OrtException cause) {
    super(context + ": " + cause.getMessage(), cause);
    this.rows = rows;
  }

  /**
   * @return ONNX Runtime's exception
   */
  OrtException ort() {
    return (OrtException) getCause();
  }

  /**
   * @return ONNX Runtime's message, without our context or the binding's error-code prefix (for a
   *     rejected row's message)
   */
  String ortMessage() {
    return InferenceBreaker.ortReason(ort());
  }
}
