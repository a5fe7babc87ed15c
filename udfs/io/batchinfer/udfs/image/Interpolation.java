package io.batchinfer.udfs.image;

import java.util.Locale;

/**
 * Resampling filters, the same functions and supports as Pillow's ({@code Image.BILINEAR}, ...; see
 * Pillow's {@code libImaging/Resample.c}), so that a resize matches Pillow's pixel for pixel. When
 * shrinking, the filter is stretched by the scale factor (as in Pillow), so every source pixel
 * contributes: {@code box} is then an area average. Immutable.
 */
public enum Interpolation {
  /** Pillow's BOX: area average when shrinking, pixel replication when enlarging. */
  BOX(0.5),
  /** Pillow's BILINEAR (triangle filter); the default, as in torchvision's {@code Resize}. */
  BILINEAR(1.0),
  /** Pillow's HAMMING. */
  HAMMING(1.0),
  /** Pillow's BICUBIC (a = -0.5). */
  BICUBIC(2.0),
  /** Pillow's LANCZOS (a = 3). */
  LANCZOS(3.0);

  private final double support;

  Interpolation(double support) {
    this.support = support;
  }

  /**
   * @return the filter's support radius in source pixels, before stretching
   */
  double support() {
    return support;
  }

  /**
   * @return the filter's weight at distance {@code x}
   */
  double weight(double x) {
    switch (this) {
      case BOX:
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
      case BILINEAR:
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
      case HAMMING:
        x = Math.abs(x);
        if (x == 0.0) {
          return 1.0;
        }
        if (x >= 1.0) {
          return 0.0;
        }
        x = x * Math.PI;
        // Pillow writes these constants as C floats (0.54f, 0.46f).
        return Math.sin(x) / x * ((double) 0.54f + (double) 0.46f * Math.cos(x));
      case BICUBIC:
        {
          double a = -0.5;
          x = Math.abs(x);
          if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
          }
          if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
          }
          return 0.0;
        }
      case LANCZOS:
        return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
      default:
        throw new IllegalStateException(name());
    }
  }

  private static double sinc(double x) {
    if (x == 0.0) {
      return 1.0;
    }
    x = x * Math.PI;
    return Math.sin(x) / x;
  }

  /**
   * @return the filter named {@code s} (case-insensitive), or null
   */
  public static Interpolation parse(String s) {
    if (s == null) {
      return null;
    }
    for (Interpolation i : values()) {
      if (i.name().equals(s.trim().toUpperCase(Locale.ROOT))) {
        return i;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
