package io.batchinfer.udfs.image;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * The validated steps that turn one encoded image into one tensor row: decode and orient ({@link
 * ImageDecoder}), convert to RGB or greyscale, resize ({@link Resize}), centre-crop or pad to the
 * output size, order the channels, and write either the bytes ({@code uint8}) or {@code (x * scale
 * - mean[c]) / std[c]} in float32 arithmetic, in NCHW or NHWC layout. Built on the driver by
 * planning; shipped to executors. Immutable and serializable; {@link #apply} is thread-safe.
 *
 * @param grayscale one grey channel, else three colour channels
 * @param bgr channel order B, G, R instead of R, G, B (colour only)
 * @param resize how the decoded image is resized
 * @param resizeHeight the target height for {@link Resize#EXACT} and {@link Resize#FIT}, or the
 *     shorter side's length for {@link Resize#SHORTER}
 * @param resizeWidth the target width for {@link Resize#EXACT} and {@link Resize#FIT}
 * @param interpolation the resampling filter
 * @param cropHeight centre-crop height after resizing, or 0 for no crop
 * @param cropWidth centre-crop width, or 0
 * @param padValue the value of pixels added by {@link Resize#FIT} or by a crop larger than the
 *     image (0-255)
 * @param height the output height (after resize and crop)
 * @param width the output width
 * @param nchw channels first ({@code [C, H, W]} per row), else last ({@code [H, W, C]})
 * @param uint8 write the 8-bit values as they are; else float32 with scale, mean and std
 * @param scale multiplies each 8-bit value first (float32 only)
 * @param mean subtracted per output channel after scaling (float32 only)
 * @param std divides per output channel last (float32 only)
 */
public record ImagePreprocessing(
    boolean grayscale,
    boolean bgr,
    Resize resize,
    int resizeHeight,
    int resizeWidth,
    Interpolation interpolation,
    int cropHeight,
    int cropWidth,
    int padValue,
    int height,
    int width,
    boolean nchw,
    boolean uint8,
    float scale,
    float[] mean,
    float[] std)
    implements Serializable {

  /** How the decoded image reaches the output size. */
  public enum Resize {
    /** No resize: the image must already have the output size (after cropping). */
    NONE,
    /** Shorter side to {@code resizeHeight}, aspect kept, as torchvision's {@code Resize(int)}. */
    SHORTER,
    /** To {@code resizeHeight} x {@code resizeWidth} exactly; the aspect ratio may change. */
    EXACT,
    /**
     * Aspect kept, the whole image fitting in {@code resizeHeight} x {@code resizeWidth}, centred
     * and padded with {@code padValue}, as Pillow's {@code ImageOps.pad}.
     */
    FIT;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Copies the arrays: the spec never changes after planning. */
  public ImagePreprocessing {
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(interpolation, "interpolation");
    mean = mean.clone();
    std = std.clone();
  }

  /**
   * @return a copy of the per-channel means
   */
  @Override
  public float[] mean() {
    return mean.clone();
  }

  /**
   * @return a copy of the per-channel standard deviations
   */
  @Override
  public float[] std() {
    return std.clone();
  }

  /**
   * @return 1 or 3
   */
  public int channels() {
    return grayscale ? 1 : 3;
  }

  /**
   * @return bytes one row takes in the tensor
   */
  public int rowBytes() {
    return height * width * channels() * (uint8 ? 1 : 4);
  }

  /**
   * @return the per-row tensor shape, {@code [C, H, W]} or {@code [H, W, C]}
   */
  public long[] rowShape() {
    return nchw ? new long[] {channels(), height, width} : new long[] {height, width, channels()};
  }

  /**
   * Decodes, orients, converts, resizes and crops one image.
   *
   * @return the pixels at the output size
   * @throws ImageDecodeException when the bytes are not a decodable image
   */
  public Pixels apply(byte[] encoded) throws ImageDecodeException {
    Pixels p = ImageDecoder.decode(encoded, grayscale);
    p = resized(p);
    if (cropHeight > 0) {
      int top = (int) Math.rint((p.height() - cropHeight) / 2.0);
      int left = (int) Math.rint((p.width() - cropWidth) / 2.0);
      if (top != 0 || left != 0 || p.height() != cropHeight || p.width() != cropWidth) {
        p = p.region(left, top, cropWidth, cropHeight, padValue);
      }
    }
    if (p.height() != height || p.width() != width) {
      throw new ImageDecodeException(
          "image is "
              + p.width()
              + " x "
              + p.height()
              + " (width x height) after preprocessing but the model takes "
              + width
              + " x "
              + height
              + "; set resize, crop or fit");
    }
    return p;
  }

  private Pixels resized(Pixels p) {
    int w = p.width();
    int h = p.height();
    switch (resize) {
      case NONE:
        return p;
      case EXACT:
        return Resampler.resize(p, resizeWidth, resizeHeight, interpolation);
      case SHORTER:
        {
          int s = resizeHeight;
          if (w <= h) {
            return Resampler.resize(p, s, (int) ((double) s * h / w), interpolation);
          }
          return Resampler.resize(p, (int) ((double) s * w / h), s, interpolation);
        }
      case FIT:
        {
          double imRatio = (double) w / h;
          double destRatio = (double) resizeWidth / resizeHeight;
          if (imRatio == destRatio) {
            return Resampler.resize(p, resizeWidth, resizeHeight, interpolation);
          }
          // Pillow's ImageOps.pad; Python's round() is half-to-even, like Math.rint.
          if (imRatio > destRatio) {
            int nh = (int) Math.rint((double) h / w * resizeWidth);
            Pixels r = nh == resizeHeight ? p : Resampler.resize(p, resizeWidth, nh, interpolation);
            int y = (int) Math.rint((resizeHeight - nh) * 0.5);
            return r.region(0, -y, resizeWidth, resizeHeight, padValue);
          }
          int nw = (int) Math.rint((double) w / h * resizeHeight);
          Pixels r = nw == resizeWidth ? p : Resampler.resize(p, nw, resizeHeight, interpolation);
          int x = (int) Math.rint((resizeWidth - nw) * 0.5);
          return r.region(-x, 0, resizeWidth, resizeHeight, padValue);
        }
      default:
        throw new IllegalStateException(resize.name());
    }
  }

  /**
   * Writes one preprocessed image at the buffer's position (native order expected), advancing it by
   * {@link #rowBytes()}.
   */
  public void write(Pixels p, ByteBuffer out) {
    int c = channels();
    int plane = height * width;
    int base = out.position();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int k = 0; k < c; k++) {
          int value = p.at(x, y, bgr ? c - 1 - k : k);
          int index = nchw ? k * plane + y * width + x : (y * width + x) * c + k;
          if (uint8) {
            out.put(base + index, (byte) value);
          } else {
            // float32 arithmetic in NumPy's order: x * scale, then (x - mean) / std.
            float v = (float) value * scale;
            v = (v - mean[mean.length == 1 ? 0 : k]) / std[std.length == 1 ? 0 : k];
            out.putFloat(base + index * 4, v);
          }
        }
      }
    }
    out.position(base + rowBytes());
  }

  /**
   * @return e.g. {@code rgb, resize shorter 256 bilinear, crop 224x224, scale 0.0039, mean [...],
   *     std [...], nchw float32}
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(grayscale ? "grayscale" : bgr ? "bgr" : "rgb");
    switch (resize) {
      case SHORTER -> sb.append(", resize shorter side to ").append(resizeHeight);
      case EXACT -> sb.append(", resize to ").append(resizeHeight).append('x').append(resizeWidth);
      case FIT ->
          sb.append(", fit in ")
              .append(resizeHeight)
              .append('x')
              .append(resizeWidth)
              .append(" padded with ")
              .append(padValue);
      default -> {}
    }
    if (resize != Resize.NONE) {
      sb.append(" (").append(interpolation).append(')');
    }
    if (cropHeight > 0) {
      sb.append(", centre crop ").append(cropHeight).append('x').append(cropWidth);
    }
    if (uint8) {
      sb.append(", uint8");
    } else {
      sb.append(", x*")
          .append(scale)
          .append(", mean ")
          .append(Arrays.toString(mean))
          .append(", std ")
          .append(Arrays.toString(std))
          .append(", float32");
    }
    return sb.append(", ").append(nchw ? "NCHW" : "NHWC").toString();
  }

  /** Compares the arrays by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ImagePreprocessing p
        && grayscale == p.grayscale
        && bgr == p.bgr
        && resize == p.resize
        && resizeHeight == p.resizeHeight
        && resizeWidth == p.resizeWidth
        && interpolation == p.interpolation
        && cropHeight == p.cropHeight
        && cropWidth == p.cropWidth
        && padValue == p.padValue
        && height == p.height
        && width == p.width
        && nchw == p.nchw
        && uint8 == p.uint8
        && Float.compare(scale, p.scale) == 0
        && Arrays.equals(mean, p.mean)
        && Arrays.equals(std, p.std);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        grayscale,
        bgr,
        resize,
        resizeHeight,
        resizeWidth,
        interpolation,
        cropHeight,
        cropWidth,
        padValue,
        height,
        width,
        nchw,
        uint8,
        scale,
        Arrays.hashCode(mean),
        Arrays.hashCode(std));
  }
}
