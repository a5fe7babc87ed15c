package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.session.OrtRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.DecimalType;

/**
 * Encodes numeric and boolean columns into one direct, native-order buffer per partition, cast
 * to the model's element type, and wraps it as a tensor without copying. The buffer is sized for
 * {@code batch_size} rows on first use and reused; the last, shorter batch gets a smaller shape.
 * Not thread-safe.
 */
final class NumericEncoder extends TensorEncoder {
  private ByteBuffer buffer;
  private int rowStart;

  NumericEncoder(InputBinding binding, int batchSize) {
    super(binding, batchSize);
  }

  @Override
  protected void prepareBatch(long elementsPerRow) {
    long bytes = elementsPerRow * binding.target().byteSize() * batchSize;
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("model input '" + binding.onnxName() + "': a batch of " + batchSize
          + " rows needs " + bytes + " bytes; lower model.batch_size");
    }
    if (buffer == null || buffer.capacity() < bytes) {
      buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    }
    buffer.clear();
    rowStart = 0;
  }

  @Override
  protected void mark() {
    rowStart = buffer.position();
  }

  @Override
  protected void rollback() {
    if (buffer != null) {
      buffer.position(rowStart);
    }
  }

  @Override
  protected RowProblem putLeaf(SpecializedGetters src, int ordinal, SourceKind kind, DecimalType decimalType) {
    return ValueWriter.put(buffer, binding.target(), src, ordinal, kind, decimalType, binding.allowNan());
  }

  @Override
  public Map<String, OnnxTensor> tensors(int rowCount) throws OrtException {
    ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
    view.flip();
    return Map.of(binding.onnxName(),
        OnnxTensor.createTensor(OrtRuntime.environment(), view, tensorShape(rowCount), binding.target().javaType()));
  }
}
