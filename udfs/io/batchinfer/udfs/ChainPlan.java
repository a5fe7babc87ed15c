package io.batchinfer.udfs;

import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.exec.InferenceSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Validated models to run in one pass, in order: a chain planned by {@link BatchInferenceChain}, or
 * a single {@link InferencePlan} ({@link #of}), optionally adding each model's short sha256 to
 * every output row ({@code output.model_column}). {@link #apply} applies the models one after the
 * other to the same rows: each is a {@code mapPartitions} over the previous one's rows, so Spark
 * runs them all in one stage over one read, and each model has its own broadcast (or files) and
 * sessions. Driver only; immutable, so one plan may be applied to several datasets of the same
 * schema.
 */
public final class ChainPlan {
  private final List<InferencePlan> models;
  private final StructType inputSchema;
  private final List<String> passthrough;
  private final List<String> modelColumns;
  private final boolean chained;

  ChainPlan(
      List<InferencePlan> models,
      StructType inputSchema,
      List<String> passthrough,
      List<String> modelColumns,
      boolean chained) {
    this.models = List.copyOf(models);
    this.inputSchema = inputSchema;
    this.passthrough = List.copyOf(passthrough);
    this.modelColumns = List.copyOf(modelColumns);
    this.chained = chained;
  }

  /**
   * @param plan one model, planned with {@link BatchInference}
   * @param modelColumn column for the model's short sha256 ({@code output.model_column}), or null
   * @return a plan that applies {@code plan} exactly as {@link InferencePlan#apply} does, adding
   *     {@code modelColumn} when set
   * @throws ValidationException when {@code modelColumn} is already an output column
   */
  public static ChainPlan of(InferencePlan plan, String modelColumn) {
    if (modelColumn != null && List.of(plan.outputSchema().fieldNames()).contains(modelColumn)) {
      throw new ValidationException(
          "output.model_column: column '"
              + modelColumn
              + "' is already an output column; choose another name.");
    }
    return new ChainPlan(
        List.of(plan),
        plan.inputSchema(),
        List.of(),
        modelColumn == null ? List.of() : List.of(modelColumn),
        false);
  }

  /**
   * @return the models, in the order they run
   */
  public List<InferencePlan> models() {
    return models;
  }

  /**
   * @return the columns holding each model's short sha256, in model order; empty when {@code
   *     output.model_column} is not set
   */
  public List<String> modelColumns() {
    return modelColumns;
  }

  /**
   * @return the output schema: passthrough columns, each model's output columns in model order,
   *     then the model columns
   */
  public StructType outputSchema() {
    StructType s;
    if (!chained) {
      s = models.get(0).outputSchema();
    } else {
      s = new StructType();
      for (String p : passthrough) {
        s = s.add(inputSchema.apply(p));
      }
      for (InferencePlan m : models) {
        for (StructField f : outputFields(m)) {
          s = s.add(f);
        }
      }
    }
    for (String c : modelColumns) {
      s = s.add(c, DataTypes.StringType, false);
    }
    return s;
  }

  /** The fields {@code m} adds to the rows it is given. */
  private static List<StructField> outputFields(InferencePlan m) {
    Set<String> in = new HashSet<>(List.of(m.inputSchema().fieldNames()));
    List<StructField> out = new ArrayList<>();
    for (StructField f : m.outputSchema().fields()) {
      if (!in.contains(f.name())) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * Scores {@code input} lazily with every model. Under dead-letter the earlier models' emitted
   * rows are persisted (see {@link InferencePlan.Scored#intermediates()}); the caller unpersists
   * them after writing.
   *
   * @throws ValidationException when {@code input}'s schema differs from the planned one
   */
  public InferencePlan.Scored apply(Dataset<Row> input) {
    if (!chained) {
      InferencePlan.Scored s = models.get(0).apply(input);
      if (modelColumns.isEmpty()) {
        return s;
      }
      Dataset<Row> scored =
          s.scored()
              .withColumn(modelColumns.get(0), functions.lit(models.get(0).model().shortSha()));
      return new InferencePlan.Scored(scored, s.rejected(), s.emitted(), s.metrics());
    }
    ErrorPolicy policy = models.get(0).spec().errorPolicy();
    Dataset<Row> rows = input;
    List<InferenceMetrics> metrics = new ArrayList<>();
    List<Dataset<Row>> intermediates = new ArrayList<>();
    Dataset<Row> rejected = null;
    InferencePlan.Scored last = null;
    for (int i = 0; i < models.size(); i++) {
      InferencePlan.Scored s = models.get(i).apply(rows);
      metrics.add(s.metrics());
      if (policy == ErrorPolicy.DEAD_LETTER) {
        List<Column> cols = new ArrayList<>();
        for (String c : inputSchema.fieldNames()) {
          cols.add(functions.col(c));
        }
        for (String e : InferenceSpec.ERROR_FIELDS) {
          cols.add(functions.col(e.substring(1)));
        }
        Dataset<Row> bad = s.rejected().select(cols.toArray(new Column[0]));
        rejected = rejected == null ? bad : rejected.unionByName(bad);
        if (i + 1 < models.size()) {
          // Read twice (the next model's rows and this model's rejected rows): keep it, so the
          // model runs once.
          s.emitted().persist(StorageLevel.MEMORY_AND_DISK());
          intermediates.add(s.emitted());
        }
      }
      rows = s.scored();
      last = s;
    }
    List<Column> out = new ArrayList<>();
    for (String p : passthrough) {
      out.add(functions.col(p));
    }
    for (InferencePlan m : models) {
      for (StructField f : outputFields(m)) {
        out.add(functions.col(f.name()));
      }
    }
    for (int i = 0; i < modelColumns.size(); i++) {
      out.add(functions.lit(models.get(i).model().shortSha()).as(modelColumns.get(i)));
    }
    return new InferencePlan.Scored(
        rows.select(out.toArray(new Column[0])),
        rejected,
        last.emitted(),
        InferenceMetrics.chain(metrics),
        intermediates);
  }

  /**
   * @return a human-readable plan, as printed by {@code --dry-run}: the models in the order they
   *     run, each with its inputs and outputs
   */
  public String describe() {
    if (!chained) {
      return models.get(0).describe()
          + (modelColumns.isEmpty()
              ? ""
              : "\nlineage:  column "
                  + modelColumns.get(0)
                  + " = "
                  + models.get(0).model().shortSha()
                  + " (short sha256)");
    }
    StringBuilder sb = new StringBuilder();
    sb.append("chain:    ").append(models.size()).append(" models in one pass, in order: ");
    for (int i = 0; i < models.size(); i++) {
      sb.append(i == 0 ? "" : " -> ").append(models.get(i).name());
    }
    sb.append('\n');
    for (int i = 0; i < models.size(); i++) {
      InferencePlan m = models.get(i);
      sb.append("--- models[").append(i).append("] ").append(m.name());
      sb.append(": reads ").append(readsFrom(i)).append('\n');
      sb.append(m.describe()).append('\n');
    }
    for (int i = 0; i < modelColumns.size(); i++) {
      sb.append("lineage:  column ")
          .append(modelColumns.get(i))
          .append(" = ")
          .append(models.get(i).model().shortSha())
          .append(" (")
          .append(models.get(i).name())
          .append(", short sha256)\n");
    }
    sb.append("result:   ").append(outputSchema().simpleString());
    return sb.toString();
  }

  /** Which earlier models' outputs model {@code i} reads, for the description. */
  private String readsFrom(int i) {
    Set<String> read = new HashSet<>();
    InferencePlan m = models.get(i);
    for (InputBinding b : m.spec().inputs()) {
      read.addAll(List.of(b.columns()));
    }
    for (TextBinding t : m.spec().texts()) {
      read.add(t.column());
    }
    List<String> upstream = new ArrayList<>();
    for (int j = 0; j < i; j++) {
      for (StructField f : outputFields(models.get(j))) {
        if (read.contains(f.name())) {
          upstream.add(f.name() + " of " + models.get(j).name());
        }
      }
    }
    return upstream.isEmpty() ? "input columns" : "input columns and " + upstream;
  }
}
