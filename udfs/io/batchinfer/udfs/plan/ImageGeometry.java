package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.ImageInput;
import io.batchinfer.udfs.image.ImagePreprocessing;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.List;

/**
 * Driver only: the sizes of an image input ({@code resize}, {@code crop}, {@code fit}, {@code
 * pad_value}) resolved against the model's height and width: how the image is resized, cropped and
 * padded, and the output size, which must be fixed (one tensor per batch) and equal to the model's
 * where it is fixed. Immutable.
 *
 * @param resize how the image is resized
 * @param resizeHeight target height (exact, fit) or the shorter side (shorter)
 * @param resizeWidth target width (exact, fit)
 * @param cropHeight centre-crop height, or 0
 * @param cropWidth centre-crop width, or 0
 * @param padValue value of padded pixels
 * @param height output height
 * @param width output width
 */
record ImageGeometry(
    ImagePreprocessing.Resize resize,
    int resizeHeight,
    int resizeWidth,
    int cropHeight,
    int cropWidth,
    int padValue,
    int height,
    int width) {

  /**
   * @return the geometry, or null with the problems recorded (naming {@code key}'s sub-keys)
   */
  static ImageGeometry resolve(
      String key, ImageInput in, TensorSpec spec, long modelH, long modelW, Problems problems) {
    int before = problems.size();
    int[] resize = size(problems, key + ".resize", in.resize(), true);
    int[] crop = size(problems, key + ".crop", in.crop(), false);
    int[] fit = size(problems, key + ".fit", in.fit(), false);
    if (problems.size() > before) {
      return null;
    }
    if (fit != null && (resize != null || crop != null)) {
      problems.add(
          key
              + ".fit: set either fit (keep the aspect, pad) or resize/crop, not both; remove "
              + (resize != null ? "resize" : "crop")
              + " or fit.");
      return null;
    }
    int padValue = in.padValue() == null ? 0 : in.padValue();
    if (padValue < 0 || padValue > 255) {
      problems.add(key + ".pad_value: must be 0-255 (a pixel value); found " + padValue + ".");
    }
    ImagePreprocessing.Resize mode;
    int rh = 0;
    int rw = 0;
    if (fit != null) {
      mode = ImagePreprocessing.Resize.FIT;
      rh = fit[0];
      rw = fit[1];
    } else if (resize != null && resize.length == 1) {
      mode = ImagePreprocessing.Resize.SHORTER;
      rh = resize[0];
    } else if (resize != null) {
      mode = ImagePreprocessing.Resize.EXACT;
      rh = resize[0];
      rw = resize[1];
    } else if (crop == null && modelH > 0 && modelW > 0) {
      // Nothing said: resize to what the model takes.
      mode = ImagePreprocessing.Resize.EXACT;
      rh = (int) modelH;
      rw = (int) modelW;
    } else {
      mode = ImagePreprocessing.Resize.NONE;
    }
    int outH;
    int outW;
    if (crop != null) {
      outH = crop[0];
      outW = crop[1];
    } else if (mode == ImagePreprocessing.Resize.EXACT || mode == ImagePreprocessing.Resize.FIT) {
      outH = rh;
      outW = rw;
    } else {
      problems.add(
          key
              + ": images of different sizes cannot make one tensor, and model input '"
              + spec.name()
              + "' ("
              + spec.describe()
              + ") "
              + (modelH > 0 && modelW > 0 ? "takes " + modelH + " x " + modelW : "has a free size")
              + "; set crop (e.g. crop: "
              + (modelH > 0 ? modelH : 224)
              + "), resize: [height, width] or fit: [height, width].");
      return null;
    }
    if ((modelH > 0 && modelH != outH) || (modelW > 0 && modelW != outW)) {
      problems.add(
          key
              + ": the preprocessing gives "
              + outH
              + " x "
              + outW
              + " (height x width) but model input '"
              + spec.name()
              + "' expects "
              + spec.describe()
              + ", i.e. "
              + (modelH > 0 ? modelH : "any")
              + " x "
              + (modelW > 0 ? modelW : "any")
              + ". Set "
              + (crop != null ? "crop" : fit != null ? "fit" : "resize")
              + " to ["
              + (modelH > 0 ? modelH : outH)
              + ", "
              + (modelW > 0 ? modelW : outW)
              + "].");
      return null;
    }
    if (problems.size() > before) {
      return null;
    }
    return new ImageGeometry(
        mode, rh, rw, crop == null ? 0 : crop[0], crop == null ? 0 : crop[1], padValue, outH, outW);
  }

  /**
   * @return {@code [n]} or {@code [height, width]} (one number means a square unless {@code
   *     shorterSide}), or null when unset or wrong (problem recorded)
   */
  private static int[] size(
      Problems problems, String key, List<Integer> values, boolean shorterSide) {
    if (values == null) {
      return null;
    }
    if (values.isEmpty() || values.size() > 2 || values.stream().anyMatch(v -> v == null)) {
      problems.add(
          key
              + ": expected one number"
              + (shorterSide ? " (the shorter side)" : " (a square)")
              + " or [height, width]; found "
              + values
              + ".");
      return null;
    }
    for (int v : values) {
      if (v < 1 || v > 65_535) {
        problems.add(key + ": sizes are pixels, 1 to 65535; found " + values + ".");
        return null;
      }
    }
    if (values.size() == 1) {
      return shorterSide ? new int[] {values.get(0)} : new int[] {values.get(0), values.get(0)};
    }
    return new int[] {values.get(0), values.get(1)};
  }
}
