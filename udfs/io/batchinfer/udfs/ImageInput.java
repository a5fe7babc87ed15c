package io.batchinfer.udfs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A binary column of encoded images (JPEG, PNG, GIF, BMP, TIFF, WebP) decoded and preprocessed into
 * one image model input ({@code inputs.<name>.image} in the job config): decode, orient by EXIF,
 * convert to RGB or greyscale, resize, centre-crop or fit, channel order, scale, mean and std, NCHW
 * or NHWC. A null component takes its default (see {@code conf/README.md}); planning checks every
 * value against the model input and names the key of a wrong one. Immutable.
 *
 * @param column the binary column holding the encoded images (e.g. {@code content} of Spark's
 *     {@code binaryFile} source)
 * @param mode {@code rgb} or {@code grayscale}; default from the model's channel dimension (1:
 *     grayscale, else rgb)
 * @param resize one number: the shorter side's length, aspect kept; two: {@code [height, width]}
 *     exactly
 * @param crop one number (a square) or {@code [height, width]}: centre crop after resizing
 * @param fit {@code [height, width]} (or one number): keep the aspect ratio, fit the whole image
 *     inside and pad the rest with {@code padValue}; instead of resize and crop
 * @param padValue 0-255, for pixels added by fit or by a crop larger than the image; default 0
 * @param interpolation {@code bilinear} (default), {@code bicubic}, {@code box}, {@code hamming},
 *     {@code lanczos}: Pillow's filters
 * @param channelOrder {@code rgb} (default) or {@code bgr}
 * @param layout {@code nchw} or {@code nhwc}; default from the model's shape (NCHW when unclear)
 * @param scale multiplies each 0-255 value first; default 1/255 (float32 inputs only)
 * @param mean subtracted after scaling, one value or one per channel in the tensor's channel order;
 *     default 0
 * @param std divides last, one value or one per channel; default 1
 * @param dtype {@code float32} or {@code uint8}: asserts the model input's element type; default
 *     the model's
 */
public record ImageInput(
    String column,
    String mode,
    List<Integer> resize,
    List<Integer> crop,
    List<Integer> fit,
    Integer padValue,
    String interpolation,
    String channelOrder,
    String layout,
    Double scale,
    List<Double> mean,
    List<Double> std,
    String dtype) {
  /** Copies the lists (null elements are kept: planning reports them naming the key). */
  public ImageInput {
    resize = copy(resize);
    crop = copy(crop);
    fit = copy(fit);
    mean = copy(mean);
    std = copy(std);
  }

  private static <T> List<T> copy(List<T> list) {
    return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /**
   * @return an image input reading {@code column}, every option at its default
   */
  public static ImageInput of(String column) {
    return new ImageInput(
        column, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /**
   * @return this input with the colour mode ({@code rgb} or {@code grayscale})
   */
  public ImageInput withMode(String mode) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input resizing the shorter side to {@code shorterSide}, keeping the aspect ratio
   */
  public ImageInput withResize(int shorterSide) {
    return withResize(List.of(shorterSide));
  }

  /**
   * @return this input resizing to exactly {@code height} x {@code width}
   */
  public ImageInput withResize(int height, int width) {
    return withResize(List.of(height, width));
  }

  private ImageInput withResize(List<Integer> r) {
    return new ImageInput(
        column,
        mode,
        r,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input centre-cropping {@code height} x {@code width} after resizing
   */
  public ImageInput withCrop(int height, int width) {
    return new ImageInput(
        column,
        mode,
        resize,
        List.of(height, width),
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input fitting the image into {@code height} x {@code width}, padded
   */
  public ImageInput withFit(int height, int width, int padValue) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        List.of(height, width),
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input with another resampling filter
   */
  public ImageInput withInterpolation(String interpolation) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input with the channel order ({@code rgb} or {@code bgr})
   */
  public ImageInput withChannelOrder(String channelOrder) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input with the tensor layout ({@code nchw} or {@code nhwc})
   */
  public ImageInput withLayout(String layout) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        mean,
        std,
        dtype);
  }

  /**
   * @return this input computing {@code (x * scale - mean[c]) / std[c]}
   */
  public ImageInput withNormalization(double scale, double[] mean, double[] std) {
    return new ImageInput(
        column,
        mode,
        resize,
        crop,
        fit,
        padValue,
        interpolation,
        channelOrder,
        layout,
        scale,
        Arrays.stream(mean).boxed().toList(),
        Arrays.stream(std).boxed().toList(),
        dtype);
  }
}
