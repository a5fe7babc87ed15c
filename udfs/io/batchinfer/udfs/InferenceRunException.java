package io.batchinfer.udfs;

/**
 * ONNX Runtime failed on a batch or an output contradicted the model's metadata, thrown on an
 * executor. The message adds context to the cause: model and sha256 prefix, partition and the
 * batch's row range.
 */
public final class InferenceRunException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InferenceRunException(String message, Throwable cause) {
    super(message, cause);
  }
}
