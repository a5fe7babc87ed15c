package io.batchinfer.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job config as bound from YAML (after {@code --set} overrides): the public contract documented
 * in {@code conf/README.md}. Keys may gain siblings but never change name or meaning. Unknown keys
 * are rejected when binding. Values are unvalidated here; {@link JobPlanner} checks them.
 */
public record JobConfig(
    Job job,
    Map<String, Object> spark,
    Input input,
    Model model,
    LinkedHashMap<String, InputSpec> inputs,
    LinkedHashMap<String, OutputSpec> outputs,
    List<String> passthrough,
    Output output,
    Text text,
    Errors errors,
    Report report,
    Evaluate evaluate,
    List<ModelEntry> models) {

  /** The {@code model:} block a config without one binds to (no key set). */
  private static final Model NO_MODEL =
      new Model(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null);

  public JobConfig {
    job = job == null ? new Job(null, null) : job;
    spark = spark == null ? Map.of() : spark;
    input =
        input == null
            ? new Input(null, null, null, null, null, null, null, null, null, null)
            : input;
    model = model == null ? NO_MODEL : model;
    errors = errors == null ? new Errors(null, null, null, null, null, null) : errors;
    inputs = inputs == null ? new LinkedHashMap<>() : inputs;
    outputs = outputs == null ? new LinkedHashMap<>() : outputs;
    passthrough = passthrough == null ? List.of() : passthrough;
    output =
        output == null
            ? new Output(null, null, null, null, null, null, null, null, null, null)
            : output;
  }

  /**
   * @return true when the config has a {@code model:} block with at least one key
   */
  public boolean hasModelBlock() {
    return !NO_MODEL.equals(model);
  }

  /**
   * @return the models to run, in order: the {@code models:} entries, or the single model of the
   *     top-level {@code model:}, {@code inputs:}, {@code outputs:} and {@code text:} blocks as one
   *     entry without a name. Each entry is parsed and planned by the same code.
   */
  public List<ModelEntry> modelEntries() {
    if (models != null) {
      return models;
    }
    return List.of(new ModelEntry(null, model, inputs, outputs, text));
  }

  /**
   * @return the key path prefix of the {@code i}th of {@link #modelEntries()}: {@code models[i].}
   *     for a {@code models:} entry, empty for the single model
   */
  public String modelPrefix(int i) {
    return models == null ? "" : "models[" + i + "].";
  }

  /**
   * {@code models[i]:} one model of several run in one pass, with the keys a single model has at
   * the top level ({@code model}, {@code inputs}, {@code outputs}, {@code text}) plus a {@code
   * name} (default: the model file's name without {@code .onnx}).
   */
  public record ModelEntry(
      String name,
      Model model,
      LinkedHashMap<String, InputSpec> inputs,
      LinkedHashMap<String, OutputSpec> outputs,
      Text text) {
    public ModelEntry {
      model = model == null ? NO_MODEL : model;
      inputs = inputs == null ? new LinkedHashMap<>() : inputs;
      outputs = outputs == null ? new LinkedHashMap<>() : outputs;
    }
  }

  /** {@code job:} */
  public record Job(
      String name, @JsonProperty("executor_start_timeout") String executorStartTimeout) {}

  /**
   * {@code input:} what to score: a path ({@code format}: parquet by default), a catalog table, or
   * a query.
   */
  public record Input(
      String path,
      List<String> columns,
      String filter,
      @JsonProperty("ignore_corrupt_files") Boolean ignoreCorruptFiles,
      Integer partitions,
      String table,
      String sql,
      String format,
      Boolean recursive,
      @JsonProperty("file_pattern") String filePattern) {}

  /** {@code model:} the ONNX model and how to run it. */
  public record Model(
      String path,
      String sha256,
      @JsonProperty("batch_size") Integer batchSize,
      Integer threads,
      String device,
      String batching,
      @JsonProperty("length_window") Integer lengthWindow,
      @JsonProperty("allowed_roots") List<String> allowedRoots,
      @JsonProperty("custom_op_libraries") List<String> customOpLibraries,
      @JsonProperty("device_fallback") String deviceFallback,
      @JsonProperty("device_id") Integer deviceId,
      @JsonProperty("gpu_resource") String gpuResource,
      Map<String, Object> cuda,
      Map<String, Object> tensorrt,
      String distribution,
      @JsonProperty("distribution_threshold_mb") Integer distributionThresholdMb,
      @JsonProperty("cache_dir") String cacheDir,
      @JsonProperty("onnxruntime") OnnxRuntime onnxruntime) {}

  /**
   * {@code model.onnxruntime:} ONNX Runtime threading, memory and graph settings (all optional).
   */
  public record OnnxRuntime(
      @JsonProperty("inter_op_threads") Integer interOpThreads,
      Boolean spinning,
      @JsonProperty("global_thread_pool") Boolean globalThreadPool,
      @JsonProperty("memory_pattern") Boolean memoryPattern,
      @JsonProperty("cpu_arena") Boolean cpuArena,
      @JsonProperty("optimization_level") String optimizationLevel,
      @JsonProperty("optimized_model_dir") String optimizedModelDir) {}

  /** {@code errors:} what happens to rows that cannot be scored. */
  public record Errors(
      String policy,
      @JsonProperty("dead_letter_path") String deadLetterPath,
      @JsonProperty("allow_nan") Boolean allowNan,
      @JsonProperty("max_rejected_fraction") Double maxRejectedFraction,
      @JsonProperty("max_consecutive_inference_errors") Integer maxConsecutiveInferenceErrors,
      @JsonProperty("dead_letter_table") String deadLetterTable) {}

  /**
   * {@code inputs.<onnx input name>:} which columns feed a model input; or, for the entry {@code
   * inputs.auto: by_name} (a plain value), how unmapped model inputs are fed ({@code auto}, null
   * for a mapping).
   */
  public record InputSpec(
      List<String> columns, String column, String type, Text text, Image image, String auto) {
    /** A mapping (YAML object). */
    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public InputSpec(
        @JsonProperty("columns") List<String> columns,
        @JsonProperty("column") String column,
        @JsonProperty("type") String type,
        @JsonProperty("text") Text text,
        @JsonProperty("image") Image image) {
      this(columns, column, type, text, image, null);
    }

    /** A plain value, as in {@code inputs: {auto: by_name}}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static InputSpec ofValue(String value) {
      return new InputSpec(null, null, null, null, null, value);
    }
  }

  /**
   * {@code inputs.<name>.image:} a binary column of encoded images decoded and preprocessed into an
   * image model input. Sizes, mean and std take one number or a list.
   */
  public record Image(
      String column,
      String mode,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> resize,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> crop,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> fit,
      @JsonProperty("pad_value") Integer padValue,
      String interpolation,
      @JsonProperty("channel_order") String channelOrder,
      String layout,
      Double scale,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Double> mean,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Double> std,
      String dtype) {}

  /**
   * {@code evaluate:} after a successful run, compare a predicted column with a label column of the
   * written output and print the accuracy.
   */
  public record Evaluate(
      @JsonProperty("label_column") String labelColumn,
      @JsonProperty("prediction_column") String predictionColumn) {}

  /**
   * {@code text:} (top level: fills every token input of the model) or {@code inputs.<name>.text:}
   * (one input): a string column tokenized with a HuggingFace tokenizer.json.
   */
  public record Text(
      String column,
      String tokenizer,
      @JsonProperty("max_length") Integer maxLength,
      String field,
      @JsonProperty("reject_empty") Boolean rejectEmpty) {}

  /** {@code outputs.<onnx output name>:} what to write for a model output. */
  public record OutputSpec(
      String column,
      String argmax,
      Boolean softmax,
      @JsonProperty("top_k") TopK topK,
      List<String> labels,
      @JsonProperty("label_column") String labelColumn,
      String pooling,
      Boolean normalize,
      String as,
      List<String> classes) {}

  /** {@code outputs.<name>.top_k:} */
  public record TopK(Integer k, String indices, String scores) {}

  /** {@code output:} where and how to write the scored rows: a Parquet path or a catalog table. */
  public record Output(
      String path,
      String mode,
      @JsonProperty("partition_by") List<String> partitionBy,
      String compression,
      Boolean resume,
      @JsonProperty("resume_chunk_files") Integer resumeChunkFiles,
      String table,
      Boolean create,
      String format,
      @JsonProperty("model_column") String modelColumn) {}

  /** {@code report:} where the run report goes. */
  public record Report(String path) {}
}
