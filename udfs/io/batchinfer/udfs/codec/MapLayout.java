package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.model.ElementType;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * How an ONNX-ML map output (one map per run) or sequence-of-maps output (one map per row, what
 * ZipMap returns) becomes a column: a Spark map, or an array of the values in class order. Part of
 * an {@link OutputBinding}; built on the driver, read by {@code MapOutputDecoder} on executors.
 * Immutable and serializable.
 *
 * @param sequence true for {@code seq(map(..))}, false for one map per run
 * @param keyType int64 or string
 * @param valueType float32, float64, int64 or string
 * @param asArray true to write an array of the values in class order, false for a map column
 * @param classes the class keys in array order, as written in config (int64 keys as decimal
 *     strings); null to sort each map's keys ascending
 */
public record MapLayout(
    boolean sequence,
    ElementType keyType,
    ElementType valueType,
    boolean asArray,
    List<String> classes)
    implements Serializable {

  public MapLayout {
    classes = classes == null ? null : List.copyOf(classes);
  }

  /**
   * @return the Spark type of the map form: {@code map<bigint|string, float|double|bigint|string>}
   */
  public DataType mapType() {
    return DataTypes.createMapType(keyType.sparkType(), valueType.sparkType(), false);
  }

  /**
   * @return e.g. {@code seq(map(int64, float32))}
   */
  public String describe() {
    String map = "map(" + keyType + ", " + valueType + ")";
    return sequence ? "seq(" + map + ")" : map;
  }
}
