package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.image.ImageDecodeException;
import io.batchinfer.udfs.image.ImagePreprocessing;
import io.batchinfer.udfs.image.Pixels;
import io.batchinfer.udfs.model.Shapes;
import io.batchinfer.udfs.session.OrtRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Executor side: decodes and preprocesses the encoded image in one binary column per row ({@link
 * ImagePreprocessing}) into a direct, native-order buffer allocated once per partition for {@code
 * batch_size} rows. A value that does not decode is a {@code decode_error} row problem naming the
 * column, so the row is rejected under the error policy and the batch goes on. Not thread-safe: one
 * encoder per partition iterator; it owns its buffer, the caller closes the tensors.
 */
final class ImageEncoder implements InputEncoder {
  private final InputBinding binding;
  private final ImagePreprocessing image;
  private final int ordinal;
  private final String column;
  private final ByteBuffer buffer;
  private int rows;

  ImageEncoder(InputBinding binding, int batchSize) {
    this.binding = binding;
    this.image = binding.image();
    this.ordinal = binding.ordinals()[0];
    this.column = binding.columns()[0];
    this.buffer =
        ByteBuffer.allocateDirect(Math.multiplyExact(batchSize, image.rowBytes()))
            .order(ByteOrder.nativeOrder());
  }

  @Override
  public RowProblem append(InternalRow row) {
    if (row.isNullAt(ordinal)) {
      return new RowProblem(RowProblem.NULL_VALUE, column, "null image");
    }
    Pixels pixels;
    try {
      pixels = image.apply(row.getBinary(ordinal));
    } catch (ImageDecodeException e) {
      return new RowProblem(RowProblem.DECODE_ERROR, column, e.getMessage());
    }
    buffer.position(rows * image.rowBytes());
    image.write(pixels, buffer);
    rows++;
    return null;
  }

  @Override
  public Map<String, OnnxTensor> tensors(int rowCount) throws OrtException {
    ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
    view.position(0).limit(rowCount * image.rowBytes());
    long[] shape =
        binding.batchAxis() ? Shapes.prepend(rowCount, image.rowShape()) : image.rowShape();
    return Map.of(
        binding.onnxName(),
        OnnxTensor.createTensor(
            OrtRuntime.environment(),
            view.slice().order(ByteOrder.nativeOrder()),
            shape,
            binding.target().javaType()));
  }

  @Override
  public void dropLast() {
    rows--;
  }

  @Override
  public void reset() {
    rows = 0;
  }
}
