package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.exec.InferenceSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The stage's output under {@code errors.policy: dead-letter}: every row, scored or not, as the
 * input columns, the output columns (null for a rejected row) and {@code _error_code}, {@code
 * _error_column}, {@code _error_message} (null for a scored row). A transformer returns one
 * DataFrame, so the rejected rows stay in it instead of going to a second output. Stateless; driver
 * only.
 */
final class DeadLetterView {
  private DeadLetterView() {}

  /**
   * @param emitted the partition function's rows (dead-letter layout)
   * @param inputs how many leading fields of {@code planned} are the passed-through input columns
   * @param planned the plan's output schema: passthrough columns, then output columns
   */
  static Dataset<Row> allRows(Dataset<Row> emitted, int inputs, StructType planned) {
    List<Column> cols = new ArrayList<>();
    StructField[] f = planned.fields();
    for (int i = 0; i < inputs; i++) {
      cols.add(functions.col(InferenceSpec.INPUT_PREFIX + i).as(f[i].name()));
    }
    for (int i = inputs; i < f.length; i++) {
      cols.add(functions.col(f[i].name()));
    }
    for (String e : InferenceSpec.ERROR_FIELDS) {
      cols.add(functions.col(e).as(e.substring(1)));
    }
    return emitted.select(cols.toArray(new Column[0]));
  }

  /**
   * @return the schema {@link #allRows} produces
   */
  static StructType schema(StructType planned, int inputs) {
    StructType s = new StructType();
    StructField[] f = planned.fields();
    for (int i = 0; i < f.length; i++) {
      s = s.add(i < inputs ? f[i] : f[i].copy(f[i].name(), f[i].dataType(), true, f[i].metadata()));
    }
    for (String e : InferenceSpec.ERROR_FIELDS) {
      s = s.add(e.substring(1), DataTypes.StringType, true);
    }
    return s;
  }
}
