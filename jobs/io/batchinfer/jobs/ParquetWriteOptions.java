package io.batchinfer.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Parquet writer options for the scored output. Float and double arrays (probabilities, embeddings,
 * feature vectors) are written without dictionary encoding: their values almost never repeat, so
 * parquet-mr builds a dictionary per page only to throw it away when it grows too large, and that
 * was the largest single cost of writing tabular output (measured in docs/PERFORMANCE.md). Column
 * types do not change; only the encoding inside the file does. Driver only; stateless.
 */
public final class ParquetWriteOptions {
  private ParquetWriteOptions() {}

  /**
   * @return writer options ({@code parquet.enable.dictionary#<column path>=false}) for every
   *     top-level column of {@code schema} that is an array (at any depth) of float or double
   */
  public static Map<String, String> plainFloatArrays(StructType schema) {
    Map<String, String> options = new LinkedHashMap<>();
    for (StructField f : schema.fields()) {
      StringBuilder path = new StringBuilder(f.name());
      DataType t = f.dataType();
      if (!(t instanceof ArrayType)) {
        continue;
      }
      while (t instanceof ArrayType a) {
        // Spark writes lists in the standard three-level layout: <name>.list.element
        path.append(".list.element");
        t = a.elementType();
      }
      if (t instanceof FloatType || t instanceof DoubleType) {
        options.put("parquet.enable.dictionary#" + path, "false");
      }
    }
    return options;
  }
}
