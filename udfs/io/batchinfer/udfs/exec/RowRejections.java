package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.RowRejectedException;
import io.batchinfer.udfs.codec.RowProblem;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Executor side: applies the spec's {@link ErrorPolicy} to one bad row: throws a {@link
 * RowRejectedException} naming the row (fail), drops it (skip), or builds its dead-letter values:
 * every input column plus the three error columns (dead-letter). Never quotes a whole row in a
 * message. Stateless apart from the spec; one per task.
 */
final class RowRejections {
  private final InferenceSpec spec;
  private final ErrorPolicy policy;
  private final int partition;
  private final int width;
  private final int[] passthrough;
  private final DataType[] passthroughTypes;

  /**
   * @param partition the task's partition, for messages
   * @param width fields per emitted row
   */
  RowRejections(InferenceSpec spec, int partition, int width) {
    this.spec = spec;
    this.policy = spec.errorPolicy();
    this.partition = partition;
    this.width = width;
    this.passthrough = spec.passthroughOrdinals();
    this.passthroughTypes = spec.passthroughTypes();
  }

  /**
   * @param position the row's position in the partition
   * @return the row's dead-letter values, or null when it is skipped
   * @throws RowRejectedException under the fail policy
   */
  Object[] reject(InternalRow row, long position, RowProblem problem) {
    if (policy == ErrorPolicy.FAIL) {
      throw failure(row, position, problem);
    }
    if (policy == ErrorPolicy.SKIP) {
      return null;
    }
    StructType in = spec.inputSchema();
    Object[] v = new Object[width];
    for (int i = 0; i < in.size(); i++) {
      v[i] = row.isNullAt(i) ? null : row.get(i, in.fields()[i].dataType());
    }
    v[v.length - 3] = UTF8String.fromString(problem.code());
    v[v.length - 2] = UTF8String.fromString(problem.column());
    v[v.length - 1] = UTF8String.fromString(problem.message());
    return v;
  }

  private RowRejectedException failure(InternalRow row, long position, RowProblem problem) {
    return new RowRejectedException(
        ref(row, position).where() + ": column '" + problem.column() + "': " + problem.message(),
        problem.column());
  }

  /**
   * @param position the row's position in the partition
   * @return the row named for messages (partition, position, first passthrough value), with an
   *     {@code input.filter} expression selecting it when that value is a number or a string
   */
  InferenceBreaker.RowRef ref(InternalRow row, long position) {
    String where = "partition " + partition + ", row " + position;
    if (passthrough.length == 0) {
      return new InferenceBreaker.RowRef(where, null);
    }
    Object v = row.isNullAt(passthrough[0]) ? null : row.get(passthrough[0], passthroughTypes[0]);
    String column = spec.outputSchema().fields()[0].name();
    String filter = null;
    if (v instanceof Number) {
      filter = column + " = " + v;
    } else if (v instanceof UTF8String) {
      filter = column + " = '" + v.toString().replace("'", "\\'") + "'";
    }
    return new InferenceBreaker.RowRef(where + " (" + column + "=" + v + ")", filter);
  }
}
