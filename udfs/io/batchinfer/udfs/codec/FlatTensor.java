package io.batchinfer.udfs.codec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import io.batchinfer.udfs.model.ElementType;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Executor side: one output tensor copied once into a flat Java array of the Spark element type
 * (fp16/bf16 widened to float, uint8 to short), read by element index. Every read is a switch on
 * the storage type, chosen once from the ONNX element type. Holds no native memory (the tensor may
 * be closed after {@link #read}); not thread-safe.
 */
final class FlatTensor {
  /** The Java array type holding the values. */
  private enum Storage {
    FLOAT,
    DOUBLE,
    LONG,
    INT,
    SHORT,
    BYTE,
    BOOLEAN,
    STRING
  }

  private final Storage storage;
  private float[] floats;
  private double[] doubles;
  private long[] longs;
  private int[] ints;
  private short[] shorts;
  private byte[] bytes;
  private boolean[] booleans;
  private String[] strings;

  private FlatTensor(Storage storage) {
    this.storage = storage;
  }

  /** Copies {@code tensor}, whose element type is {@code type}, into a flat array. */
  static FlatTensor read(OnnxTensor tensor, ElementType type) throws OrtException {
    int n = Math.toIntExact(tensor.getInfo().getNumElements());
    switch (type) {
      case FLOAT32:
        {
          FlatTensor t = new FlatTensor(Storage.FLOAT);
          t.floats = new float[n];
          tensor.getFloatBuffer().get(t.floats);
          return t;
        }
      case FLOAT16:
      case BFLOAT16:
        {
          ShortBuffer raw = tensor.getShortBuffer();
          FlatTensor t = new FlatTensor(Storage.FLOAT);
          t.floats = new float[raw.remaining()];
          boolean half = type == ElementType.FLOAT16;
          for (int i = 0; i < t.floats.length; i++) {
            short bits = raw.get(i);
            t.floats[i] =
                half ? Fp16Conversions.fp16ToFloat(bits) : Fp16Conversions.bf16ToFloat(bits);
          }
          return t;
        }
      case FLOAT64:
        {
          FlatTensor t = new FlatTensor(Storage.DOUBLE);
          t.doubles = new double[n];
          tensor.getDoubleBuffer().get(t.doubles);
          return t;
        }
      case INT64:
        {
          FlatTensor t = new FlatTensor(Storage.LONG);
          t.longs = new long[n];
          tensor.getLongBuffer().get(t.longs);
          return t;
        }
      case INT32:
        {
          FlatTensor t = new FlatTensor(Storage.INT);
          t.ints = new int[n];
          tensor.getIntBuffer().get(t.ints);
          return t;
        }
      case INT16:
        {
          FlatTensor t = new FlatTensor(Storage.SHORT);
          t.shorts = new short[n];
          tensor.getShortBuffer().get(t.shorts);
          return t;
        }
      case INT8:
        {
          FlatTensor t = new FlatTensor(Storage.BYTE);
          t.bytes = new byte[n];
          tensor.getByteBuffer().get(t.bytes);
          return t;
        }
      case UINT8:
        {
          ByteBuffer raw = tensor.getByteBuffer();
          FlatTensor t = new FlatTensor(Storage.SHORT);
          t.shorts = new short[raw.remaining()];
          for (int i = 0; i < t.shorts.length; i++) {
            t.shorts[i] = (short) (raw.get(i) & 0xFF);
          }
          return t;
        }
      case BOOL:
        {
          ByteBuffer raw = tensor.getByteBuffer();
          FlatTensor t = new FlatTensor(Storage.BOOLEAN);
          t.booleans = new boolean[raw.remaining()];
          for (int i = 0; i < t.booleans.length; i++) {
            t.booleans[i] = raw.get(i) != 0;
          }
          return t;
        }
      case STRING:
        {
          FlatTensor t = new FlatTensor(Storage.STRING);
          t.strings = new String[n];
          flattenStrings(tensor.getValue(), t.strings, new int[1]);
          return t;
        }
      default:
        throw new IllegalStateException("unhandled output type " + type);
    }
  }

  private static void flattenStrings(Object value, String[] into, int[] pos) {
    if (value instanceof String s) {
      into[pos[0]++] = s;
    } else {
      int n = Array.getLength(value);
      for (int i = 0; i < n; i++) {
        flattenStrings(Array.get(value, i), into, pos);
      }
    }
  }

  /**
   * @return element {@code i} as a double (booleans as 0 or 1); not for string tensors
   */
  double number(int i) {
    switch (storage) {
      case FLOAT:
        return floats[i];
      case DOUBLE:
        return doubles[i];
      case LONG:
        return longs[i];
      case INT:
        return ints[i];
      case SHORT:
        return shorts[i];
      case BYTE:
        return bytes[i];
      case BOOLEAN:
        return booleans[i] ? 1 : 0;
      default:
        throw new IllegalStateException("string output values are not numbers");
    }
  }

  /**
   * @return {@code n} elements from {@code start} as doubles
   */
  double[] numbers(int start, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = number(start + i);
    }
    return d;
  }

  /**
   * @return element {@code i} as a Spark internal value
   */
  Object scalar(int i) {
    switch (storage) {
      case FLOAT:
        return floats[i];
      case DOUBLE:
        return doubles[i];
      case LONG:
        return longs[i];
      case INT:
        return ints[i];
      case SHORT:
        return shorts[i];
      case BYTE:
        return bytes[i];
      case BOOLEAN:
        return booleans[i];
      default:
        return UTF8String.fromString(strings[i]);
    }
  }

  /**
   * @return {@code n} elements from {@code start} as a Spark array (copied)
   */
  Object array(int start, int n) {
    switch (storage) {
      case FLOAT:
        return UnsafeArrayData.fromPrimitiveArray(
            floats, (int) (Platform.FLOAT_ARRAY_OFFSET + start * 4L), n, 4);
      case DOUBLE:
        return UnsafeArrayData.fromPrimitiveArray(
            doubles, (int) (Platform.DOUBLE_ARRAY_OFFSET + start * 8L), n, 8);
      case LONG:
        return UnsafeArrayData.fromPrimitiveArray(
            longs, (int) (Platform.LONG_ARRAY_OFFSET + start * 8L), n, 8);
      case INT:
        return UnsafeArrayData.fromPrimitiveArray(
            ints, (int) (Platform.INT_ARRAY_OFFSET + start * 4L), n, 4);
      case SHORT:
        return UnsafeArrayData.fromPrimitiveArray(
            shorts, (int) (Platform.SHORT_ARRAY_OFFSET + start * 2L), n, 2);
      case BYTE:
        return UnsafeArrayData.fromPrimitiveArray(
            bytes, (int) (Platform.BYTE_ARRAY_OFFSET + start), n, 1);
      case BOOLEAN:
        return UnsafeArrayData.fromPrimitiveArray(
            booleans, (int) (Platform.BOOLEAN_ARRAY_OFFSET + start), n, 1);
      default:
        {
          Object[] values = new Object[n];
          for (int i = 0; i < n; i++) {
            values[i] = UTF8String.fromString(strings[start + i]);
          }
          return new GenericArrayData(values);
        }
    }
  }

  /**
   * @return {@code v} as a Spark array of doubles for float64 outputs, else of floats
   */
  static Object floatingArray(double[] v, ElementType type) {
    if (type == ElementType.FLOAT64) {
      return UnsafeArrayData.fromPrimitiveArray(v);
    }
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return UnsafeArrayData.fromPrimitiveArray(f);
  }
}
