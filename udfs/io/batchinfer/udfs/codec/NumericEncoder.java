package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.session.OrtRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.bitset.BitSetMethods;

/**
 * Encodes numeric and boolean columns into one direct, native-order buffer per partition, cast to
 * the model's element type, and wraps it as a tensor without copying. The buffer is sized for
 * {@code batch_size} rows on first use and reused; the last, shorter batch gets a smaller shape.
 *
 * <p>Float and double arrays in Spark's binary format ({@link UnsafeArrayData}, what a Parquet scan
 * produces) going to a float32/float64 input are copied in bulk: one memory copy into a reused
 * scratch array, one finiteness pass, one bulk put into the direct buffer, instead of a virtual
 * call, a type switch and a checked put per element. Anything else (nulls, NaN, other types,
 * generic arrays) takes the element-by-element path, which names the bad element. The system
 * property {@value #ELEMENTWISE_PROPERTY}{@code =true} turns the bulk copy off (read when an
 * encoder is created): only for measuring its effect (submit-scripts/benchmark.sh). Not
 * thread-safe.
 */
final class NumericEncoder extends TensorEncoder {
  /** Benchmark switch: {@code true} copies every array element by element. */
  public static final String ELEMENTWISE_PROPERTY = "batchinfer.codec.elementwise";

  private final boolean bulk = !Boolean.getBoolean(ELEMENTWISE_PROPERTY);
  private ByteBuffer buffer;
  private int rowStart;
  private float[] floats = new float[0];
  private double[] doubles = new double[0];

  NumericEncoder(InputBinding binding, int batchSize) {
    super(binding, batchSize);
  }

  @Override
  protected void prepareBatch(long elementsPerRow) {
    long bytes = elementsPerRow * binding.target().byteSize() * batchSize;
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "model input '"
              + binding.onnxName()
              + "': a batch of "
              + batchSize
              + " rows needs "
              + bytes
              + " bytes; lower model.batch_size");
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
  protected RowProblem putLeaf(
      SpecializedGetters src, int ordinal, SourceKind kind, DecimalType decimalType) {
    return ValueWriter.put(
        buffer, binding.target(), src, ordinal, kind, decimalType, binding.allowNan());
  }

  @Override
  protected boolean putLeafArray(ArrayData array, int n) {
    if (!bulk || !(array instanceof UnsafeArrayData) || n == 0) {
      return false;
    }
    SourceKind kind = binding.kinds()[0];
    ElementType target = binding.target();
    if ((kind != SourceKind.FLOAT && kind != SourceKind.DOUBLE)
        || (target != ElementType.FLOAT32 && target != ElementType.FLOAT64)) {
      return false;
    }
    UnsafeArrayData u = (UnsafeArrayData) array;
    Object base = u.getBaseObject();
    long offset = u.getBaseOffset();
    // Layout: numElements (8 bytes), null bits (8-byte words), then the values.
    if (BitSetMethods.anySet(base, offset + 8, (n + 63) / 64)) {
      return false;
    }
    long data = offset + UnsafeArrayData.calculateHeaderPortionInBytes(n);
    return kind == SourceKind.FLOAT
        ? putFloats(base, data, n, target)
        : putDoubles(base, data, n, target);
  }

  private boolean putFloats(Object base, long data, int n, ElementType target) {
    if (floats.length < n) {
      floats = new float[n];
    }
    float[] a = floats;
    Platform.copyMemory(base, data, a, Platform.FLOAT_ARRAY_OFFSET, n * 4L);
    if (!binding.allowNan()) {
      for (int i = 0; i < n; i++) {
        if (!Float.isFinite(a[i])) {
          return false;
        }
      }
    }
    if (target == ElementType.FLOAT32) {
      buffer.asFloatBuffer().put(a, 0, n);
      buffer.position(buffer.position() + n * 4);
    } else {
      for (int i = 0; i < n; i++) {
        buffer.putDouble(a[i]);
      }
    }
    return true;
  }

  private boolean putDoubles(Object base, long data, int n, ElementType target) {
    if (doubles.length < n) {
      doubles = new double[n];
    }
    double[] a = doubles;
    Platform.copyMemory(base, data, a, Platform.DOUBLE_ARRAY_OFFSET, n * 8L);
    boolean toFloat = target == ElementType.FLOAT32;
    for (int i = 0; i < n; i++) {
      double d = a[i];
      // Same refusals as ValueWriter: non-finite values unless allowed, finite doubles that
      // overflow float32.
      if (Double.isFinite(d) ? toFloat && Float.isInfinite((float) d) : !binding.allowNan()) {
        return false;
      }
    }
    if (toFloat) {
      for (int i = 0; i < n; i++) {
        buffer.putFloat((float) a[i]);
      }
    } else {
      buffer.asDoubleBuffer().put(a, 0, n);
      buffer.position(buffer.position() + n * 8);
    }
    return true;
  }

  @Override
  public Map<String, OnnxTensor> tensors(int rowCount) throws OrtException {
    ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
    view.flip();
    return Map.of(
        binding.onnxName(),
        OnnxTensor.createTensor(
            OrtRuntime.environment(), view, tensorShape(rowCount), binding.target().javaType()));
  }
}
