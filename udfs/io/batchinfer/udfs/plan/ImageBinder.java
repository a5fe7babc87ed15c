package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.ImageInput;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.InputLayout;
import io.batchinfer.udfs.codec.SourceKind;
import io.batchinfer.udfs.image.ImagePreprocessing;
import io.batchinfer.udfs.image.Interpolation;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: binds image inputs ({@code inputs.<name>.image}) to a binary column and a rank-4
 * model input ({@code [N, C, H, W]} or {@code [N, H, W, C]}, float32 or uint8), resolving every
 * default from the model's shape and checking that the preprocessing produces exactly the size the
 * model takes. Records problems instead of throwing; one instance per planning pass.
 */
final class ImageBinder {
  /** torchvision's {@code ToTensor}: 0-255 to 0-1. */
  static final double SCALE_DEFAULT = 1.0 / 255.0;

  private final ModelSignature signature;
  private final StructType schema;
  private final Problems problems;

  ImageBinder(ModelSignature signature, StructType schema, Problems problems) {
    this.signature = signature;
    this.schema = schema;
    this.problems = problems;
  }

  /**
   * @return a binding per valid image mapping
   */
  List<InputBinding> bind(Map<String, InputMapping> inputs) {
    List<InputBinding> out = new ArrayList<>();
    for (Map.Entry<String, InputMapping> e : inputs.entrySet()) {
      ImageInput image = e.getValue().image();
      if (image == null) {
        continue;
      }
      String key = "inputs." + e.getKey();
      if (e.getValue().columns() != null
          || e.getValue().column() != null
          || e.getValue().text() != null) {
        problems.add(
            key
                + ": set only one of 'columns', 'column', 'text' and 'image'; an image input reads"
                + " its column from image.column.");
        continue;
      }
      TensorSpec spec = signature.inputs().get(e.getKey());
      if (spec == null) {
        if (!signature.unsupported().containsKey(e.getKey())) {
          problems.add(
              key
                  + ": the model has no input '"
                  + e.getKey()
                  + "'; model inputs: "
                  + InferencePlanner.describeAll(signature.inputs())
                  + "."
                  + Problems.didYouMean(e.getKey(), signature.inputs().keySet()));
        }
        continue;
      }
      InputBinding b = bind(key + ".image", spec, e.getValue().type(), image);
      if (b != null) {
        out.add(b);
      }
    }
    return out;
  }

  private InputBinding bind(String key, TensorSpec spec, String assertedType, ImageInput in) {
    int before = problems.size();
    // Column
    List<String> available = Arrays.asList(schema.fieldNames());
    if (in.column() == null || in.column().isBlank()) {
      problems.add(
          key
              + ".column: missing; name the binary column holding the encoded images (with"
              + " input.format: binaryFile it is 'content').");
    } else if (!available.contains(in.column())) {
      problems.add(
          key
              + ".column: column '"
              + in.column()
              + "' not found in input; available: "
              + available
              + "."
              + Problems.didYouMean(in.column(), available));
    } else if (!(schema.apply(in.column()).dataType() instanceof BinaryType)) {
      problems.add(
          key
              + ".column: column '"
              + in.column()
              + "' is "
              + schema.apply(in.column()).dataType().simpleString()
              + "; image inputs need a binary column of encoded image bytes (Parquet binary, or"
              + " 'content' of input.format: binaryFile).");
    }
    // Element type
    ElementType type = spec.type();
    boolean uint8 = type == ElementType.UINT8;
    if (type != ElementType.FLOAT32 && !uint8) {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' is "
              + spec.describe()
              + "; image inputs feed float32 or uint8 tensors. Re-export the model with one of"
              + " those.");
      return null;
    }
    for (String[] t : new String[][] {{"dtype", in.dtype()}, {null, assertedType}}) {
      if (t[1] != null && ElementType.parse(t[1]) != type) {
        problems.add(
            (t[0] == null
                    ? key.substring(0, key.length() - ".image".length()) + ".type"
                    : key + "." + t[0])
                + ": model input '"
                + spec.name()
                + "' is "
                + type
                + " but the config says '"
                + t[1]
                + "'. Check that the right model is configured, or fix the value.");
      }
    }
    // Shape
    if (spec.rank() != 4 || spec.dim(0) > 1) {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' expects "
              + spec.describe()
              + "; image inputs need [batch, channels, height, width] (NCHW) or [batch, height,"
              + " width, channels] (NHWC) with a free batch dimension or a batch of 1.");
      return null;
    }
    long d1 = spec.dim(1);
    long d3 = spec.dim(3);
    Boolean nchw = null;
    if (in.layout() != null) {
      String l = in.layout().trim().toLowerCase(Locale.ROOT);
      if (l.equals("nchw") || l.equals("nhwc")) {
        nchw = l.equals("nchw");
      } else {
        problems.add(key + ".layout: unknown layout '" + in.layout() + "'; expected nchw or nhwc.");
        return null;
      }
    } else {
      nchw = !(isChannels(d3) && !isChannels(d1));
    }
    long channelDim = nchw ? d1 : d3;
    long modelH = nchw ? spec.dim(2) : d1;
    long modelW = nchw ? d3 : spec.dim(2);
    Boolean grayscale = null;
    if (in.mode() != null) {
      String m = in.mode().trim().toLowerCase(Locale.ROOT);
      if (m.equals("rgb") || m.equals("grayscale")) {
        grayscale = m.equals("grayscale");
      } else {
        problems.add(key + ".mode: unknown mode '" + in.mode() + "'; expected rgb or grayscale.");
        return null;
      }
    } else {
      grayscale = channelDim == 1;
    }
    int channels = grayscale ? 1 : 3;
    if (channelDim >= 0 && channelDim != channels) {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' expects "
              + spec.describe()
              + ", so "
              + channelDim
              + " channel"
              + (channelDim == 1 ? "" : "s")
              + " in "
              + (nchw ? "NCHW" : "NHWC")
              + ", but mode "
              + (grayscale ? "grayscale" : "rgb")
              + " gives "
              + channels
              + ". "
              + (channelDim == 1 || channelDim == 3
                  ? "Set mode: " + (channelDim == 1 ? "grayscale" : "rgb") + "."
                  : "Check layout (nchw or nhwc).")
              + "");
      return null;
    }
    boolean bgr = false;
    if (in.channelOrder() != null) {
      String c = in.channelOrder().trim().toLowerCase(Locale.ROOT);
      if (!c.equals("rgb") && !c.equals("bgr")) {
        problems.add(
            key
                + ".channel_order: unknown order '"
                + in.channelOrder()
                + "'; expected rgb or bgr.");
      } else if (c.equals("bgr") && grayscale) {
        problems.add(
            key + ".channel_order: bgr needs colour images; remove it for mode grayscale.");
      }
      bgr = c.equals("bgr");
    }
    Interpolation interpolation = Interpolation.BILINEAR;
    if (in.interpolation() != null) {
      interpolation = Interpolation.parse(in.interpolation());
      if (interpolation == null) {
        problems.add(
            key
                + ".interpolation: unknown filter '"
                + in.interpolation()
                + "'; expected one of "
                + Arrays.toString(Interpolation.values())
                + ".");
        return null;
      }
    }
    ImageGeometry geometry = ImageGeometry.resolve(key, in, spec, modelH, modelW, problems);
    if (geometry == null) {
      return null;
    }
    // Normalisation
    float scale = (float) (in.scale() == null ? SCALE_DEFAULT : in.scale());
    float[] mean = perChannel(key + ".mean", in.mean(), 0f, channels);
    float[] std = perChannel(key + ".std", in.std(), 1f, channels);
    if (uint8 && (in.scale() != null || in.mean() != null || in.std() != null)) {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' is uint8, so the 0-255 pixel values go in unchanged; remove scale, mean and std"
              + " (they apply to float32 inputs).");
    }
    if (std != null) {
      for (int i = 0; i < std.length; i++) {
        if (std[i] == 0f || !Float.isFinite(std[i])) {
          problems.add(
              key + ".std[" + i + "]: must be a finite non-zero number; found " + std[i] + ".");
        }
      }
    }
    if (!Float.isFinite(scale) || scale == 0f) {
      problems.add(key + ".scale: must be a finite non-zero number; found " + in.scale() + ".");
    }
    if (problems.size() > before) {
      return null;
    }
    ImagePreprocessing p =
        new ImagePreprocessing(
            grayscale,
            bgr,
            geometry.resize(),
            geometry.resizeHeight(),
            geometry.resizeWidth(),
            interpolation,
            geometry.cropHeight(),
            geometry.cropWidth(),
            geometry.padValue(),
            geometry.height(),
            geometry.width(),
            nchw,
            uint8,
            scale,
            mean,
            std);
    return new InputBinding(
        spec.name(),
        type,
        InputLayout.IMAGE,
        new String[] {in.column()},
        new int[] {schema.fieldIndex(in.column())},
        new SourceKind[] {null},
        new DecimalType[] {null},
        p.rowShape(),
        true,
        false,
        p);
  }

  private static boolean isChannels(long d) {
    return d == 1 || d == 3;
  }

  private float[] perChannel(String key, List<Double> values, float dflt, int channels) {
    if (values == null) {
      return new float[] {dflt};
    }
    if (values.size() != 1 && values.size() != channels) {
      problems.add(
          key
              + ": expected 1 value or "
              + channels
              + " (one per channel, in the tensor's channel order); found "
              + values.size()
              + ": "
              + values
              + ".");
      return null;
    }
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      if (values.get(i) == null) {
        problems.add(key + "[" + i + "]: null; give a number.");
        return null;
      }
      out[i] = values.get(i).floatValue();
    }
    return out;
  }
}
