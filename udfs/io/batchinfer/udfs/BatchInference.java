package io.batchinfer.udfs;

import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.plan.InferencePlanner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The engine's entry point for any Java Spark program: describe the model and how columns map to
 * its inputs and outputs, then {@link Builder#plan plan} against an input schema (all validation
 * happens here, on the driver, before any task) and {@link InferencePlan#apply apply} the plan to a
 * dataset.
 *
 * <pre>{@code
 * InferencePlan plan = BatchInference.builder()
 *     .modelPath("hdfs:///models/iris.onnx", null)
 *     .input("input", InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
 *     .output("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"))
 *     .passthrough(List.of("id"))
 *     .batchSize(512)
 *     .plan(spark, df.schema());
 * Dataset<Row> scored = plan.apply(df).scored();
 * }</pre>
 *
 * Error messages use the job config's key paths ({@code inputs.input.columns[2]}, {@code
 * model.batch_size}), so the API and the job report problems identically. Driver only; the builder
 * is not thread-safe, the {@link InferenceRequest} it produces is immutable.
 */
public final class BatchInference {
  /** Default {@code model.batch_size}. */
  public static final int BATCH_SIZE_DEFAULT = 256;

  /** Default {@code model.length_window}: batches per length-aware window (text inputs only). */
  public static final int LENGTH_WINDOW_DEFAULT = 8;

  /**
   * Default {@code errors.max_consecutive_inference_errors}: ONNX Runtime calls that may fail in a
   * row in one task. A few dozen bad rows in a row are still isolated one by one; a model that
   * fails on everything costs each task at most this many calls more than its first failure.
   */
  public static final int MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT = 32;

  private BatchInference() {}

  /**
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the request; not thread-safe. */
  public static final class Builder {
    private ModelArtifact model;
    private String modelPath;
    private String modelSha256;
    private final Map<String, InputMapping> inputs = new LinkedHashMap<>();
    private final Map<String, OutputMapping> outputs = new LinkedHashMap<>();
    private TextInput text;
    private List<String> passthrough = List.of();
    private int batchSize = BATCH_SIZE_DEFAULT;
    private int lengthWindow = LENGTH_WINDOW_DEFAULT;
    private int threads = 1;
    private Device device = Device.CPU;
    private Batching batching = Batching.AUTO;
    private ErrorPolicy errorPolicy = ErrorPolicy.FAIL;
    private boolean allowNan;
    private int maxConsecutiveInferenceErrors = MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT;
    private List<String> customOpLibraries = List.of();
    private DeviceFallback deviceFallback;
    private int deviceId;
    private String gpuResource = DeviceSettings.GPU_RESOURCE_DEFAULT;
    private Map<String, Object> cudaOptions = Map.of();
    private Map<String, Object> tensorrtOptions = Map.of();
    private ModelDistribution distribution = ModelDistribution.AUTO;
    private long distributionThresholdMb = ModelDistribution.THRESHOLD_MB_DEFAULT;
    private String cacheDir;
    private OnnxRuntimeOptions tuning = OnnxRuntimeOptions.DEFAULT;
    private AutoInputs autoInputs = AutoInputs.NONE;

    private Builder() {}

    /** Uses a model already in memory. */
    public Builder model(ModelArtifact artifact) {
      this.model = Objects.requireNonNull(artifact, "artifact");
      this.modelPath = null;
      return this;
    }

    /**
     * Reads the model from any Hadoop path when planning ({@code model.path}), checking it against
     * {@code sha256} ({@code model.sha256}) when that is non-null.
     */
    public Builder modelPath(String path, String sha256) {
      this.modelPath = Objects.requireNonNull(path, "path");
      this.modelSha256 = sha256;
      this.model = null;
      return this;
    }

    /** Maps columns to the model input {@code onnxName} ({@code inputs.<onnxName>}). */
    public Builder input(String onnxName, InputMapping mapping) {
      inputs.put(onnxName, Objects.requireNonNull(mapping, "mapping"));
      return this;
    }

    /**
     * Feeds every model input that has no {@link #input} mapping (and is not a text target) from
     * the input column of the same name ({@code inputs: {auto: by_name}}); {@link AutoInputs#NONE}
     * (the default) requires a mapping per input.
     */
    public Builder autoInputs(AutoInputs mode) {
      this.autoInputs = Objects.requireNonNull(mode, "autoInputs");
      return this;
    }

    /** Requests the model output {@code onnxName} ({@code outputs.<onnxName>}). */
    public Builder output(String onnxName, OutputMapping mapping) {
      outputs.put(onnxName, Objects.requireNonNull(mapping, "mapping"));
      return this;
    }

    /**
     * Tokenizes a string column into every token input of the model ({@code input_ids}, {@code
     * attention_mask}, {@code token_type_ids} as it declares them) not mapped otherwise (the job
     * config's top-level {@code text} block).
     */
    public Builder text(TextInput textInput) {
      this.text = Objects.requireNonNull(textInput, "textInput");
      return this;
    }

    /**
     * Length-aware batching for text inputs ({@code model.length_window}): rows are read in windows
     * of {@code batches} batches and sorted by token count into batches, to cut padding; output
     * order is unchanged. 1 turns it off.
     */
    public Builder lengthWindow(int batches) {
      this.lengthWindow = batches;
      return this;
    }

    /**
     * What to do with a row that cannot be scored ({@code errors.policy}): fail the job (default),
     * skip it (counted), or keep it for a dead-letter output ({@link
     * InferencePlan.Scored#rejected()}).
     */
    public Builder errorPolicy(ErrorPolicy policy) {
      this.errorPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * ONNX custom-op libraries to register in every session ({@code model.custom_op_libraries}):
     * native code, so none is ever loaded unless named here. Paths must exist on every executor.
     */
    public Builder customOpLibraries(List<String> libraries) {
      this.customOpLibraries = List.copyOf(libraries);
      return this;
    }

    /**
     * The circuit breaker's limit ({@code errors.max_consecutive_inference_errors}): when more than
     * {@code calls} ONNX Runtime calls in a row fail in one task, the task fails with a {@link
     * ModelFailureException} instead of trying every row alone. Independently of it, a task fails
     * as soon as a failed batch's rows all fail alone the same way before any row was scored.
     */
    public Builder maxConsecutiveInferenceErrors(int calls) {
      this.maxConsecutiveInferenceErrors = calls;
      return this;
    }

    /**
     * Lets NaN and ±Infinity reach floating-point model inputs ({@code errors.allow_nan}); rejected
     * by default.
     */
    public Builder allowNan(boolean allow) {
      this.allowNan = allow;
      return this;
    }

    /** Input columns copied unchanged to the output, in order ({@code passthrough}). */
    public Builder passthrough(List<String> columns) {
      this.passthrough = List.copyOf(columns);
      return this;
    }

    /** Rows per model run ({@code model.batch_size}). */
    public Builder batchSize(int rows) {
      this.batchSize = rows;
      return this;
    }

    /** ONNX Runtime intra-op threads per session ({@code model.threads}). */
    public Builder threads(int intraOpThreads) {
      this.threads = intraOpThreads;
      return this;
    }

    /**
     * ONNX Runtime threading, memory and graph settings ({@code model.onnxruntime.*}); {@link
     * OnnxRuntimeOptions#DEFAULT} unless set.
     */
    public Builder onnxRuntime(OnnxRuntimeOptions settings) {
      this.tuning = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** Where to run ({@code model.device}). */
    public Builder device(Device where) {
      this.device = Objects.requireNonNull(where, "device");
      return this;
    }

    /**
     * What a task does when its GPU cannot be used ({@code model.device_fallback}); default {@code
     * cpu} for {@code auto}, {@code fail} for {@code cuda} and {@code tensorrt}.
     */
    public Builder deviceFallback(DeviceFallback fallback) {
      this.deviceFallback = Objects.requireNonNull(fallback, "fallback");
      return this;
    }

    /**
     * The GPU ordinal for tasks Spark assigned no GPU resource ({@code model.device_id}, default
     * 0).
     */
    public Builder deviceId(int ordinal) {
      this.deviceId = ordinal;
      return this;
    }

    /**
     * The Spark resource whose address is a task's GPU ordinal ({@code model.gpu_resource}, default
     * {@code gpu}).
     */
    public Builder gpuResource(String resourceName) {
      this.gpuResource = Objects.requireNonNull(resourceName, "resourceName");
      return this;
    }

    /** CUDA provider options by ONNX Runtime name ({@code model.cuda}); checked when planning. */
    public Builder cudaOptions(Map<String, ?> options) {
      this.cudaOptions = new LinkedHashMap<String, Object>(options);
      return this;
    }

    /**
     * TensorRT provider options by ONNX Runtime name ({@code model.tensorrt}); checked when
     * planning.
     */
    public Builder tensorrtOptions(Map<String, ?> options) {
      this.tensorrtOptions = new LinkedHashMap<String, Object>(options);
      return this;
    }

    /**
     * How the model reaches executors ({@code model.distribution}) and the size above which {@code
     * auto} copies files instead of broadcasting ({@code model.distribution_threshold_mb}).
     */
    public Builder distribution(ModelDistribution mode, long thresholdMb) {
      this.distribution = Objects.requireNonNull(mode, "mode");
      this.distributionThresholdMb = thresholdMb;
      return this;
    }

    /**
     * Node-local folder for models distributed as files ({@code model.cache_dir}); null for the
     * default.
     */
    public Builder cacheDir(String dir) {
      this.cacheDir = dir;
      return this;
    }

    /** How to group rows into runs ({@code model.batching}). */
    public Builder batching(Batching mode) {
      this.batching = Objects.requireNonNull(mode, "batching");
      return this;
    }

    /**
     * @return an immutable snapshot of what has been set so far
     */
    public InferenceRequest request() {
      return new InferenceRequest(
          model,
          modelPath,
          modelSha256,
          inputs,
          outputs,
          text,
          passthrough,
          batchSize,
          lengthWindow,
          threads,
          device,
          batching,
          errorPolicy,
          allowNan,
          customOpLibraries,
          maxConsecutiveInferenceErrors,
          new DeviceSettings(
              deviceFallback == null ? DeviceFallback.defaultFor(device) : deviceFallback,
              deviceId,
              gpuResource,
              cudaOptions,
              tensorrtOptions),
          new DistributionSettings(distribution, distributionThresholdMb, cacheDir),
          tuning,
          autoInputs);
    }

    /**
     * Validates the request against the model's signature and {@code inputSchema}, reading the
     * model first if it was given by path.
     *
     * @throws ValidationException listing every problem found
     */
    public InferencePlan plan(SparkSession spark, StructType inputSchema) {
      InferenceRequest request = request();
      InferencePlanner.Planned planned =
          InferencePlanner.plan(request, inputSchema, spark.sparkContext().hadoopConfiguration());
      return new InferencePlan(planned, inputSchema, request.batching());
    }

    /** Plans against {@code input}'s schema and applies the plan. */
    public InferencePlan.Scored score(Dataset<Row> input) {
      return plan(input.sparkSession(), input.schema()).apply(input);
    }
  }
}
