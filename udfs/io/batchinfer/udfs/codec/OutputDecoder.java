package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.model.Shapes;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.util.GenericArrayData;

/**
 * Executor side: turns one output tensor of a batch into Spark internal values, one row at a time.
 * Checks the tensor's shape against the binding, reads it once into a {@link FlatTensor} (rows are
 * slices of it), then writes each row as nested arrays, through {@link ClassScores} (softmax,
 * argmax, labels, top-k) or through {@link VectorPooling} (pooling, normalize). ONNX-ML map and
 * sequence-of-maps outputs go to {@link MapOutputDecoder}. Does not close the tensor (the caller's
 * result owns it). One instance per task; not thread-safe (the map decoder keeps the class order).
 */
public final class OutputDecoder {
  private final OutputBinding binding;
  private final ClassScores classScores;
  private final VectorPooling pooling;
  private final MapOutputDecoder maps;

  /**
   * @param binding the validated output mapping
   */
  public OutputDecoder(OutputBinding binding) {
    this.binding = binding;
    this.classScores = new ClassScores(binding);
    this.pooling = new VectorPooling(binding);
    this.maps = binding.map() == null ? null : new MapOutputDecoder(binding);
  }

  /**
   * @return how many output fields this decoder fills per row
   */
  public int width() {
    return binding.fields().size();
  }

  /**
   * Decodes {@code rows} rows of {@code value} into {@code out[rowIndex[r]][offset ...]}.
   *
   * @param text the text encoder of this batch, whose attention mask mean pooling uses; null
   *     without text inputs
   * @throws OutputShapeException when the tensor's shape contradicts the model's metadata or the
   *     row count (a model bug or a mapping the model does not honour)
   */
  public void decode(
      OnnxValue value, int rows, Object[][] out, int[] rowIndex, int offset, TextEncoder text)
      throws OrtException {
    if (maps != null) {
      maps.decode(value, rows, out, rowIndex, offset);
      return;
    }
    if (!(value instanceof OnnxTensor tensor)) {
      throw new OutputShapeException(
          "model output '" + binding.onnxName() + "' is " + value.getInfo() + ", not a tensor");
    }
    long[] shape = tensor.getInfo().getShape();
    long[] rowShape;
    if (binding.batchAxis()) {
      if (shape.length == 0 || shape[0] != rows) {
        throw new OutputShapeException(
            "model output '"
                + binding.onnxName()
                + "' has shape "
                + Shapes.format(shape)
                + " for a batch of "
                + rows
                + " rows; expected the first dimension to be "
                + rows
                + ". If the model does not batch this output, set model.batching=none.");
      }
      rowShape = Shapes.dropFirst(shape);
    } else {
      rowShape = shape;
    }
    if (rowShape.length != binding.rowShape().length) {
      throw new OutputShapeException(
          "model output '"
              + binding.onnxName()
              + "' has rank "
              + shape.length
              + " at run time ("
              + Shapes.format(shape)
              + ") but its metadata declares "
              + Shapes.format(binding.rowShape()));
    }
    int perRow = Math.toIntExact(Shapes.elementCount(rowShape));
    FlatTensor flat = FlatTensor.read(tensor, binding.type());
    boolean vector = binding.pooling() != Pooling.NONE || binding.normalize();
    for (int r = 0; r < rows; r++) {
      Object[] row = out[rowIndex[r]];
      int start = r * perRow;
      if (vector) {
        row[offset] = pooling.vector(flat, r, perRow, rowShape, text);
      } else if (binding.postProcesses()) {
        Object raw =
            binding.column() != null && !binding.softmax()
                ? nested(flat, start, rowShape, 0)
                : null;
        classScores.write(flat.numbers(start, perRow), raw, row, offset);
      } else if (binding.column() != null) {
        row[offset] = nested(flat, start, rowShape, 0);
      }
    }
  }

  /**
   * Builds the Spark value for the slice starting at {@code start} with shape {@code
   * shape[depth..]}.
   */
  private static Object nested(FlatTensor flat, int start, long[] shape, int depth) {
    if (depth == shape.length) {
      return flat.scalar(start);
    }
    int n = (int) shape[depth];
    if (depth == shape.length - 1) {
      return flat.array(start, n);
    }
    int stride =
        Math.toIntExact(Shapes.elementCount(Arrays.copyOfRange(shape, depth + 1, shape.length)));
    Object[] children = new Object[n];
    for (int i = 0; i < n; i++) {
      children[i] = nested(flat, start + i * stride, shape, depth + 1);
    }
    return new GenericArrayData(children);
  }

  /** A model output that contradicts its metadata or the batch; names the output. */
  public static final class OutputShapeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the output, and what was expected vs found
     */
    public OutputShapeException(String message) {
      super(message);
    }
  }
}
