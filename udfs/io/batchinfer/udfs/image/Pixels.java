package io.batchinfer.udfs.image;

/**
 * An 8-bit image in memory: {@code height} rows of {@code width} pixels of {@code channels} bytes
 * (1: grey; 3: R, G, B), row-major and interleaved. Not copied on construction: the producer hands
 * its array over and nobody changes it afterwards.
 *
 * @param width pixels per row
 * @param height rows
 * @param channels bytes per pixel, 1 or 3
 * @param data {@code width * height * channels} bytes
 */
public record Pixels(int width, int height, int channels, byte[] data) {
  /** Checks that the array holds the image. */
  public Pixels {
    if ((long) width * height * channels != data.length) {
      throw new IllegalArgumentException(
          width + "x" + height + "x" + channels + " pixels in " + data.length + " bytes");
    }
  }

  /**
   * @return the value of channel {@code c} at ({@code x}, {@code y}), 0..255
   */
  public int at(int x, int y, int c) {
    return data[(y * width + x) * channels + c] & 0xFF;
  }

  /**
   * @return the region of {@code w} x {@code h} pixels whose top-left corner is ({@code left},
   *     {@code top}); parts outside this image are {@code fill} (as Pillow's {@code crop} with a
   *     box past the border)
   */
  Pixels region(int left, int top, int w, int h, int fill) {
    byte[] out = new byte[w * h * channels];
    if (fill != 0) {
      java.util.Arrays.fill(out, (byte) fill);
    }
    for (int y = 0; y < h; y++) {
      int sy = y + top;
      if (sy < 0 || sy >= height) {
        continue;
      }
      int x0 = Math.max(0, -left);
      int x1 = Math.min(w, width - left);
      if (x1 > x0) {
        System.arraycopy(
            data,
            (sy * width + left + x0) * channels,
            out,
            (y * w + x0) * channels,
            (x1 - x0) * channels);
      }
    }
    return new Pixels(w, h, channels, out);
  }

  /**
   * @return this image displayed as its EXIF orientation tag (1-8) says, as Pillow's {@code
   *     ImageOps.exif_transpose}: 2 mirrored, 3 rotated 180°, 4 flipped, 5 transposed, 6 rotated
   *     90° clockwise, 7 transversed, 8 rotated 90° counter-clockwise; other values leave it as is
   */
  Pixels oriented(int orientation) {
    if (orientation < 2 || orientation > 8) {
      return this;
    }
    boolean swap = orientation >= 5;
    int ow = swap ? height : width;
    int oh = swap ? width : height;
    byte[] out = new byte[data.length];
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        int ix;
        int iy;
        switch (orientation) {
          case 2 -> {
            ix = width - 1 - ox;
            iy = oy;
          }
          case 3 -> {
            ix = width - 1 - ox;
            iy = height - 1 - oy;
          }
          case 4 -> {
            ix = ox;
            iy = height - 1 - oy;
          }
          case 5 -> {
            ix = oy;
            iy = ox;
          }
          case 6 -> {
            ix = oy;
            iy = height - 1 - ox;
          }
          case 7 -> {
            ix = width - 1 - oy;
            iy = height - 1 - ox;
          }
          default -> {
            ix = width - 1 - oy;
            iy = ox;
          }
        }
        System.arraycopy(
            data, (iy * width + ix) * channels, out, (oy * ow + ox) * channels, channels);
      }
    }
    return new Pixels(ow, oh, channels, out);
  }
}
