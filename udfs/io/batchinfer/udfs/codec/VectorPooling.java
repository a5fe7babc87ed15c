package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.Pooling;

/**
 * Executor side: turns one row of an embedding output into one vector, as sentence-transformers
 * does: pools token vectors {@code [tokens, hidden]} to {@code [hidden]} (mean over the tokens the
 * attention mask keeps, or the first token) and/or L2-normalizes. Stateless apart from the binding;
 * thread-safe.
 */
final class VectorPooling {
  private final OutputBinding binding;

  VectorPooling(OutputBinding binding) {
    this.binding = binding;
  }

  /**
   * @param r the row within the batch
   * @param perRow elements per row
   * @param rowShape the row's shape ({@code [tokens, hidden]} when pooling)
   * @param text the batch's text encoder, whose attention mask mean pooling uses; may be null
   * @return the row's vector as a Spark array (float64 outputs stay double, others float)
   */
  Object vector(FlatTensor flat, int r, int perRow, long[] rowShape, TextEncoder text) {
    int start = r * perRow;
    double[] v;
    if (binding.pooling() == Pooling.NONE) {
      v = flat.numbers(start, perRow);
    } else {
      int tokens = (int) rowShape[0];
      int hidden = (int) rowShape[1];
      v = new double[hidden];
      if (binding.pooling() == Pooling.CLS) {
        for (int h = 0; h < hidden; h++) {
          v[h] = flat.number(start + h);
        }
      } else {
        if (text == null || text.seqLen() != tokens) {
          throw new OutputDecoder.OutputShapeException(
              "model output '"
                  + binding.onnxName()
                  + "' has "
                  + tokens
                  + " tokens per row but the text input has "
                  + (text == null ? "no" : String.valueOf(text.seqLen()))
                  + "; mean pooling needs the attention mask of the same tokens");
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
            v[h] += flat.number(base + h);
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
    return FlatTensor.floatingArray(v, binding.type());
  }
}
