package io.batchinfer.udfs;

import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.compat.SparkCompat;
import io.batchinfer.udfs.exec.InferenceFunction;
import io.batchinfer.udfs.exec.InferenceSpec;
import io.batchinfer.udfs.exec.ScoringCounters;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.plan.InferencePlanner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import scala.reflect.ClassTag$;

/**
 * A validated request: the model (bytes, sha256, signature), the frozen {@link InferenceSpec}, and
 * the input schema it was checked against. {@link #apply} broadcasts the model once and maps each
 * partition through {@link InferenceFunction}. Driver only; immutable, so one plan may be applied
 * to several datasets of the same schema.
 */
public final class InferencePlan {
  private final ModelArtifact model;
  private final ModelSignature signature;
  private final InferenceSpec spec;
  private final StructType inputSchema;
  private final Batching batching;
  private final boolean batchable;

  /** False for a later model of a chain: its input rows are not the job's input rows. */
  private final boolean firstModel;

  InferencePlan(InferencePlanner.Planned planned, StructType inputSchema, Batching batching) {
    this.model = planned.model();
    this.signature = planned.signature();
    this.spec = planned.spec();
    this.inputSchema = inputSchema;
    this.batching = batching;
    this.batchable = planned.batchable();
    this.firstModel = true;
  }

  private InferencePlan(InferencePlan plan, String name, boolean firstModel) {
    this.model = plan.model;
    this.signature = plan.signature;
    this.spec = plan.spec.withLabel(name);
    this.inputSchema = plan.inputSchema;
    this.batching = plan.batching;
    this.batchable = plan.batchable;
    this.firstModel = firstModel;
  }

  /**
   * @return this plan as the model {@code name} of a chain ({@link BatchInferenceChain}): its
   *     rejections and failures name the model, and unless it is the chain's first model its input
   *     rows are counted under a name of their own
   */
  InferencePlan inChain(String name, boolean first) {
    return new InferencePlan(this, name, first);
  }

  /**
   * @return the model's name in a chain ({@code models[i].name}), or null for a single model
   */
  public String name() {
    return spec.label();
  }

  /**
   * @return the schema this plan was checked against (what {@link #apply} accepts)
   */
  public StructType inputSchema() {
    return inputSchema;
  }

  /**
   * The result of {@link #apply}: lazy datasets and the metrics their evaluation fills.
   *
   * @param scored good rows: passthrough columns, then output columns
   * @param rejected under {@code dead-letter}: bad rows with every input column plus {@code
   *     _error_code}, {@code _error_column}, {@code _error_message}; null under other policies
   * @param emitted what the partition function emits; {@code scored} and {@code rejected} are
   *     projections of it. Under dead-letter, persist it before evaluating both, or the model runs
   *     twice (and the metrics count twice).
   * @param metrics the accumulators the evaluation fills
   * @param intermediates for a chain under dead-letter: what the earlier models emitted, persisted
   *     (memory and disk) by {@link ChainPlan#apply} so that each model runs once although the
   *     rejected rows of every model are read from it; unpersist them after writing. Empty
   *     otherwise
   */
  public record Scored(
      Dataset<Row> scored,
      Dataset<Row> rejected,
      Dataset<Row> emitted,
      InferenceMetrics metrics,
      List<Dataset<Row>> intermediates) {
    public Scored {
      intermediates = List.copyOf(intermediates);
    }

    /** A result with no intermediates (a single model). */
    public Scored(
        Dataset<Row> scored,
        Dataset<Row> rejected,
        Dataset<Row> emitted,
        InferenceMetrics metrics) {
      this(scored, rejected, emitted, metrics, List.of());
    }
  }

  /**
   * Scores {@code input} lazily: nothing runs until an action (such as a write) on the result. The
   * model is broadcast once per call.
   *
   * @throws ValidationException when {@code input}'s schema differs from the planned one
   */
  public Scored apply(Dataset<Row> input) {
    if (!input.schema().equals(inputSchema)) {
      throw new ValidationException(
          "input schema changed since planning: planned "
              + inputSchema.simpleString()
              + ", got "
              + input.schema().simpleString()
              + ". Plan again against this dataset.");
    }
    SparkSession spark = input.sparkSession();
    Broadcast<ModelArtifact> broadcast =
        spark.sparkContext().broadcast(model, ClassTag$.MODULE$.apply(ModelArtifact.class));
    ScoringCounters counters =
        firstModel
            ? ScoringCounters.register(spark.sparkContext())
            : ScoringCounters.register(spark.sparkContext(), spec.label());
    InferenceMetrics metrics = new InferenceMetrics(counters);
    JavaRDD<InternalRow> rows = input.queryExecution().toRdd().toJavaRDD();
    JavaRDD<InternalRow> scored =
        rows.mapPartitions(new InferenceFunction(broadcast, spec, counters), true);
    Dataset<Row> emitted =
        SparkCompat.internalCreateDataFrame(spark, scored.rdd(), spec.emittedSchema());
    if (spec.errorPolicy() != ErrorPolicy.DEAD_LETTER) {
      return new Scored(emitted, null, emitted, metrics);
    }
    Column isError = functions.col(InferenceSpec.ERROR_FIELDS.get(0)).isNotNull();
    List<Column> good = new ArrayList<>();
    int[] pass = spec.passthroughOrdinals();
    for (int p = 0; p < pass.length; p++) {
      good.add(
          functions
              .col(InferenceSpec.INPUT_PREFIX + pass[p])
              .as(spec.outputSchema().fields()[p].name()));
    }
    for (int i = pass.length; i < spec.outputSchema().size(); i++) {
      good.add(functions.col(spec.outputSchema().fields()[i].name()));
    }
    List<Column> bad = new ArrayList<>();
    for (int i = 0; i < inputSchema.size(); i++) {
      bad.add(functions.col(InferenceSpec.INPUT_PREFIX + i).as(inputSchema.fields()[i].name()));
    }
    for (String e : InferenceSpec.ERROR_FIELDS) {
      bad.add(functions.col(e).as(e.substring(1)));
    }
    return new Scored(
        emitted.filter(functions.not(isError)).select(good.toArray(new Column[0])),
        emitted.filter(isError).select(bad.toArray(new Column[0])),
        emitted,
        metrics);
  }

  /**
   * @return the frozen spec shipped to executors
   */
  public InferenceSpec spec() {
    return spec;
  }

  /**
   * @return the model (bytes, sha256, where it came from)
   */
  public ModelArtifact model() {
    return model;
  }

  /**
   * @return the model's declared inputs and outputs
   */
  public ModelSignature signature() {
    return signature;
  }

  /**
   * @return the output schema: passthrough columns, then the output columns
   */
  public StructType outputSchema() {
    return spec.outputSchema();
  }

  /**
   * @return a human-readable plan, as printed by {@code --dry-run}
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("model:    ");
    if (spec.label() != null) {
      sb.append(spec.label()).append(": ");
    }
    sb.append(model.uri()).append('\n');
    sb.append("          sha256 ")
        .append(model.sha256())
        .append(", ")
        .append(model.size())
        .append(" bytes\n");
    sb.append("          distribution ").append(model.distribution());
    if (model.files() != null) {
      sb.append(" (graph + ")
          .append(model.files().externalFiles())
          .append(" external-data file(s); each node copies" + " them once into ")
          .append(
              model.files().cacheDir() == null
                  ? "<java.io.tmpdir>/" + io.batchinfer.udfs.model.LocalModelCache.DEFAULT_DIR_NAME
                  : model.files().cacheDir())
          .append(')');
    } else {
      sb.append(" (bytes broadcast once to every executor)");
    }
    sb.append('\n');
    sb.append("          inputs  ")
        .append(ModelSignature.describe(signature.inputs()))
        .append('\n');
    sb.append("          outputs ").append(ModelSignature.describe(signature.outputs()));
    for (io.batchinfer.udfs.model.MapSpec m : signature.maps().values()) {
      sb.append(", ").append(m.name()).append(' ').append(m.describe());
    }
    java.util.Set<String> other = new java.util.LinkedHashSet<>(signature.unsupported().keySet());
    other.removeAll(signature.maps().keySet());
    if (!other.isEmpty()) {
      sb.append(", not tensors: ").append(other);
    }
    sb.append('\n');
    sb.append("session:  device ")
        .append(spec.session().device())
        .append(", threads ")
        .append(spec.session().intraOpThreads());
    if (spec.session().device().usesGpu()) {
      sb.append(", GPU ordinal from Spark resource '")
          .append(spec.session().gpu().resourceName())
          .append("' (else model.device_id ")
          .append(spec.session().cudaDeviceId())
          .append("), fallback ")
          .append(spec.session().gpu().fallback());
    }
    sb.append('\n');
    sb.append("batching: ");
    if (spec.batched()) {
      sb.append("batches of ")
          .append(spec.batchSize())
          .append(" rows (model inputs have a free batch dimension)");
      if (!spec.texts().isEmpty() && spec.lengthWindow() > 1) {
        sb.append("; length-aware: windows of ")
            .append(spec.lengthWindow())
            .append(" batches sorted by token count");
      }
    } else if (batching == Batching.NONE && batchable) {
      sb.append("one row per run (model.batching=none)");
    } else {
      sb.append("one row per run (model inputs have a fixed batch of 1 or no batch axis)");
    }
    sb.append('\n');
    for (InputBinding b : spec.inputs()) {
      sb.append("input:    ").append(b.describe()).append('\n');
    }
    for (TextBinding t : spec.texts()) {
      sb.append("input:    ").append(t.describe()).append('\n');
    }
    for (OutputBinding b : spec.outputs()) {
      sb.append("output:   ").append(b.describe()).append('\n');
    }
    sb.append("schema:   ").append(spec.outputSchema().simpleString());
    return sb.toString();
  }

  @Override
  public String toString() {
    return "InferencePlan["
        + model.uri()
        + ", sha256="
        + spec.shortSha()
        + ", inputs="
        + Arrays.toString(spec.inputs().stream().map(InputBinding::onnxName).toArray())
        + "]";
  }
}
