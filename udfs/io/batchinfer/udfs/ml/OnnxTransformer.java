package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.ModelDistribution;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that scores a DataFrame with an ONNX model through the same engine
 * as {@link BatchInference}: its Params are the builder's options, {@link #transformSchema}
 * validates (on the driver, reading only the model) and {@link #transform} plans and applies the
 * same partition function, with the same messages. It keeps every input column and appends the
 * output columns; a single-column input may be a Spark ML {@code Vector} column.
 *
 * <pre>{@code
 * OnnxTransformer onnx = new OnnxTransformer()
 *     .setModelPath("hdfs:///models/iris.onnx")
 *     .setInput("input", InputMapping.column("scaled"))
 *     .setOutput("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
 * PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, onnx}).fit(df);
 * model.write().overwrite().save("hdfs:///pipelines/iris");   // the model bytes go inside
 * }</pre>
 *
 * <p>Saved with {@link #write()} (alone or inside a {@code Pipeline}/{@code PipelineModel}): the
 * Params go to the standard metadata, the model bytes to {@code model/model.onnx} in the stage
 * folder; a loaded stage uses those bytes and never reopens {@code modelPath}. Setting {@code
 * modelPath} again drops held bytes. The model always reaches executors as a broadcast (no
 * external-data models). Error policies: {@code fail} (default), {@code skip} (rows dropped), and
 * {@code dead-letter}, under which every row is kept and three columns {@code _error_code}, {@code
 * _error_column}, {@code _error_message} are added (null for scored rows; outputs null for rejected
 * ones).
 *
 * <p>Where code runs: setters, {@code transformSchema}, planning, save and load on the driver;
 * scoring on executors, one shared ONNX Runtime session per model and options per executor JVM.
 * Holds the model bytes (no native resource). Not thread-safe, like any Params instance.
 */
public final class OnnxTransformer extends Transformer implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelPath;
  private final Param<String> modelSha256;
  private final InputMappingsParam inputs;
  private final OutputMappingsParam outputs;
  private final IntParam batchSize;
  private final IntParam threads;
  private final Param<String> device;
  private final Param<String> errorPolicy;
  private final BooleanParam allowNan;
  private final Param<String> batching;
  private final IntParam maxConsecutiveInferenceErrors;

  /** The model bytes: set, loaded with the stage, or read from {@code modelPath} when planning. */
  private transient ModelArtifact model;

  /** A stage with a random uid ({@code onnx_...}). */
  public OnnxTransformer() {
    this(Identifiable$.MODULE$.randomUID("onnx"));
  }

  /** A stage with {@code uid} (used when loading). */
  public OnnxTransformer(String uid) {
    this.uid = uid;
    modelPath = new Param<>(this, "modelPath", "Hadoop path of the .onnx model (model.path)");
    modelSha256 =
        new Param<>(this, "modelSha256", "expected sha256 of the model file (model.sha256)");
    inputs = new InputMappingsParam(this, "inputs", "model input name to columns (inputs)");
    outputs = new OutputMappingsParam(this, "outputs", "model output name to columns (outputs)");
    batchSize = new IntParam(this, "batchSize", "rows per model run (model.batch_size)");
    threads = new IntParam(this, "threads", "ONNX Runtime intra-op threads (model.threads)");
    device = new Param<>(this, "device", "cpu, cuda, tensorrt or auto (model.device)");
    errorPolicy = new Param<>(this, "errorPolicy", "fail, skip or dead-letter (errors.policy)");
    allowNan =
        new BooleanParam(this, "allowNan", "let NaN/Infinity reach the model (errors.allow_nan)");
    batching = new Param<>(this, "batching", "auto or none (model.batching)");
    maxConsecutiveInferenceErrors =
        new IntParam(
            this,
            "maxConsecutiveInferenceErrors",
            "failed model runs in a row before a task fails (errors.max_consecutive_inference_errors)");
    setDefault(inputs, Map.of());
    setDefault(outputs, Map.of());
    setDefault(batchSize, BatchInference.BATCH_SIZE_DEFAULT);
    setDefault(threads, 1);
    setDefault(device, Device.CPU.toString());
    setDefault(errorPolicy, ErrorPolicy.FAIL.toString());
    setDefault(allowNan, false);
    setDefault(batching, Batching.AUTO.toString());
    setDefault(
        maxConsecutiveInferenceErrors, BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT);
  }

  @Override
  public String uid() {
    return uid;
  }

  // ---- Params (Spark ML finds them through these public accessors) ----

  /** Hadoop path of the model ({@code model.path}). */
  public Param<String> modelPath() {
    return modelPath;
  }

  /** Expected sha256 of the model file ({@code model.sha256}); checked when it is read. */
  public Param<String> modelSha256() {
    return modelSha256;
  }

  /** Model input name to mapping ({@code inputs}). */
  public InputMappingsParam inputs() {
    return inputs;
  }

  /** Model output name to mapping ({@code outputs}). */
  public OutputMappingsParam outputs() {
    return outputs;
  }

  /** Rows per model run ({@code model.batch_size}). */
  public IntParam batchSize() {
    return batchSize;
  }

  /** ONNX Runtime intra-op threads per session ({@code model.threads}). */
  public IntParam threads() {
    return threads;
  }

  /** Where to run ({@code model.device}). */
  public Param<String> device() {
    return device;
  }

  /** What happens to a row that cannot be scored ({@code errors.policy}). */
  public Param<String> errorPolicy() {
    return errorPolicy;
  }

  /** Whether NaN and ±Infinity may reach floating-point inputs ({@code errors.allow_nan}). */
  public BooleanParam allowNan() {
    return allowNan;
  }

  /** How rows are grouped into runs ({@code model.batching}). */
  public Param<String> batching() {
    return batching;
  }

  /**
   * Failed model runs in a row before a task fails ({@code
   * errors.max_consecutive_inference_errors}).
   */
  public IntParam maxConsecutiveInferenceErrors() {
    return maxConsecutiveInferenceErrors;
  }

  // ---- Setters ----

  /** Reads the model from this Hadoop path when planning; drops model bytes held so far. */
  public OnnxTransformer setModelPath(String path) {
    set(modelPath, path);
    model = null;
    return this;
  }

  /** Pins the model file's sha256 ({@code model.sha256}). */
  public OnnxTransformer setModelSha256(String sha256) {
    set(modelSha256, sha256);
    return this;
  }

  /** Uses these model bytes (saved with the stage); {@code name} appears in messages. */
  public OnnxTransformer setModelBytes(String name, byte[] bytes) {
    clear(modelPath);
    model = ModelLoader.fromBytes(name, bytes);
    return this;
  }

  /** Maps columns to the model input {@code onnxName} ({@code inputs.<onnxName>}). */
  public OnnxTransformer setInput(String onnxName, InputMapping mapping) {
    Map<String, InputMapping> m = new LinkedHashMap<>(getOrDefault(inputs));
    m.put(onnxName, Objects.requireNonNull(mapping, "mapping"));
    set(inputs, java.util.Collections.unmodifiableMap(m));
    return this;
  }

  /** Requests the model output {@code onnxName} ({@code outputs.<onnxName>}). */
  public OnnxTransformer setOutput(String onnxName, OutputMapping mapping) {
    Map<String, OutputMapping> m = new LinkedHashMap<>(getOrDefault(outputs));
    m.put(onnxName, Objects.requireNonNull(mapping, "mapping"));
    set(outputs, java.util.Collections.unmodifiableMap(m));
    return this;
  }

  /** Rows per model run. */
  public OnnxTransformer setBatchSize(int rows) {
    set(batchSize, rows);
    return this;
  }

  /** ONNX Runtime intra-op threads per session. */
  public OnnxTransformer setThreads(int n) {
    set(threads, n);
    return this;
  }

  /** {@code cpu}, {@code cuda}, {@code tensorrt} or {@code auto}. */
  public OnnxTransformer setDevice(String value) {
    set(device, value);
    return this;
  }

  /** {@code fail}, {@code skip} or {@code dead-letter}. */
  public OnnxTransformer setErrorPolicy(String value) {
    set(errorPolicy, value);
    return this;
  }

  /** Lets NaN and ±Infinity reach the model. */
  public OnnxTransformer setAllowNan(boolean allow) {
    set(allowNan, allow);
    return this;
  }

  /** {@code auto} or {@code none}. */
  public OnnxTransformer setBatching(String value) {
    set(batching, value);
    return this;
  }

  /** Failed model runs in a row before a task fails. */
  public OnnxTransformer setMaxConsecutiveInferenceErrors(int calls) {
    set(maxConsecutiveInferenceErrors, calls);
    return this;
  }

  // ---- Transformer ----

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    Dataset<Row> df = dataset.toDF();
    VectorInputs vectors = VectorInputs.of(df.schema(), getOrDefault(inputs));
    Dataset<Row> engineInput = vectors.toEngine(df);
    InferencePlan plan =
        StageRequest.builder(this, model(df.sparkSession()), vectors.passthrough(df.schema()))
            .plan(df.sparkSession(), engineInput.schema());
    InferencePlan.Scored scored = plan.apply(engineInput);
    Dataset<Row> out =
        policy() == ErrorPolicy.DEAD_LETTER
            ? DeadLetterView.allRows(scored.emitted(), df.schema().size(), plan.outputSchema())
            : scored.scored();
    return vectors.fromEngine(out);
  }

  /**
   * Validates the Params against {@code schema} and the model's signature, reading the model once
   * if needed but running nothing. @return the input columns followed by the output columns
   *
   * @throws ValidationException naming every problem, as the job and the builder do
   */
  @Override
  public StructType transformSchema(StructType schema) {
    SparkSession spark = SparkSession.active();
    VectorInputs vectors = VectorInputs.of(schema, getOrDefault(inputs));
    InferencePlan plan =
        StageRequest.builder(this, model(spark), vectors.passthrough(schema))
            .plan(spark, vectors.engineSchema(schema));
    StructType out =
        policy() == ErrorPolicy.DEAD_LETTER
            ? DeadLetterView.schema(plan.outputSchema(), schema.size())
            : plan.outputSchema();
    return vectors.fromEngine(out);
  }

  @Override
  public OnnxTransformer copy(ParamMap extra) {
    OnnxTransformer copy = defaultCopy(extra);
    if (Objects.equals(copy.pathOrNull(), pathOrNull())) {
      copy.model = model;
    }
    return copy;
  }

  // ---- Persistence ----

  /** Saves the Params and the model bytes (read from {@code modelPath} now if not held yet). */
  @Override
  public MLWriter write() {
    return new OnnxTransformerIO.Writer(this);
  }

  /** Spark ML's loader hook (found by reflection when a Pipeline loads its stages). */
  public static MLReader<OnnxTransformer> read() {
    return new OnnxTransformerIO.Reader();
  }

  /** Loads a stage saved by {@link #write()}. */
  public static OnnxTransformer load(String path) {
    return read().load(path);
  }

  /**
   * @return the model held or read from {@code modelPath} (then held), on the driver
   * @throws ValidationException when neither is set or the file cannot be read
   */
  ModelArtifact model(SparkSession spark) {
    if (model != null) {
      return model;
    }
    String path = pathOrNull();
    if (path == null || path.isBlank()) {
      throw new ValidationException(
          "modelPath: not set; call setModelPath(<Hadoop path of the .onnx file>) or"
              + " setModelBytes(name, bytes).");
    }
    model =
        ModelLoader.load(
            path,
            get(modelSha256).isDefined() ? getOrDefault(modelSha256) : null,
            spark.sparkContext().hadoopConfiguration(),
            "model.path",
            ModelDistribution.BROADCAST,
            0,
            null);
    return model;
  }

  /** Sets the bytes of a loaded stage. */
  void loaded(ModelArtifact artifact) {
    this.model = artifact;
  }

  private String pathOrNull() {
    return get(modelPath).isDefined() ? getOrDefault(modelPath) : null;
  }

  private ErrorPolicy policy() {
    ErrorPolicy p = ErrorPolicy.parse(getOrDefault(errorPolicy));
    return p == null ? ErrorPolicy.FAIL : p;
  }
}
