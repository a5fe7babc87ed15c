package io.batchinfer.udfs.image;

/**
 * Resizes 8-bit images the way Pillow's {@code Image.resize} does ({@code libImaging/Resample.c}):
 * a separable convolution, horizontal pass first (only over the source rows the vertical pass
 * needs), with the filter stretched by the scale factor when shrinking, weights normalised per
 * output pixel and converted to 22-bit fixed point, and each pass rounded and clamped to 0..255.
 * The same arithmetic gives the same bytes; the tests compare with Pillow 9.4. Stateless.
 */
final class Resampler {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private Resampler() {}

  /** Filter coefficients for one axis: per output pixel, the first source pixel and the weights. */
  private record Coefficients(int ksize, int[] bounds, int[] weights) {}

  /**
   * @return {@code in} resized to {@code width} x {@code height} (the same object when the size is
   *     unchanged, as Pillow copies without filtering)
   */
  static Pixels resize(Pixels in, int width, int height, Interpolation filter) {
    if (width == in.width() && height == in.height()) {
      return in;
    }
    Coefficients horiz = coefficients(in.width(), width, filter);
    Coefficients vert = coefficients(in.height(), height, filter);
    Pixels current = in;
    int[] vbounds = vert.bounds().clone();
    if (width != in.width()) {
      int first = vbounds[0];
      int last = vbounds[(height - 1) * 2] + vbounds[(height - 1) * 2 + 1];
      for (int i = 0; i < height; i++) {
        vbounds[i * 2] -= first;
      }
      current = horizontal(current, width, first, last - first, horiz);
    }
    if (height != in.height()) {
      current = vertical(current, height, new Coefficients(vert.ksize(), vbounds, vert.weights()));
    }
    return current;
  }

  private static Coefficients coefficients(int inSize, int outSize, Interpolation filter) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support() * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] weights = new int[outSize * ksize];
    double[] k = new double[ksize];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ww = 0.0;
      double ss = 1.0 / filterScale;
      // C's (int) truncates toward zero, as Java's cast does.
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      for (int x = 0; x < xmax; x++) {
        double w = filter.weight((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double v = ww != 0.0 ? k[x] / ww : k[x];
        weights[xx * ksize + x] =
            v < 0
                ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                : (int) (0.5 + v * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    return new Coefficients(ksize, bounds, weights);
  }

  private static Pixels horizontal(Pixels in, int width, int rowOffset, int rows, Coefficients c) {
    int ch = in.channels();
    byte[] src = in.data();
    byte[] out = new byte[width * rows * ch];
    int inStride = in.width() * ch;
    for (int y = 0; y < rows; y++) {
      int rowBase = (y + rowOffset) * inStride;
      for (int xx = 0; xx < width; xx++) {
        int xmin = c.bounds()[xx * 2];
        int xmax = c.bounds()[xx * 2 + 1];
        int kbase = xx * c.ksize();
        for (int b = 0; b < ch; b++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int x = 0; x < xmax; x++) {
            ss += (src[rowBase + (x + xmin) * ch + b] & 0xFF) * c.weights()[kbase + x];
          }
          out[(y * width + xx) * ch + b] = clip8(ss);
        }
      }
    }
    return new Pixels(width, rows, ch, out);
  }

  private static Pixels vertical(Pixels in, int height, Coefficients c) {
    int ch = in.channels();
    int width = in.width();
    byte[] src = in.data();
    byte[] out = new byte[width * height * ch];
    int stride = width * ch;
    for (int yy = 0; yy < height; yy++) {
      int ymin = c.bounds()[yy * 2];
      int ymax = c.bounds()[yy * 2 + 1];
      int kbase = yy * c.ksize();
      for (int i = 0; i < stride; i++) {
        int ss = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < ymax; y++) {
          ss += (src[(y + ymin) * stride + i] & 0xFF) * c.weights()[kbase + y];
        }
        out[yy * stride + i] = clip8(ss);
      }
    }
    return new Pixels(width, height, ch, out);
  }

  private static byte clip8(int v) {
    int s = v >> PRECISION_BITS;
    return (byte) (s < 0 ? 0 : Math.min(s, 255));
  }
}
