package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Executor-side codec that turns up to {@code batch_size} input rows into model input tensors.
 *
 * <p>Rows are appended one at a time into buffers allocated once per partition and reused for every
 * batch; {@link #tensors(int)} wraps what was appended without copying where ONNX Runtime allows
 * it. Not thread-safe: one encoder per partition iterator. The encoder owns its buffers; the caller
 * owns (and must close) the tensors returned, before the next {@link #reset()}.
 */
public interface InputEncoder {
  /**
   * Appends one row. On a problem nothing is appended, so the caller may go on with other rows.
   *
   * @return {@code null} when the row was appended, else what is wrong with it
   */
  RowProblem append(InternalRow row);

  /**
   * Builds the tensors for the {@code rows} rows appended since the last reset.
   *
   * @return model input name to tensor; the caller closes the tensors
   */
  Map<String, OnnxTensor> tensors(int rows) throws OrtException;

  /**
   * Takes back the row appended last (when another encoder rejected that row). Only valid right
   * after a successful {@link #append}.
   */
  void dropLast();

  /** Forgets the appended rows, keeping the buffers. */
  void reset();
}
