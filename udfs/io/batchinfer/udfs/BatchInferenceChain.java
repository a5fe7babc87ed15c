package io.batchinfer.udfs;

import io.batchinfer.udfs.plan.ChainChecks;
import io.batchinfer.udfs.plan.Problems;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Several models in one pass over the data (the job config's {@code models:} list): each model is
 * described by its own {@link BatchInference.Builder} (model, inputs, outputs, text, session and
 * batching settings), and a later model may read an earlier model's output column (a chain: text to
 * embedding to classifier head). Models that do not depend on each other simply run on the same
 * rows, one after the other, in the same Spark stage: one read, one write, no shuffle.
 *
 * <pre>{@code
 * ChainPlan plan = BatchInferenceChain.builder()
 *     .model("embed", BatchInference.builder()
 *         .modelPath("models/minilm.onnx", null)
 *         .text(TextInput.of("text", "models/minilm-tokenizer.json", 128))
 *         .output("last_hidden_state", OutputMapping.toColumn("embedding").withPooling(Pooling.MEAN)))
 *     .model("head", BatchInference.builder()
 *         .modelPath("models/head.onnx", null)
 *         .input("embedding", InputMapping.column("embedding"))
 *         .output("probabilities", OutputMapping.toColumn("probs").withArgmax("label")))
 *     .passthrough(List.of("id"))
 *     .modelColumn("model_sha")
 *     .plan(spark, df.schema());          // every model checked, in order, before any task
 * Dataset<Row> scored = plan.apply(df).scored();
 * }</pre>
 *
 * The chain sets each model's passthrough itself (every column available at that point: the input
 * columns and the earlier models' outputs), so a passthrough set on a model's builder is ignored;
 * the chain's {@link Builder#passthrough} says which input columns reach the output. All models
 * must use the same {@link ErrorPolicy}. Problems name the model and use the job config's key paths
 * ({@code models[1].inputs.embedding.column (model 'head'): ...}). Driver only; the builder is not
 * thread-safe, the {@link ChainPlan} it produces is immutable.
 */
public final class BatchInferenceChain {
  private BatchInferenceChain() {}

  /**
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * @return a model's default name: its file name without {@code .onnx} (the job config's default
   *     for {@code models[i].name})
   */
  public static String defaultName(String modelPath) {
    if (modelPath == null) {
      return null;
    }
    String file = modelPath.replaceAll("/+$", "");
    file = file.substring(file.lastIndexOf('/') + 1);
    return file.endsWith(".onnx") ? file.substring(0, file.length() - ".onnx".length()) : file;
  }

  /** Collects the models, in the order they run; not thread-safe. */
  public static final class Builder {
    private final List<String> names = new ArrayList<>();
    private final List<BatchInference.Builder> models = new ArrayList<>();
    private List<String> passthrough = List.of();
    private String modelColumn;

    private Builder() {}

    /**
     * Adds a model, run after those added before it.
     *
     * @param name unique name for messages, reports and {@link #modelColumn}; null for the model
     *     file's name without {@code .onnx}
     */
    public Builder model(String name, BatchInference.Builder model) {
      names.add(name);
      models.add(Objects.requireNonNull(model, "model"));
      return this;
    }

    /** Input columns copied unchanged to the output, in order ({@code passthrough}). */
    public Builder passthrough(List<String> columns) {
      this.passthrough = List.copyOf(columns);
      return this;
    }

    /**
     * Adds each model's short sha256 (first 12 hex digits) to every output row ({@code
     * output.model_column}): in column {@code name} for a single model, in {@code <name>_<model
     * name>} per model for several. Null for none.
     */
    public Builder modelColumn(String name) {
      this.modelColumn = name;
      return this;
    }

    /**
     * Plans every model in order, each against the columns available at its point of the chain.
     *
     * @throws ValidationException listing every problem found
     */
    public ChainPlan plan(SparkSession spark, StructType inputSchema) {
      if (models.isEmpty()) {
        throw new ValidationException("models: empty; add at least one model.");
      }
      Problems problems = new Problems();
      List<ChainChecks.Step> steps = new ArrayList<>();
      List<String> resolved = new ArrayList<>();
      for (int i = 0; i < models.size(); i++) {
        InferenceRequest request = models.get(i).request();
        String name = names.get(i);
        if (name == null) {
          name =
              defaultName(
                  request.modelPath() != null
                      ? request.modelPath()
                      : request.model() == null ? null : request.model().uri());
        }
        resolved.add(name);
        steps.add(new ChainChecks.Step(name, request));
      }
      ChainChecks.check(steps, inputSchema, problems);
      List<String> available = Arrays.asList(inputSchema.fieldNames());
      for (int i = 0; i < passthrough.size(); i++) {
        if (!available.contains(passthrough.get(i))) {
          problems.add(
              "passthrough["
                  + i
                  + "]: column '"
                  + passthrough.get(i)
                  + "' not found in input; available: "
                  + available
                  + "."
                  + Problems.didYouMean(passthrough.get(i), available));
        }
      }
      problems.throwIfAny("");
      ErrorPolicy policy = steps.get(0).request().errorPolicy();
      List<InferencePlan> plans = new ArrayList<>();
      StructType schema = inputSchema;
      for (int i = 0; i < models.size(); i++) {
        BatchInference.Builder b = models.get(i);
        b.passthrough(Arrays.asList(schema.fieldNames()));
        InferencePlan p;
        try {
          p = b.plan(spark, schema);
        } catch (ValidationException e) {
          for (String problem : e.problems()) {
            problems.add(ChainChecks.qualify(i, resolved.get(i), problem));
          }
          if (i + 1 < models.size()) {
            problems.add(
                "models["
                    + (i + 1)
                    + "..]: not checked yet: they depend on the columns of '"
                    + resolved.get(i)
                    + "', which has the problems above.");
          }
          break;
        }
        p = p.inChain(resolved.get(i), i == 0);
        plans.add(p);
        schema = policy == ErrorPolicy.DEAD_LETTER ? nullable(p.outputSchema()) : p.outputSchema();
      }
      problems.throwIfAny("");
      List<String> modelColumns = new ArrayList<>();
      if (modelColumn != null) {
        for (String n : resolved) {
          String c = resolved.size() == 1 ? modelColumn : modelColumn + "_" + n;
          if (Arrays.asList(schema.fieldNames()).contains(c) || modelColumns.contains(c)) {
            problems.add(
                "output.model_column: column '"
                    + c
                    + "' is already an input or output column; choose another name.");
          }
          modelColumns.add(c);
        }
      }
      problems.throwIfAny("");
      return new ChainPlan(plans, inputSchema, passthrough, modelColumns, true);
    }
  }

  /**
   * @return {@code schema} with every top-level field nullable (what a dead-letter pass emits)
   */
  static StructType nullable(StructType schema) {
    StructField[] fields = schema.fields().clone();
    for (int i = 0; i < fields.length; i++) {
      fields[i] =
          new StructField(fields[i].name(), fields[i].dataType(), true, fields[i].metadata());
    }
    return new StructType(fields);
  }
}
