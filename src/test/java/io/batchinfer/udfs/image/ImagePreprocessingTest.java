package io.batchinfer.udfs.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Image preprocessing against Pillow + NumPy: {@code src/test/python/image_fixtures.py} ran the
 * same steps on the same files (EXIF-rotated JPEG, PNG and WebP, RGBA PNG, greyscale PNG, palette
 * PNG, CMYK JPEG) and saved the tensors. Tolerances: PNG cases must match exactly (the resampler is
 * Pillow's fixed-point algorithm, the normalisation the same float32 operations); JPEG cases may
 * differ by the decoder (the JDK's libjpeg 6b vs Pillow's libjpeg-turbo: IDCT and chroma upsampling
 * rounding), at most {@link #JPEG_MAX_LEVELS} 8-bit levels per value and {@link #JPEG_MEAN_LEVELS}
 * on average.
 */
class ImagePreprocessingTest {
  static final Path DIR = Path.of("src/test/resources/images");

  /** Worst single-value difference allowed for JPEG cases, in 8-bit levels (before scaling). */
  static final double JPEG_MAX_LEVELS = 4;

  /** Mean absolute difference allowed for JPEG cases, in 8-bit levels. */
  static final double JPEG_MEAN_LEVELS = 1.0;

  static Stream<JsonNode> cases() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    new ObjectMapper().readTree(DIR.resolve("cases.json").toFile()).forEach(out::add);
    return out.stream();
  }

  /** Builds the spec from the fixture's options the way the planner resolves them. */
  static ImagePreprocessing spec(JsonNode o, JsonNode shape) {
    boolean gray = "grayscale".equals(o.path("mode").asText("rgb"));
    boolean nchw = "nchw".equals(o.path("layout").asText("nchw"));
    boolean uint8 = "uint8".equals(o.path("dtype").asText("float32"));
    int h = shape.get(nchw ? 1 : 0).asInt();
    int w = shape.get(nchw ? 2 : 1).asInt();
    ImagePreprocessing.Resize resize = ImagePreprocessing.Resize.NONE;
    int rh = 0;
    int rw = 0;
    if (o.has("fit")) {
      resize = ImagePreprocessing.Resize.FIT;
      rh = o.get("fit").get(0).asInt();
      rw = o.get("fit").get(1).asInt();
    } else if (o.has("resize") && o.get("resize").isInt()) {
      resize = ImagePreprocessing.Resize.SHORTER;
      rh = o.get("resize").asInt();
    } else if (o.has("resize")) {
      resize = ImagePreprocessing.Resize.EXACT;
      rh = o.get("resize").get(0).asInt();
      rw = o.get("resize").get(1).asInt();
    }
    int ch = 0;
    int cw = 0;
    if (o.has("crop")) {
      JsonNode c = o.get("crop");
      ch = c.isInt() ? c.asInt() : c.get(0).asInt();
      cw = c.isInt() ? c.asInt() : c.get(1).asInt();
    }
    return new ImagePreprocessing(
        gray,
        "bgr".equals(o.path("channel_order").asText()),
        resize,
        rh,
        rw,
        Interpolation.parse(o.path("interpolation").asText("bilinear")),
        ch,
        cw,
        o.path("pad_value").asInt(0),
        h,
        w,
        nchw,
        uint8,
        (float) o.path("scale").asDouble(1.0 / 255.0),
        floats(o.get("mean"), 0f),
        floats(o.get("std"), 1f));
  }

  private static float[] floats(JsonNode n, float dflt) {
    if (n == null) {
      return new float[] {dflt};
    }
    float[] f = new float[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) n.get(i).asDouble();
    }
    return f;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPillowAndNumpy(JsonNode c) throws Exception {
    ImagePreprocessing spec = spec(c.get("options"), c.get("shape"));
    byte[] image = Files.readAllBytes(DIR.resolve(c.get("image").asText()));
    ByteBuffer actual = ByteBuffer.allocate(spec.rowBytes()).order(ByteOrder.nativeOrder());
    spec.write(spec.apply(image), actual);
    byte[] expectedBytes = Files.readAllBytes(DIR.resolve(c.get("name").asText() + ".bin"));
    assertThat(expectedBytes).hasSize(spec.rowBytes());
    ByteBuffer expected = ByteBuffer.wrap(expectedBytes).order(ByteOrder.LITTLE_ENDIAN);
    boolean jpeg = c.get("image").asText().endsWith(".jpg");
    int n = spec.uint8() ? spec.rowBytes() : spec.rowBytes() / 4;
    // Differences are compared in 8-bit levels: a float value's level is its inverse normalisation.
    float[] std = spec.std();
    double max = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double diff;
      if (spec.uint8()) {
        diff = Math.abs((actual.get(i) & 0xFF) - (expected.get(i) & 0xFF));
      } else {
        int channel = spec.nchw() ? i / (spec.height() * spec.width()) : i % spec.channels();
        double s = std[std.length == 1 ? 0 : channel];
        diff =
            Math.abs(actual.getFloat(i * 4) - expected.getFloat(i * 4))
                * Math.abs(s)
                / spec.scale();
      }
      max = Math.max(max, diff);
      sum += diff;
    }
    double mean = sum / n;
    System.out.printf(
        "%s: %d values, max diff %.4f levels, mean %.4f levels%n",
        c.get("name").asText(), n, max, mean);
    if (jpeg) {
      assertThat(max).as("max difference in 8-bit levels").isLessThanOrEqualTo(JPEG_MAX_LEVELS);
      assertThat(mean).as("mean difference in 8-bit levels").isLessThanOrEqualTo(JPEG_MEAN_LEVELS);
    } else {
      // Same bytes after resampling; float32 results equal up to the last bit of (x*s - m) / d.
      assertThat(max).as("max difference in 8-bit levels").isLessThan(1e-3);
    }
  }

  @Test
  void exifOrientationSixIsRotatedClockwise() throws Exception {
    byte[] jpeg = Files.readAllBytes(DIR.resolve("astronaut-exif6.jpg"));
    assertThat(ImageDecoder.orientation(jpeg)).isEqualTo(6);
    Pixels p = ImageDecoder.decode(jpeg, false);
    // Stored 40 wide x 30 high; displayed rotated: 30 wide x 40 high.
    assertThat(p.width()).isEqualTo(30);
    assertThat(p.height()).isEqualTo(40);
  }

  @Test
  void readsExifOrientationFromPngAndWebpChunks() throws Exception {
    assertThat(ImageDecoder.orientation(Files.readAllBytes(DIR.resolve("coffee-exif8.png"))))
        .isEqualTo(8);
    assertThat(ImageDecoder.orientation(Files.readAllBytes(DIR.resolve("coffee-exif3.webp"))))
        .isEqualTo(3);
    assertThat(ImageDecoder.orientation(Files.readAllBytes(DIR.resolve("chelsea-gray.png"))))
        .isEqualTo(1);
  }

  @Test
  void scalesSixteenBitChannelsToEightBits() throws Exception {
    // A 16-bit greyscale PNG written by the JDK: each value v becomes round(v * 255 / 65535).
    int[] values = {0, 128, 257, 32767, 32768, 65280, 65535};
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(
            values.length, 1, java.awt.image.BufferedImage.TYPE_USHORT_GRAY);
    for (int x = 0; x < values.length; x++) {
      img.getRaster().setSample(x, 0, 0, values[x]);
    }
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "png", png);
    Pixels p = ImageDecoder.decode(png.toByteArray(), true);
    for (int x = 0; x < values.length; x++) {
      assertThat(p.at(x, 0, 0))
          .as("value " + values[x])
          .isEqualTo((int) Math.round(values[x] * 255.0 / 65535));
    }
  }

  @Test
  void orientationsMapPixelsAsPillowTransposes() {
    // 3 x 2 image with values 0..5: row 0 = 0 1 2, row 1 = 3 4 5.
    Pixels p = new Pixels(3, 2, 1, new byte[] {0, 1, 2, 3, 4, 5});
    assertThat(p.oriented(2).data()).containsExactly(2, 1, 0, 5, 4, 3); // mirror
    assertThat(p.oriented(3).data()).containsExactly(5, 4, 3, 2, 1, 0); // 180
    assertThat(p.oriented(4).data()).containsExactly(3, 4, 5, 0, 1, 2); // flip
    assertThat(p.oriented(5).data()).containsExactly(0, 3, 1, 4, 2, 5); // transpose
    assertThat(p.oriented(6).data()).containsExactly(3, 0, 4, 1, 5, 2); // 90 clockwise
    assertThat(p.oriented(7).data()).containsExactly(5, 2, 4, 1, 3, 0); // transverse
    assertThat(p.oriented(8).data()).containsExactly(2, 5, 1, 4, 0, 3); // 90 counter-clockwise
  }

  @Test
  void rejectsBytesThatAreNoImage() throws Exception {
    byte[] text = Files.readAllBytes(DIR.resolve("not-an-image.jpg"));
    assertThatThrownBy(() -> ImageDecoder.decode(text, false))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("not an image in a known format")
        .hasMessageContaining("png");
    byte[] truncated = Files.readAllBytes(DIR.resolve("truncated.png"));
    assertThatThrownBy(() -> ImageDecoder.decode(truncated, false))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("cannot decode the image (60 bytes)");
    assertThatThrownBy(() -> ImageDecoder.decode(new byte[0], true))
        .hasMessageContaining("empty value");
  }

  @Test
  void registersTheTwelveMonkeysReaders() throws Exception {
    assertThat(ImageDecoder.formats()).contains("jpeg", "png", "gif", "bmp", "tiff", "webp");
    // JPEG goes to TwelveMonkeys' reader (CMYK/YCCK, broken ICC profiles), ahead of the JDK's.
    assertThat(ImageDecoder.readerClass(Files.readAllBytes(DIR.resolve("astronaut-exif6.jpg"))))
        .isEqualTo("com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReader");
    assertThat(ImageDecoder.readerClass(Files.readAllBytes(DIR.resolve("not-an-image.jpg"))))
        .isNull();
  }
}
