package io.batchinfer.udfs.codec;

import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;

/**
 * How to read one scalar Spark value without boxing: the Spark SQL leaf types an input codec
 * accepts. Stateless.
 */
public enum SourceKind {
  BOOLEAN,
  BYTE,
  SHORT,
  INT,
  LONG,
  FLOAT,
  DOUBLE,
  DECIMAL,
  STRING;

  /**
   * @return the kind for a Spark leaf type, or {@code null} if the type cannot feed a tensor
   */
  public static SourceKind of(DataType type) {
    if (type instanceof BooleanType) {
      return BOOLEAN;
    } else if (type instanceof ByteType) {
      return BYTE;
    } else if (type instanceof ShortType) {
      return SHORT;
    } else if (type instanceof IntegerType) {
      return INT;
    } else if (type instanceof LongType) {
      return LONG;
    } else if (type instanceof FloatType) {
      return FLOAT;
    } else if (type instanceof DoubleType) {
      return DOUBLE;
    } else if (type instanceof DecimalType) {
      return DECIMAL;
    } else if (type instanceof StringType) {
      return STRING;
    }
    return null;
  }

  /**
   * @return true when values are read as {@code long} (exact); false for floating values
   */
  public boolean isIntegral() {
    return this == BOOLEAN || this == BYTE || this == SHORT || this == INT || this == LONG;
  }

  /** Reads an integral value at {@code ordinal}; only for {@link #isIntegral()} kinds. */
  long readLong(SpecializedGetters src, int ordinal) {
    switch (this) {
      case BOOLEAN:
        return src.getBoolean(ordinal) ? 1L : 0L;
      case BYTE:
        return src.getByte(ordinal);
      case SHORT:
        return src.getShort(ordinal);
      case INT:
        return src.getInt(ordinal);
      case LONG:
        return src.getLong(ordinal);
      default:
        throw new IllegalStateException("not integral: " + this);
    }
  }

  /** Reads a floating value at {@code ordinal}; decimals are read with {@code type}'s precision. */
  double readDouble(SpecializedGetters src, int ordinal, DecimalType type) {
    switch (this) {
      case FLOAT:
        return src.getFloat(ordinal);
      case DOUBLE:
        return src.getDouble(ordinal);
      case DECIMAL:
        return src.getDecimal(ordinal, type.precision(), type.scale()).toDouble();
      default:
        return readLong(src, ordinal);
    }
  }
}
