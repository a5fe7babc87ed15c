package io.batchinfer.udfs.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import java.util.Locale;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * The tensor element types batchinfer reads and writes: every type ONNX Runtime Java can create a
 * tensor of. Names follow ONNX notation ({@code float32}, {@code uint8}, ...).
 *
 * <p>Spark has no unsigned or half-precision types, so outputs are widened losslessly: {@code
 * uint8} to {@code smallint}, {@code float16} and {@code bfloat16} to {@code float}. Immutable.
 */
public enum ElementType {
  FLOAT32("float32", OnnxJavaType.FLOAT, 4, DataTypes.FloatType),
  FLOAT64("float64", OnnxJavaType.DOUBLE, 8, DataTypes.DoubleType),
  FLOAT16("float16", OnnxJavaType.FLOAT16, 2, DataTypes.FloatType),
  BFLOAT16("bfloat16", OnnxJavaType.BFLOAT16, 2, DataTypes.FloatType),
  INT8("int8", OnnxJavaType.INT8, 1, DataTypes.ByteType),
  UINT8("uint8", OnnxJavaType.UINT8, 1, DataTypes.ShortType),
  INT16("int16", OnnxJavaType.INT16, 2, DataTypes.ShortType),
  INT32("int32", OnnxJavaType.INT32, 4, DataTypes.IntegerType),
  INT64("int64", OnnxJavaType.INT64, 8, DataTypes.LongType),
  BOOL("bool", OnnxJavaType.BOOL, 1, DataTypes.BooleanType),
  STRING("string", OnnxJavaType.STRING, 0, DataTypes.StringType);

  private final String onnxName;
  private final OnnxJavaType javaType;
  private final int byteSize;
  private final DataType sparkType;

  ElementType(String onnxName, OnnxJavaType javaType, int byteSize, DataType sparkType) {
    this.onnxName = onnxName;
    this.javaType = javaType;
    this.byteSize = byteSize;
    this.sparkType = sparkType;
  }

  /**
   * @return the ONNX name, e.g. {@code float32}
   */
  public String onnxName() {
    return onnxName;
  }

  /**
   * @return the ONNX Runtime Java type used to create tensors of this type
   */
  public OnnxJavaType javaType() {
    return javaType;
  }

  /**
   * @return bytes per element in a tensor buffer (0 for strings)
   */
  public int byteSize() {
    return byteSize;
  }

  /**
   * @return the Spark SQL type an output element of this type is written as
   */
  public DataType sparkType() {
    return sparkType;
  }

  /**
   * @return true for float32, float64, float16 and bfloat16
   */
  public boolean isFloatingPoint() {
    return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
  }

  /**
   * @return true for the integer types (not bool)
   */
  public boolean isInteger() {
    return this == INT8 || this == UINT8 || this == INT16 || this == INT32 || this == INT64;
  }

  /** Smallest value an integer type holds (for range checks before narrowing). */
  public long minValue() {
    switch (this) {
      case INT8:
        return Byte.MIN_VALUE;
      case UINT8:
        return 0;
      case INT16:
        return Short.MIN_VALUE;
      case INT32:
        return Integer.MIN_VALUE;
      default:
        return Long.MIN_VALUE;
    }
  }

  /** Largest value an integer type holds (for range checks before narrowing). */
  public long maxValue() {
    switch (this) {
      case INT8:
        return Byte.MAX_VALUE;
      case UINT8:
        return 255;
      case INT16:
        return Short.MAX_VALUE;
      case INT32:
        return Integer.MAX_VALUE;
      default:
        return Long.MAX_VALUE;
    }
  }

  /**
   * Maps ONNX Runtime's tensor element type.
   *
   * @return the element type, or {@code null} when ONNX Runtime Java cannot create tensors of it
   *     (uint16, uint32, uint64, complex, float8 ...)
   */
  public static ElementType fromOnnx(OnnxTensorType type) {
    switch (type) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
        return FLOAT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
        return FLOAT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
        return FLOAT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
        return BFLOAT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
        return INT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
        return UINT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
        return INT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        return INT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
        return INT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return BOOL;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
        return STRING;
      default:
        return null;
    }
  }

  /**
   * Parses an ONNX type name as users write it in config ({@code float32}, {@code float}, {@code
   * double}, {@code int64}, ...).
   *
   * @return the type, or {@code null} when the name is unknown
   */
  public static ElementType parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "float":
        return FLOAT32;
      case "double":
        return FLOAT64;
      case "half":
        return FLOAT16;
      case "boolean":
        return BOOL;
      default:
        for (ElementType t : values()) {
          if (t.onnxName.equals(n)) {
            return t;
          }
        }
        return null;
    }
  }

  @Override
  public String toString() {
    return onnxName;
  }
}
