package io.batchinfer.udfs.exec;

import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Everything an executor needs to score a partition, validated and frozen on the driver by the
 * planner: the model's identity (not its bytes; those travel in the broadcast), session options,
 * batch size, and the input/output bindings. Immutable and serializable.
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
 * @param label the model's name in a chain of models ({@code models[i].name}), put into rejections
 *     and failure messages; null for a single model
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
    int maxConsecutiveInferenceErrors,
    String label)
    implements Serializable {

  /** Prefix of input columns in the dead-letter layout (avoids clashes with output names). */
  public static final String INPUT_PREFIX = "__in_";

  /**
   * Error columns in the dead-letter layout, renamed to {@code _error_*} in the rejected output.
   */
  public static final List<String> ERROR_FIELDS =
      List.of("__error_code", "__error_column", "__error_message");

  /** A spec without a label (a single model). */
  public InferenceSpec(
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
      int maxConsecutiveInferenceErrors) {
    this(
        modelUri,
        sha256,
        session,
        batchSize,
        batched,
        inputs,
        outputs,
        passthroughOrdinals,
        passthroughTypes,
        outputSchema,
        texts,
        lengthWindow,
        errorPolicy,
        inputSchema,
        maxConsecutiveInferenceErrors,
        null);
  }

  /**
   * @return this spec for the model named {@code name} in a chain
   */
  public InferenceSpec withLabel(String name) {
    return new InferenceSpec(
        modelUri,
        sha256,
        session,
        batchSize,
        batched,
        inputs,
        outputs,
        passthroughOrdinals,
        passthroughTypes,
        outputSchema,
        texts,
        lengthWindow,
        errorPolicy,
        inputSchema,
        maxConsecutiveInferenceErrors,
        name);
  }

  /**
   * @return how messages name the model: {@code model 'head' (<uri>, sha256 <sha>)} in a chain,
   *     else {@code model <uri> (sha256 <sha>)}
   */
  public String describeModel(String shaShown) {
    return label == null
        ? "model " + modelUri + " (sha256 " + shaShown + ")"
        : "model '" + label + "' (" + modelUri + ", sha256 " + shaShown + ")";
  }

  /** Copies the arrays and lists: the spec never changes after the planner hands it over. */
  public InferenceSpec {
    texts = List.copyOf(texts);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    passthroughOrdinals = passthroughOrdinals.clone();
    passthroughTypes = passthroughTypes.clone();
  }

  /**
   * @return a copy of the passthrough ordinals (callers on a hot path keep their own copy)
   */
  @Override
  public int[] passthroughOrdinals() {
    return passthroughOrdinals.clone();
  }

  /**
   * @return a copy of the passthrough types
   */
  @Override
  public DataType[] passthroughTypes() {
    return passthroughTypes.clone();
  }

  /** Compares the arrays by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof InferenceSpec s
        && Objects.equals(modelUri, s.modelUri)
        && Objects.equals(sha256, s.sha256)
        && Objects.equals(session, s.session)
        && batchSize == s.batchSize
        && batched == s.batched
        && inputs.equals(s.inputs)
        && outputs.equals(s.outputs)
        && Arrays.equals(passthroughOrdinals, s.passthroughOrdinals)
        && Arrays.equals(passthroughTypes, s.passthroughTypes)
        && Objects.equals(outputSchema, s.outputSchema)
        && texts.equals(s.texts)
        && lengthWindow == s.lengthWindow
        && errorPolicy == s.errorPolicy
        && Objects.equals(inputSchema, s.inputSchema)
        && maxConsecutiveInferenceErrors == s.maxConsecutiveInferenceErrors
        && Objects.equals(label, s.label);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        modelUri,
        sha256,
        session,
        batchSize,
        batched,
        inputs,
        outputs,
        Arrays.hashCode(passthroughOrdinals),
        Arrays.hashCode(passthroughTypes),
        outputSchema,
        texts,
        lengthWindow,
        errorPolicy,
        inputSchema,
        maxConsecutiveInferenceErrors,
        label);
  }

  @Override
  public String toString() {
    return "InferenceSpec["
        + (label == null ? "" : label + ", ")
        + modelUri
        + ", sha256="
        + shortSha()
        + ", batchSize="
        + batchSize
        + ", batched="
        + batched
        + ", inputs="
        + inputs.size()
        + ", texts="
        + texts.size()
        + ", outputs="
        + outputs.size()
        + ", passthrough="
        + Arrays.toString(passthroughOrdinals)
        + ", errorPolicy="
        + errorPolicy
        + "]";
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

  /**
   * @return the first 12 hex digits of the model sha256
   */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }
}
