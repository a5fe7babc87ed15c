package io.batchinfer.udfs.codec;

import java.util.Arrays;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Executor side: post-processing of one row's class scores as an output binding asks for it:
 * softmax, argmax, the argmax's label and top-k. Stateless apart from the binding; thread-safe.
 */
final class ClassScores {
  private final OutputBinding binding;

  ClassScores(OutputBinding binding) {
    this.binding = binding;
  }

  /**
   * Writes the binding's fields for one row, from {@code f} on: the (softmaxed) scores when a
   * column is requested with softmax, then argmax, label and top-k indices and scores.
   *
   * @param scores the row's class scores; softmaxed in place when the binding asks for it
   * @param rawColumn the row's raw values as a Spark array, used for the column without softmax
   * @throws OutputDecoder.OutputShapeException when the argmax has no label
   */
  void write(double[] scores, Object rawColumn, Object[] row, int f) {
    if (binding.softmax()) {
      softmaxInPlace(scores);
    }
    if (binding.column() != null) {
      row[f++] = binding.softmax() ? FlatTensor.floatingArray(scores, binding.type()) : rawColumn;
    }
    int best = argmax(scores);
    if (binding.argmax() != null) {
      row[f++] = best < 0 ? null : best;
    }
    if (binding.labelColumn() != null) {
      if (best >= binding.labels().size()) {
        throw new OutputDecoder.OutputShapeException(
            "model output '"
                + binding.onnxName()
                + "' has "
                + scores.length
                + " classes but outputs."
                + binding.onnxName()
                + ".labels lists "
                + binding.labels().size());
      }
      row[f++] = best < 0 ? null : UTF8String.fromString(binding.labels().get(best));
    }
    if (binding.topK() > 0) {
      int[] top = topK(scores, binding.topK());
      row[f++] = UnsafeArrayData.fromPrimitiveArray(top);
      double[] s = new double[top.length];
      for (int i = 0; i < top.length; i++) {
        s[i] = scores[top[i]];
      }
      row[f] = FlatTensor.floatingArray(s, binding.type());
    }
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

  /**
   * @return the index of the first largest non-NaN value, or -1 when there is none
   */
  static int argmax(double[] v) {
    int best = -1;
    for (int i = 0; i < v.length; i++) {
      if (!Double.isNaN(v[i]) && (best < 0 || v[i] > v[best])) {
        best = i;
      }
    }
    return best;
  }

  /**
   * @return the indices of the {@code k} largest values, largest first, ties to the lower index;
   *     NaN last
   */
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
    Arrays.sort(
        idx,
        (a, b) -> {
          int c = Double.compare(rank(v[b]), rank(v[a]));
          return c != 0 ? c : Integer.compare(a, b);
        });
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = idx[i];
    }
    return out;
  }
}
