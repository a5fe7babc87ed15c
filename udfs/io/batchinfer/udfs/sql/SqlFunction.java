package io.batchinfer.udfs.sql;

import org.apache.spark.sql.types.StructType;

/**
 * A function registered by {@link BatchInferenceSql#register}: what a SQL call passes and gets
 * back. Immutable; driver only.
 *
 * @param name the SQL name, e.g. {@code iris_predict}
 * @param parameters one field per argument, in call order: the columns the builder's mappings name,
 *     typed as registered (a call may pass any type the engine accepts for that input)
 * @param returnType the struct each call returns: one field per output column of the builder's
 *     output mappings
 */
public record SqlFunction(String name, StructType parameters, StructType returnType) {
  /**
   * @return e.g. {@code iris_predict(sepal_length DOUBLE, sepal_width DOUBLE, ...)}
   */
  public String signature() {
    StringBuilder sb = new StringBuilder(name).append('(');
    for (int i = 0; i < parameters.size(); i++) {
      sb.append(i == 0 ? "" : ", ")
          .append(parameters.fields()[i].name())
          .append(' ')
          .append(parameters.fields()[i].dataType().sql());
    }
    return sb.append(')').toString();
  }
}
