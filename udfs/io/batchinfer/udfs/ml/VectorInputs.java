package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.InputMapping;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Lets a single-column input mapping name a Spark ML {@code Vector} column (what {@code
 * VectorAssembler}, {@code StandardScaler} and most feature stages write), which the engine does
 * not read: the vector column is renamed to a hidden name and passed through untouched, and a
 * column of the original name holding {@code vector_to_array(v, "float64")} feeds the model, so
 * validation and row messages still name the user's column. Afterwards the hidden name is renamed
 * back. Doubles reach the engine unchanged; it narrows them to the model's element type as it does
 * for any double column. Immutable; driver only.
 */
final class VectorInputs {
  static final String HIDDEN_PREFIX = "__batchinfer_vector_";

  private final Set<String> vectors;

  private VectorInputs(Set<String> vectors) {
    this.vectors = vectors;
  }

  /** Finds the vector columns among {@code inputs}' single-column mappings. */
  static VectorInputs of(StructType schema, Map<String, InputMapping> inputs) {
    Set<String> found = new LinkedHashSet<>();
    List<String> names = List.of(schema.fieldNames());
    for (InputMapping m : inputs.values()) {
      String c = m.column();
      if (c != null
          && names.contains(c)
          && SQLDataTypes.VectorType().equals(schema.apply(c).dataType())) {
        found.add(c);
      }
    }
    return new VectorInputs(found);
  }

  /**
   * @return the schema the engine plans against: vectors renamed, arrays of the original names
   *     appended
   */
  StructType engineSchema(StructType schema) {
    if (vectors.isEmpty()) {
      return schema;
    }
    StructType s = new StructType();
    for (StructField f : schema.fields()) {
      s =
          s.add(
              vectors.contains(f.name())
                  ? f.copy(hidden(f.name()), f.dataType(), f.nullable(), f.metadata())
                  : f);
    }
    for (String v : vectors) {
      s =
          s.add(
              v,
              DataTypes.createArrayType(DataTypes.DoubleType, false),
              schema.apply(v).nullable());
    }
    return s;
  }

  /**
   * @return the names to pass through: every input column, vectors under their hidden names
   */
  List<String> passthrough(StructType schema) {
    List<String> out = new ArrayList<>();
    for (String n : schema.fieldNames()) {
      out.add(vectors.contains(n) ? hidden(n) : n);
    }
    return out;
  }

  /**
   * @return {@code input} laid out as {@link #engineSchema}
   */
  Dataset<Row> toEngine(Dataset<Row> input) {
    Dataset<Row> df = input;
    for (String v : vectors) {
      df = df.withColumnRenamed(v, hidden(v));
    }
    for (String v : vectors) {
      Column array =
          org.apache.spark.ml.functions.vector_to_array(functions.col(hidden(v)), "float64");
      df = df.withColumn(v, array);
    }
    return df;
  }

  /**
   * @return {@code scored} with the hidden names renamed back
   */
  Dataset<Row> fromEngine(Dataset<Row> scored) {
    Dataset<Row> df = scored;
    for (String v : vectors) {
      df = df.withColumnRenamed(hidden(v), v);
    }
    return df;
  }

  /**
   * @return {@code schema} with the hidden names renamed back
   */
  StructType fromEngine(StructType schema) {
    if (vectors.isEmpty()) {
      return schema;
    }
    StructType s = new StructType();
    for (StructField f : schema.fields()) {
      String n = f.name();
      boolean hiddenName =
          n.startsWith(HIDDEN_PREFIX) && vectors.contains(n.substring(HIDDEN_PREFIX.length()));
      s =
          s.add(
              hiddenName
                  ? f.copy(
                      n.substring(HIDDEN_PREFIX.length()), f.dataType(), f.nullable(), f.metadata())
                  : f);
    }
    return s;
  }

  private static String hidden(String column) {
    return HIDDEN_PREFIX + column;
  }
}
