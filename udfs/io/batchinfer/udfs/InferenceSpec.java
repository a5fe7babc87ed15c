package io.batchinfer.udfs;

import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Everything an executor needs to score a partition, validated and frozen on the driver by
 * {@link BatchInference}: the model's identity (not its bytes; those travel in the broadcast),
 * session options, batch size, and the input/output bindings. Immutable and serializable.
 *
 * @param modelUri where the model was read from (for messages)
 * @param sha256 the model bytes' sha256: the session cache key
 * @param session ONNX Runtime session options
 * @param batchSize rows per model run when batched
 * @param batched false when the model takes one row per run
 * @param inputs one binding per model input
 * @param outputs one binding per requested model output
 * @param passthroughOrdinals input ordinals copied to the output, in order
 * @param passthroughTypes their types
 * @param outputSchema passthrough fields, then each output binding's fields
 * @param texts tokenized text inputs (each may feed several model inputs)
 * @param lengthWindow batches per length-aware window: rows of a window are sorted by token count
 *     into batches to cut padding, then emitted in input order; 1 turns this off
 * @param errorPolicy what to do with rows that cannot be scored
 * @param inputSchema the input's schema (dead-letter rows carry every input column)
 * @param maxConsecutiveInferenceErrors ONNX Runtime calls that may fail in a row in one task before
 *     its circuit breaker fails the task ({@code errors.max_consecutive_inference_errors})
 */
public record InferenceSpec(
    String modelUri,
    String sha256,
    SessionOptionsSpec session,
    int batchSize,
    boolean batched,
    List<InputBinding> inputs,
    List<OutputBinding> outputs,
    int[] passthroughOrdinals,
    DataType[] passthroughTypes,
    StructType outputSchema,
    List<TextBinding> texts,
    int lengthWindow,
    ErrorPolicy errorPolicy,
    StructType inputSchema,
    int maxConsecutiveInferenceErrors)
    implements Serializable {

  /** Prefix of input columns in the dead-letter layout (avoids clashes with output names). */
  static final String INPUT_PREFIX = "__in_";
  /** Error columns in the dead-letter layout, renamed to {@code _error_*} in the rejected output. */
  static final String[] ERROR_FIELDS = {"__error_code", "__error_column", "__error_message"};

  public InferenceSpec {
    texts = List.copyOf(texts);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /**
   * @return the schema of the rows the partition function emits: {@link #outputSchema()}, or under
   *     dead-letter every input column (as {@code __in_<i>}), the output columns (nullable) and the
   *     three error columns
   */
  public StructType emittedSchema() {
    if (errorPolicy != ErrorPolicy.DEAD_LETTER) {
      return outputSchema;
    }
    StructType s = new StructType();
    StructField[] in = inputSchema.fields();
    for (int i = 0; i < in.length; i++) {
      s = s.add(INPUT_PREFIX + i, in[i].dataType(), true);
    }
    for (int i = passthroughOrdinals.length; i < outputSchema.size(); i++) {
      StructField f = outputSchema.fields()[i];
      s = s.add(f.name(), f.dataType(), true);
    }
    for (String e : ERROR_FIELDS) {
      s = s.add(e, DataTypes.StringType, true);
    }
    return s;
  }

  /** @return the first 12 hex digits of the model sha256 */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }
}
