package io.batchinfer.udfs.codec;

import ai.onnxruntime.platform.Fp16Conversions;
import io.batchinfer.udfs.model.ElementType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.DecimalType;

/**
 * Casts one Spark value to a tensor element type and appends it to a native-order buffer, without
 * boxing. Conversions that would change the value (a fraction or an out-of-range number into an
 * integer type) are refused with a reason instead of silently truncated. Stateless.
 */
final class ValueWriter {
  /**
   * Smallest magnitude that rounds to Infinity in float16 (65504 is the largest finite value; 65520
   * rounds up).
   */
  private static final double FP16_OVERFLOW = 65520.0;

  private ValueWriter() {}

  /**
   * Appends the value at {@code ordinal} of {@code src} to {@code buf} as {@code target}.
   *
   * @param allowNan whether NaN and ±Infinity may reach the model ({@code errors.allow_nan})
   * @return {@code null} on success, else why the value cannot be cast (nothing is written; the
   *     problem's column is left for the caller to fill)
   */
  static RowProblem put(
      ByteBuffer buf,
      ElementType target,
      SpecializedGetters src,
      int ordinal,
      SourceKind kind,
      DecimalType decimalType,
      boolean allowNan) {
    if (kind.isIntegral()) {
      long v = kind.readLong(src, ordinal);
      switch (target) {
        case FLOAT32:
          buf.putFloat(v);
          return null;
        case FLOAT64:
          buf.putDouble(v);
          return null;
        case FLOAT16:
          buf.putShort(Fp16Conversions.floatToFp16(v));
          return null;
        case BFLOAT16:
          buf.putShort(Fp16Conversions.floatToBf16(v));
          return null;
        case BOOL:
          buf.put((byte) (v != 0 ? 1 : 0));
          return null;
        default:
          return putIntegral(buf, target, v);
      }
    }
    if (kind == SourceKind.DECIMAL && target.isInteger()) {
      // Exact: a decimal(38, 0) id does not fit a double's 53 bits.
      BigDecimal dec =
          src.getDecimal(ordinal, decimalType.precision(), decimalType.scale()).toJavaBigDecimal();
      if (dec.signum() != 0 && dec.stripTrailingZeros().scale() > 0) {
        return new RowProblem(
            RowProblem.NOT_INTEGER,
            null,
            "value "
                + dec.toPlainString()
                + " is not a whole number, but the model takes "
                + target);
      }
      if (dec.compareTo(BigDecimal.valueOf(target.minValue())) < 0
          || dec.compareTo(BigDecimal.valueOf(target.maxValue())) > 0) {
        return new RowProblem(
            RowProblem.OUT_OF_RANGE,
            null,
            "value "
                + dec.toPlainString()
                + " is out of the range of "
                + target
                + " ["
                + target.minValue()
                + ", "
                + target.maxValue()
                + "]");
      }
      return putIntegral(buf, target, dec.longValueExact());
    }
    double d = kind.readDouble(src, ordinal, decimalType);
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      if (!allowNan || target.isInteger() || target == ElementType.BOOL) {
        return new RowProblem(
            RowProblem.NAN_VALUE,
            null,
            "value "
                + d
                + (target.isFloatingPoint()
                    ? " is not a finite number; set errors.allow_nan: true if the model treats NaN as missing"
                    : " cannot be cast to " + target));
      }
    }
    if (Double.isFinite(d)
        && (target == ElementType.FLOAT32 || target == ElementType.BFLOAT16
            ? Float.isInfinite((float) d)
            : target == ElementType.FLOAT16 && Math.abs(d) >= FP16_OVERFLOW)) {
      return new RowProblem(
          RowProblem.OUT_OF_RANGE,
          null,
          "value " + d + " is out of the range of " + target + " (it would become Infinity)");
    }
    switch (target) {
      case FLOAT32:
        buf.putFloat((float) d);
        return null;
      case FLOAT64:
        buf.putDouble(d);
        return null;
      case FLOAT16:
        buf.putShort(Fp16Conversions.floatToFp16((float) d));
        return null;
      case BFLOAT16:
        buf.putShort(Fp16Conversions.floatToBf16((float) d));
        return null;
      case BOOL:
        buf.put((byte) (d != 0 ? 1 : 0));
        return null;
      default:
        if (d != Math.rint(d) || Double.isInfinite(d)) {
          return new RowProblem(
              RowProblem.NOT_INTEGER,
              null,
              "value " + d + " is not a whole number, but the model takes " + target);
        }
        // maxValue() + 1.0: (double) Long.MAX_VALUE rounds up to 2^63, which does not fit an int64.
        if (d < target.minValue() || d >= target.maxValue() + 1.0) {
          return new RowProblem(
              RowProblem.OUT_OF_RANGE, null, "value " + d + " is out of the range of " + target);
        }
        return putIntegral(buf, target, (long) d);
    }
  }

  private static RowProblem putIntegral(ByteBuffer buf, ElementType target, long v) {
    if (v < target.minValue() || v > target.maxValue()) {
      return new RowProblem(
          RowProblem.OUT_OF_RANGE,
          null,
          "value "
              + v
              + " is out of the range of "
              + target
              + " ["
              + target.minValue()
              + ", "
              + target.maxValue()
              + "]");
    }
    switch (target) {
      case INT8:
      case UINT8:
        buf.put((byte) v);
        return null;
      case INT16:
        buf.putShort((short) v);
        return null;
      case INT32:
        buf.putInt((int) v);
        return null;
      case INT64:
        buf.putLong(v);
        return null;
      default:
        throw new IllegalStateException("not an integer type: " + target);
    }
  }
}
