package io.batchinfer.udfs;

import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataType;
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
    int lengthWindow)
    implements Serializable {

  public InferenceSpec {
    texts = List.copyOf(texts);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** @return the first 12 hex digits of the model sha256 */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }
}
