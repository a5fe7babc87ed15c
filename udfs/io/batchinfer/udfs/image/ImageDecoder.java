package io.batchinfer.udfs.image;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded image bytes into 8-bit {@link Pixels}, oriented by the EXIF orientation tag and
 * converted to RGB or greyscale the way Pillow's {@code convert('RGB')} / {@code convert('L')} do:
 * alpha is dropped (not composited), palette images take their palette colours, grey to RGB copies
 * the grey value, RGB to grey is {@code (R*19595 + G*38470 + B*7471 + 0x8000) >> 16} (ITU-R 601-2
 * luma). Pixel values are read from the raster as stored, without colour management; 16-bit
 * channels are scaled to 8 bits.
 *
 * <p>Formats: JPEG (TwelveMonkeys' reader, which also takes CMYK/YCCK JPEGs), PNG, GIF, BMP, TIFF
 * (the JDK's readers) and WebP (TwelveMonkeys). The EXIF orientation is read, as Pillow's {@code
 * ImageOps.exif_transpose} reads it, from a JPEG's APP1 segment, a PNG's {@code eXIf} chunk or a
 * WebP's {@code EXIF} chunk; other formats are taken as stored. Images above {@link #MAX_PIXELS}
 * pixels are refused before their pixels are decoded (a decompression bomb would otherwise exhaust
 * the executor's memory). Stateless and thread-safe; runs wherever rows are scored.
 */
public final class ImageDecoder {
  /** Pillow's limit for refusing an image as a decompression bomb (2 x MAX_IMAGE_PIXELS). */
  public static final long MAX_PIXELS = 178_956_970L;

  static {
    // Register the TwelveMonkeys readers explicitly rather than rely on ImageIO's classpath scan,
    // which uses whichever context class loader first touches ImageIO (on an executor that may
    // not see the application jar).
    IIORegistry registry = IIORegistry.getDefaultInstance();
    registry.registerServiceProvider(
        new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi());
    registry.registerServiceProvider(
        new com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi());
    ImageIO.setUseCache(false);
  }

  private ImageDecoder() {}

  /**
   * @param bytes the encoded image
   * @param grayscale convert to one grey channel; else to three RGB channels
   * @return the decoded, oriented, converted pixels
   * @throws ImageDecodeException when the bytes are not a decodable image
   */
  public static Pixels decode(byte[] bytes, boolean grayscale) throws ImageDecodeException {
    BufferedImage image = read(bytes);
    Pixels pixels = convert(image, grayscale);
    return pixels.oriented(orientation(bytes));
  }

  /**
   * @return the names of the image formats this JVM can decode, e.g. {@code [bmp, gif, jpeg, ...]}
   */
  public static List<String> formats() {
    return java.util.Arrays.stream(ImageIO.getReaderFormatNames())
        .map(s -> s.toLowerCase(java.util.Locale.ROOT))
        .distinct()
        .sorted()
        .toList();
  }

  /**
   * @return the class of the reader that decodes {@code bytes}, or null when none does (for tests
   *     and diagnostics)
   */
  static String readerClass(byte[] bytes) throws IOException {
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      return readers.hasNext() ? readers.next().getClass().getName() : null;
    }
  }

  private static BufferedImage read(byte[] bytes) throws ImageDecodeException {
    if (bytes.length == 0) {
      throw new ImageDecodeException("empty value (0 bytes)");
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new ImageDecodeException(
            "not an image in a known format ("
                + bytes.length
                + " bytes starting "
                + magic(bytes)
                + "); formats: "
                + formats());
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > MAX_PIXELS) {
          throw new ImageDecodeException(
              reader.getFormatName()
                  + " image of "
                  + reader.getWidth(0)
                  + " x "
                  + reader.getHeight(0)
                  + " = "
                  + pixels
                  + " pixels, more than the limit of "
                  + MAX_PIXELS);
        }
        BufferedImage image = reader.read(0);
        if (image == null) {
          throw new ImageDecodeException(reader.getFormatName() + " reader returned no image");
        }
        return image;
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // ImageIO readers signal corrupt data with IIOException, but also with runtime exceptions
      // (IndexOutOfBounds, IllegalArgument, NegativeArraySize) from deep inside a decoder.
      throw new ImageDecodeException(
          "cannot decode the image ("
              + bytes.length
              + " bytes): "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }

  private static String magic(byte[] bytes) {
    StringBuilder sb = new StringBuilder("0x");
    for (int i = 0; i < Math.min(4, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i] & 0xFF));
    }
    return sb.toString();
  }

  /**
   * @return the EXIF orientation (1-8) of a JPEG (APP1 segment), PNG ({@code eXIf} chunk) or WebP
   *     ({@code EXIF} chunk), or 1 when there is none or it cannot be read
   */
  static int orientation(byte[] bytes) {
    try {
      if (bytes.length > 4 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
        return jpegOrientation(bytes);
      }
      if (bytes.length > 8 && bytes[0] == (byte) 0x89 && tag(bytes, 1).startsWith("PNG")) {
        return chunkOrientation(bytes, 8, "eXIf", true);
      }
      if (bytes.length > 12 && tag(bytes, 0).equals("RIFF") && tag(bytes, 8).equals("WEBP")) {
        return chunkOrientation(bytes, 12, "EXIF", false);
      }
      return 1;
    } catch (IOException | RuntimeException e) {
      // Unreadable metadata does not make the pixels unusable: take the image as stored.
      return 1;
    }
  }

  private static int jpegOrientation(byte[] bytes) throws IOException {
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      List<JPEGSegment> exif = JPEGSegmentUtil.readSegments(in, JPEG.APP1, "Exif");
      if (exif.isEmpty()) {
        return 1;
      }
      InputStream data = exif.get(0).data();
      if (data.read() < 0) { // the pad byte after "Exif\0"
        return 1;
      }
      return tiffOrientation(data);
    }
  }

  /**
   * Walks PNG chunks (big-endian length, type, data, CRC) or RIFF chunks (type, little-endian
   * length, data padded to even) from {@code offset} to the EXIF chunk {@code type}.
   */
  private static int chunkOrientation(byte[] b, int offset, String type, boolean png)
      throws IOException {
    int pos = offset;
    while (pos + 8 <= b.length) {
      long length;
      String name;
      int data;
      if (png) {
        length =
            ((b[pos] & 0xFFL) << 24)
                | ((b[pos + 1] & 0xFF) << 16)
                | ((b[pos + 2] & 0xFF) << 8)
                | (b[pos + 3] & 0xFF);
        name = tag(b, pos + 4);
        data = pos + 8;
      } else {
        name = tag(b, pos);
        length =
            (b[pos + 4] & 0xFF)
                | ((b[pos + 5] & 0xFF) << 8)
                | ((b[pos + 6] & 0xFF) << 16)
                | ((b[pos + 7] & 0xFFL) << 24);
        data = pos + 8;
      }
      if (length < 0 || data + length > b.length) {
        return 1;
      }
      if (name.equals(type)) {
        int start = data;
        int len = (int) length;
        if (len > 6 && tag(b, start).equals("Exif")) { // some writers keep JPEG's "Exif\0\0"
          start += 6;
          len -= 6;
        }
        return tiffOrientation(new ByteArrayInputStream(b, start, len));
      }
      if (png && name.equals("IEND")) {
        return 1;
      }
      pos = (int) (data + length + (png ? 4 : length % 2));
    }
    return 1;
  }

  private static int tiffOrientation(InputStream tiffBytes) throws IOException {
    try (ImageInputStream tiff = new MemoryCacheImageInputStream(tiffBytes)) {
      Directory dir = new TIFFReader().read(tiff);
      Entry e = dir.getEntryById(TIFF.TAG_ORIENTATION);
      return e != null && e.getValue() instanceof Number n ? n.intValue() : 1;
    }
  }

  private static String tag(byte[] b, int at) {
    return new String(
            b, at, Math.min(4, b.length - at), java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("\0", "");
  }

  /** Reads the raster as stored (no colour management), converting as Pillow does. */
  static Pixels convert(BufferedImage image, boolean grayscale) {
    int w = image.getWidth();
    int h = image.getHeight();
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    int outChannels = grayscale ? 1 : 3;
    byte[] out = new byte[w * h * outChannels];
    int[] rgb = new int[3];
    int[] row = null;
    int bands = raster.getNumBands();
    boolean indexed = cm instanceof IndexColorModel;
    boolean gray = !indexed && cm.getNumColorComponents() == 1 && raster.getNumBands() <= 2;
    boolean direct =
        !indexed && cm.getNumColorComponents() == 3 && cm.getColorSpace().isCS_sRGB() && bands >= 3;
    int shift = 0;
    if (gray || direct) {
      int bits = cm.getComponentSize(0);
      shift = Math.max(0, bits - 8);
    }
    boolean wide = raster.getTransferType() != DataBuffer.TYPE_BYTE && shift > 0;
    for (int y = 0; y < h; y++) {
      row = raster.getPixels(0, y, w, 1, row);
      for (int x = 0; x < w; x++) {
        if (indexed) {
          IndexColorModel icm = (IndexColorModel) cm;
          int idx = row[x * bands];
          rgb[0] = icm.getRed(idx);
          rgb[1] = icm.getGreen(idx);
          rgb[2] = icm.getBlue(idx);
        } else if (gray) {
          int v = scale(row[x * bands], shift, wide);
          rgb[0] = v;
          rgb[1] = v;
          rgb[2] = v;
        } else if (direct) {
          for (int c = 0; c < 3; c++) {
            rgb[c] = scale(row[x * bands + c], shift, wide);
          }
        } else {
          // Other colour spaces (e.g. CMYK that a reader left as is): Java's conversion to sRGB.
          int argb = image.getRGB(x, y);
          rgb[0] = (argb >> 16) & 0xFF;
          rgb[1] = (argb >> 8) & 0xFF;
          rgb[2] = argb & 0xFF;
        }
        int o = (y * w + x) * outChannels;
        if (grayscale) {
          out[o] =
              gray
                  ? (byte) rgb[0]
                  : (byte) ((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
        } else {
          out[o] = (byte) rgb[0];
          out[o + 1] = (byte) rgb[1];
          out[o + 2] = (byte) rgb[2];
        }
      }
    }
    return new Pixels(w, h, outChannels, out);
  }

  private static int scale(int v, int shift, boolean wide) {
    if (!wide) {
      return v & 0xFF;
    }
    int max = (1 << (shift + 8)) - 1;
    return (int) ((v * 255L + max / 2) / max);
  }
}
