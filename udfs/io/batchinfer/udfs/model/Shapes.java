package io.batchinfer.udfs.model;

/** Formatting and arithmetic on tensor shapes. Stateless. */
public final class Shapes {
  private Shapes() {}

  /**
   * @return e.g. {@code [?, 4]}, or {@code [batch, 4]} when the free dimension has a name
   */
  public static String format(long[] shape, String[] dimNames) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      if (shape[i] >= 0) {
        sb.append(shape[i]);
      } else if (dimNames != null
          && i < dimNames.length
          && dimNames[i] != null
          && !dimNames[i].isEmpty()) {
        sb.append(dimNames[i]);
      } else {
        sb.append('?');
      }
    }
    return sb.append(']').toString();
  }

  /**
   * @return e.g. {@code [?, 4]}
   */
  public static String format(long[] shape) {
    return format(shape, null);
  }

  /**
   * @return the product of the dimensions (1 for a scalar); all dimensions must be fixed
   */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalStateException("free dimension in " + format(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * @return {@code shape} with {@code first} prepended
   */
  public static long[] prepend(long first, long[] shape) {
    long[] out = new long[shape.length + 1];
    out[0] = first;
    System.arraycopy(shape, 0, out, 1, shape.length);
    return out;
  }

  /**
   * @return {@code shape} without its first dimension
   */
  public static long[] dropFirst(long[] shape) {
    long[] out = new long[shape.length - 1];
    System.arraycopy(shape, 1, out, 0, out.length);
    return out;
  }
}
