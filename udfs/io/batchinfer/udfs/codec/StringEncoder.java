package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.session.OrtRuntime;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.DecimalType;

/**
 * Encodes string columns (or arrays of strings) into an ONNX string tensor. ONNX Runtime copies
 * strings into native memory, so a Java array per partition is reused. Not thread-safe.
 */
final class StringEncoder extends TensorEncoder {
  private String[] values;
  private int count;
  private int rowStart;

  StringEncoder(InputBinding binding, int batchSize) {
    super(binding, batchSize);
  }

  @Override
  protected void prepareBatch(long elementsPerRow) {
    long needed = elementsPerRow * batchSize;
    if (values == null || values.length < needed) {
      values = new String[Math.toIntExact(needed)];
    }
    count = 0;
    rowStart = 0;
  }

  @Override
  protected void mark() {
    rowStart = count;
  }

  @Override
  protected void rollback() {
    count = rowStart;
  }

  @Override
  protected RowProblem putLeaf(
      SpecializedGetters src, int ordinal, SourceKind kind, DecimalType decimalType) {
    if (kind != SourceKind.STRING) {
      throw new IllegalStateException(
          "planner bound a " + kind + " column to string input " + binding.onnxName());
    }
    values[count++] = src.getUTF8String(ordinal).toString();
    return null;
  }

  @Override
  public Map<String, OnnxTensor> tensors(int rowCount) throws OrtException {
    String[] data = count == values.length ? values : Arrays.copyOf(values, count);
    return Map.of(
        binding.onnxName(),
        OnnxTensor.createTensor(OrtRuntime.environment(), data, tensorShape(rowCount)));
  }
}
