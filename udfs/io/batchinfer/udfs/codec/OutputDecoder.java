package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.Pooling;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.Shapes;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Executor side: turns one output tensor of a batch into Spark internal values, one row at a
 * time, applying the binding's post-processing (softmax, argmax, labels, top-k). Reads the
 * tensor once into a flat primitive array; rows are slices of it. Stateless apart from the
 * binding; thread-safe.
 */
public final class OutputDecoder {
  private final OutputBinding binding;

  /** @param binding the validated output mapping */
  public OutputDecoder(OutputBinding binding) {
    this.binding = binding;
  }

  /** @return how many output fields this decoder fills per row */
  public int width() {
    return binding.fields().size();
  }

  /**
   * Decodes {@code rows} rows of {@code value} into {@code out[rowIndex[r]][offset ...]}.
   *
   * @param text the text encoder of this batch, whose attention mask mean pooling uses; null without text inputs
   * @throws OutputShapeException when the tensor's shape contradicts the model's metadata or the
   *     row count (a model bug or a mapping the model does not honour)
   */
  public void decode(OnnxValue value, int rows, Object[][] out, int[] rowIndex, int offset, TextEncoder text)
      throws OrtException {
    if (!(value instanceof OnnxTensor tensor)) {
      throw new OutputShapeException("model output '" + binding.onnxName() + "' is " + value.getInfo() + ", not a tensor");
    }
    long[] shape = tensor.getInfo().getShape();
    long[] rowShape;
    if (binding.batchAxis()) {
      if (shape.length == 0 || shape[0] != rows) {
        throw new OutputShapeException("model output '" + binding.onnxName() + "' has shape " + Shapes.format(shape)
            + " for a batch of " + rows + " rows; expected the first dimension to be " + rows
            + ". If the model does not batch this output, set model.batching=none.");
      }
      rowShape = Shapes.dropFirst(shape);
    } else {
      rowShape = shape;
    }
    if (rowShape.length != binding.rowShape().length) {
      throw new OutputShapeException("model output '" + binding.onnxName() + "' has rank " + shape.length
          + " at run time (" + Shapes.format(shape) + ") but its metadata declares " + Shapes.format(binding.rowShape()));
    }
    int perRow = Math.toIntExact(Shapes.elementCount(rowShape));
    Object flat = readFlat(tensor);
    for (int r = 0; r < rows; r++) {
      Object[] row = out[rowIndex[r]];
      if (binding.pooling() != Pooling.NONE || binding.normalize()) {
        row[offset] = vector(flat, r, perRow, rowShape, text);
      } else {
        decodeRow(flat, r * perRow, perRow, rowShape, row, offset);
      }
    }
  }

  /** Pools {@code [tokens, hidden]} to {@code [hidden]} (mean over unmasked tokens, or the first) and/or L2-normalizes. */
  private Object vector(Object flat, int r, int perRow, long[] rowShape, TextEncoder text) {
    int start = r * perRow;
    double[] v;
    if (binding.pooling() == Pooling.NONE) {
      v = toDoubles(flat, start, perRow);
    } else {
      int tokens = (int) rowShape[0];
      int hidden = (int) rowShape[1];
      v = new double[hidden];
      if (binding.pooling() == Pooling.CLS) {
        for (int h = 0; h < hidden; h++) {
          v[h] = number(flat, start + h);
        }
      } else {
        if (text == null || text.seqLen() != tokens) {
          throw new OutputShapeException("model output '" + binding.onnxName() + "' has " + tokens + " tokens per row"
              + " but the text input has " + (text == null ? "no" : String.valueOf(text.seqLen())) + "; mean pooling"
              + " needs the attention mask of the same tokens");
        }
        long[] mask = text.attentionMask();
        int counted = 0;
        for (int t = 0; t < tokens; t++) {
          if (mask[r * tokens + t] == 0) {
            continue;
          }
          counted++;
          int base = start + t * hidden;
          for (int h = 0; h < hidden; h++) {
            v[h] += number(flat, base + h);
          }
        }
        // sentence-transformers clamps the token count at 1e-9: an all-padding row pools to zeros.
        double denominator = Math.max(counted, 1e-9);
        for (int h = 0; h < hidden; h++) {
          v[h] /= denominator;
        }
      }
    }
    if (binding.normalize()) {
      double norm = 0;
      for (double x : v) {
        norm += x * x;
      }
      // Same epsilon as torch.nn.functional.normalize, which sentence-transformers uses.
      norm = Math.max(Math.sqrt(norm), 1e-12);
      for (int i = 0; i < v.length; i++) {
        v[i] /= norm;
      }
    }
    return binding.type() == ElementType.FLOAT64 ? UnsafeArrayData.fromPrimitiveArray(v)
        : UnsafeArrayData.fromPrimitiveArray(toFloats(v));
  }

  private static double number(Object flat, int i) {
    if (flat instanceof float[] a) {
      return a[i];
    } else if (flat instanceof double[] a) {
      return a[i];
    }
    Object v = scalar(flat, i);
    return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
  }

  private void decodeRow(Object flat, int start, int length, long[] rowShape, Object[] row, int offset) {
    int f = offset;
    boolean post = binding.postProcesses();
    double[] scores = post ? toDoubles(flat, start, length) : null;
    if (binding.softmax()) {
      softmaxInPlace(scores);
    }
    if (binding.column() != null) {
      if (binding.softmax()) {
        row[f++] = binding.type() == ElementType.FLOAT64
            ? UnsafeArrayData.fromPrimitiveArray(scores)
            : UnsafeArrayData.fromPrimitiveArray(toFloats(scores));
      } else {
        row[f++] = nested(flat, start, rowShape, 0);
      }
    }
    if (post) {
      int best = argmax(scores);
      if (binding.argmax() != null) {
        row[f++] = best < 0 ? null : best;
      }
      if (binding.labelColumn() != null) {
        if (best >= binding.labels().size()) {
          throw new OutputShapeException("model output '" + binding.onnxName() + "' has " + length
              + " classes but outputs." + binding.onnxName() + ".labels lists " + binding.labels().size());
        }
        row[f++] = best < 0 ? null : UTF8String.fromString(binding.labels().get(best));
      }
      if (binding.topK() > 0) {
        int[] top = topK(scores, binding.topK());
        row[f++] = UnsafeArrayData.fromPrimitiveArray(top);
        if (binding.type() == ElementType.FLOAT64) {
          double[] s = new double[top.length];
          for (int i = 0; i < top.length; i++) {
            s[i] = scores[top[i]];
          }
          row[f] = UnsafeArrayData.fromPrimitiveArray(s);
        } else {
          float[] s = new float[top.length];
          for (int i = 0; i < top.length; i++) {
            s[i] = (float) scores[top[i]];
          }
          row[f] = UnsafeArrayData.fromPrimitiveArray(s);
        }
      }
    }
  }

  /** Builds the Spark value for the slice starting at {@code start} with shape {@code shape[depth..]}. */
  private Object nested(Object flat, int start, long[] shape, int depth) {
    if (depth == shape.length) {
      return scalar(flat, start);
    }
    int n = (int) shape[depth];
    if (depth == shape.length - 1) {
      return leafArray(flat, start, n);
    }
    int stride = Math.toIntExact(Shapes.elementCount(Arrays.copyOfRange(shape, depth + 1, shape.length)));
    Object[] children = new Object[n];
    for (int i = 0; i < n; i++) {
      children[i] = nested(flat, start + i * stride, shape, depth + 1);
    }
    return new GenericArrayData(children);
  }

  private static Object scalar(Object flat, int i) {
    if (flat instanceof float[] a) {
      return a[i];
    } else if (flat instanceof double[] a) {
      return a[i];
    } else if (flat instanceof long[] a) {
      return a[i];
    } else if (flat instanceof int[] a) {
      return a[i];
    } else if (flat instanceof short[] a) {
      return a[i];
    } else if (flat instanceof byte[] a) {
      return a[i];
    } else if (flat instanceof boolean[] a) {
      return a[i];
    }
    return UTF8String.fromString(((String[]) flat)[i]);
  }

  private static Object leafArray(Object flat, int start, int n) {
    if (flat instanceof float[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.FLOAT_ARRAY_OFFSET + start * 4L), n, 4);
    } else if (flat instanceof double[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.DOUBLE_ARRAY_OFFSET + start * 8L), n, 8);
    } else if (flat instanceof long[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.LONG_ARRAY_OFFSET + start * 8L), n, 8);
    } else if (flat instanceof int[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.INT_ARRAY_OFFSET + start * 4L), n, 4);
    } else if (flat instanceof short[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.SHORT_ARRAY_OFFSET + start * 2L), n, 2);
    } else if (flat instanceof byte[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.BYTE_ARRAY_OFFSET + start), n, 1);
    } else if (flat instanceof boolean[] a) {
      return UnsafeArrayData.fromPrimitiveArray(a, (int) (Platform.BOOLEAN_ARRAY_OFFSET + start), n, 1);
    }
    String[] s = (String[]) flat;
    Object[] values = new Object[n];
    for (int i = 0; i < n; i++) {
      values[i] = UTF8String.fromString(s[start + i]);
    }
    return new GenericArrayData(values);
  }

  /** Copies the tensor into a flat Java array of the Spark element type (fp16/bf16 widened, uint8 to short). */
  private Object readFlat(OnnxTensor tensor) throws OrtException {
    switch (binding.type()) {
      case FLOAT32: {
        float[] a = new float[(int) tensor.getInfo().getNumElements()];
        tensor.getFloatBuffer().get(a);
        return a;
      }
      case FLOAT16:
      case BFLOAT16: {
        ShortBuffer raw = tensor.getShortBuffer();
        float[] a = new float[raw.remaining()];
        boolean half = binding.type() == ElementType.FLOAT16;
        for (int i = 0; i < a.length; i++) {
          short bits = raw.get(i);
          a[i] = half ? Fp16Conversions.fp16ToFloat(bits) : Fp16Conversions.bf16ToFloat(bits);
        }
        return a;
      }
      case FLOAT64: {
        double[] a = new double[(int) tensor.getInfo().getNumElements()];
        tensor.getDoubleBuffer().get(a);
        return a;
      }
      case INT64: {
        long[] a = new long[(int) tensor.getInfo().getNumElements()];
        tensor.getLongBuffer().get(a);
        return a;
      }
      case INT32: {
        int[] a = new int[(int) tensor.getInfo().getNumElements()];
        tensor.getIntBuffer().get(a);
        return a;
      }
      case INT16: {
        short[] a = new short[(int) tensor.getInfo().getNumElements()];
        tensor.getShortBuffer().get(a);
        return a;
      }
      case INT8: {
        byte[] a = new byte[(int) tensor.getInfo().getNumElements()];
        tensor.getByteBuffer().get(a);
        return a;
      }
      case UINT8: {
        ByteBuffer raw = tensor.getByteBuffer();
        short[] a = new short[raw.remaining()];
        for (int i = 0; i < a.length; i++) {
          a[i] = (short) (raw.get(i) & 0xFF);
        }
        return a;
      }
      case BOOL: {
        ByteBuffer raw = tensor.getByteBuffer();
        boolean[] a = new boolean[raw.remaining()];
        for (int i = 0; i < a.length; i++) {
          a[i] = raw.get(i) != 0;
        }
        return a;
      }
      case STRING: {
        String[] a = new String[(int) tensor.getInfo().getNumElements()];
        flattenStrings(tensor.getValue(), a, new int[1]);
        return a;
      }
      default:
        throw new IllegalStateException("unhandled output type " + binding.type());
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

  private static double[] toDoubles(Object flat, int start, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = number(flat, start + i);
    }
    return d;
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  /** Numerically stable softmax (subtracts the max before exponentiating). */
  static void softmaxInPlace(double[] v) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.exp(v[i] - max);
      sum += v[i];
    }
    for (int i = 0; i < v.length; i++) {
      v[i] /= sum;
    }
  }

  /** @return the index of the first largest non-NaN value, or -1 when there is none */
  static int argmax(double[] v) {
    int best = -1;
    for (int i = 0; i < v.length; i++) {
      if (!Double.isNaN(v[i]) && (best < 0 || v[i] > v[best])) {
        best = i;
      }
    }
    return best;
  }

  /** @return the indices of the {@code k} largest values, largest first, ties to the lower index; NaN last */
  static int[] topK(double[] v, int k) {
    int n = Math.min(k, v.length);
    if (n > 32) {
      return topKBySort(v, n);
    }
    // Per row and usually k << classes: k primitive passes, no boxing or sorting of all classes.
    int[] out = new int[n];
    boolean[] taken = new boolean[v.length];
    for (int j = 0; j < n; j++) {
      int best = -1;
      for (int i = 0; i < v.length; i++) {
        if (!taken[i] && (best < 0 || rank(v[i]) > rank(v[best]))) {
          best = i;
        }
      }
      taken[best] = true;
      out[j] = best;
    }
    return out;
  }

  private static double rank(double x) {
    return Double.isNaN(x) ? Double.NEGATIVE_INFINITY : x;
  }

  private static int[] topKBySort(double[] v, int n) {
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> {
      int c = Double.compare(rank(v[b]), rank(v[a]));
      return c != 0 ? c : Integer.compare(a, b);
    });
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /** A model output that contradicts its metadata or the batch; names the output. */
  public static final class OutputShapeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message names the output, and what was expected vs found */
    public OutputShapeException(String message) {
      super(message);
    }
  }
}
