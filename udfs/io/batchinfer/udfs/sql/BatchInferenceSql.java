package io.batchinfer.udfs.sql;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InferenceRequest;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.ModelDistribution;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.compat.SparkCompat;
import io.batchinfer.udfs.exec.ScoringCounters;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.TensorSpec;
import io.batchinfer.udfs.session.ModelSessions;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag$;

/**
 * The engine as a SQL function, registered with one call:
 *
 * <pre>{@code
 * BatchInferenceSql.register(spark, "iris_predict", BatchInference.builder()
 *     .modelPath("hdfs:///models/iris.onnx", null)
 *     .input("input", InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
 *     .output("output", OutputMapping.toColumn("probabilities").withArgmax("class_index")));
 * spark.sql("SELECT id, iris_predict(sepal_length, sepal_width, petal_length, petal_width).* FROM t");
 * }</pre>
 *
 * <p>The function's parameters are the columns the builder's input mappings name, in the order they
 * first appear; a call passes one value per parameter, positionally, and gets back a struct with
 * one field per output column. {@link #register} reads the model, checks the mappings against its
 * signature (typing each parameter from the model input it feeds, or as given) and broadcasts the
 * bytes once, all on the driver. Each call is checked again while its query is analysed: a wrong
 * number of arguments or an argument type the model input cannot take fails the query before any
 * task runs, naming the function, the parameter and the expected inputs.
 *
 * <p>Where code runs: registration and call checks on the driver; evaluation on the executors, one
 * ONNX Runtime call per row on the executor's shared session ({@code SessionCache}, one per model
 * and options per JVM). That per-row call is the convenient path: a {@link BatchInference} plan (or
 * the batch job) scores the same rows in batches and is much faster (README, "Ways in").
 *
 * <p>Error policy: {@code fail} (default) fails the query on a row that cannot be scored, naming
 * the function, row and argument; {@code skip} returns null for that row. {@code dead-letter} and
 * {@code passthrough} have no meaning for a function and are refused. The function is
 * session-scoped, like a temporary view. Stateless; nothing here owns a native resource.
 */
public final class BatchInferenceSql {
  private static final Logger LOG = LoggerFactory.getLogger(BatchInferenceSql.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private BatchInferenceSql() {}

  /**
   * Registers {@code name} in {@code spark}'s session, typing each parameter from the model input
   * it feeds: floating-point inputs take {@code DOUBLE}, integer inputs {@code BIGINT}, strings and
   * texts {@code STRING}, booleans {@code BOOLEAN}, and a single-column mapping of a model input of
   * rank {@code r > 1} an array nested {@code r - 1} deep. A call may pass other types the engine
   * accepts (e.g. {@code FLOAT} or {@code INT} columns).
   *
   * <p>The builder is taken over: its model is replaced by the bytes read here, and it plans each
   * call site; do not change or reuse it afterwards.
   *
   * @throws ValidationException naming every problem: function name, model, mappings, settings
   */
  public static SqlFunction register(
      SparkSession spark, String name, BatchInference.Builder builder) {
    return register(spark, name, builder, null);
  }

  /**
   * Registers {@code name} with the given parameter types ({@code parameters}: one field per mapped
   * column, names matching the mappings'), e.g. {@code StructType.fromDDL("sepal_length FLOAT,
   * ...")}; null derives them as {@link #register(SparkSession, String, BatchInference.Builder)}
   * does.
   *
   * @throws ValidationException naming every problem
   */
  public static SqlFunction register(
      SparkSession spark, String name, BatchInference.Builder builder, StructType parameters) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(builder, "builder");
    String source = "SQL function " + name;
    List<String> problems = new ArrayList<>();
    if (name == null || !NAME.matcher(name).matches()) {
      problems.add(
          "name: '"
              + name
              + "' is not a SQL function name; use letters, digits and '_', not starting with a"
              + " digit (e.g. iris_predict).");
    }
    InferenceRequest request = builder.request();
    if (request.errorPolicy() == ErrorPolicy.DEAD_LETTER) {
      problems.add(
          "errors.policy: dead-letter keeps rejected rows in a second output, which a function"
              + " cannot return. Use fail (the default) or skip (the function returns null for a"
              + " row that cannot be scored).");
    }
    if (!request.passthrough().isEmpty()) {
      problems.add(
          "passthrough: "
              + request.passthrough()
              + " has no meaning for a function, which returns only the model outputs. Remove it"
              + " and select those columns next to the call.");
    }
    List<String> columns = parameterNames(request);
    if (columns.isEmpty()) {
      problems.add(
          "inputs: no input mapping names a column, so the function would take no argument. Map"
              + " each model input with .input(name, InputMapping.columns(...)).");
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(source, problems);
    }
    ModelArtifact artifact = request.model();
    if (artifact == null) {
      try {
        artifact =
            ModelLoader.load(
                Objects.requireNonNullElse(request.modelPath(), ""),
                request.modelSha256(),
                spark.sparkContext().hadoopConfiguration(),
                "model.path",
                ModelDistribution.BROADCAST,
                0,
                null);
      } catch (ValidationException e) {
        throw e.withSource(source);
      }
    }
    if (artifact.files() != null) {
      throw new ValidationException(
          source,
          List.of(
              "model.distribution: a SQL function broadcasts the model bytes; "
                  + artifact.uri()
                  + " is distributed as files. Use model.distribution=broadcast."));
    }
    builder.model(artifact);
    StructType params =
        parameters != null ? parameters : derive(columns, request, signature(artifact, source));
    InferencePlan plan;
    try {
      plan = builder.plan(spark, params);
    } catch (ValidationException e) {
      throw e.withSource(source);
    }
    SqlFunction function = new SqlFunction(name, params, plan.outputSchema());
    Broadcast<ModelArtifact> broadcast =
        spark.sparkContext().broadcast(artifact, ClassTag$.MODULE$.apply(ModelArtifact.class));
    ScoringCounters counters = ScoringCounters.register(spark.sparkContext());
    SparkCompat.registerFunction(
        spark, name, new SqlCallBuilder(spark, function, builder, plan, broadcast, counters));
    LOG.info(
        "registered {} returning {}: model {} sha256 {} ({} bytes)",
        function.signature(),
        function.returnType().simpleString(),
        artifact.uri(),
        artifact.sha256(),
        artifact.size());
    return function;
  }

  /**
   * @return the columns the mappings name, in the order they first appear (the parameters)
   */
  static List<String> parameterNames(InferenceRequest request) {
    List<String> names = new ArrayList<>();
    for (InputMapping m : request.inputs().values()) {
      if (m.columns() != null) {
        m.columns().forEach(c -> addOnce(names, c));
      } else if (m.column() != null) {
        addOnce(names, m.column());
      } else if (m.text() != null) {
        addOnce(names, m.text().column());
      }
    }
    if (request.text() != null) {
      addOnce(names, request.text().column());
    }
    return names;
  }

  private static void addOnce(List<String> names, String column) {
    if (column != null && !names.contains(column)) {
      names.add(column);
    }
  }

  private static ModelSignature signature(ModelArtifact model, String source) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session =
            ModelSessions.open(
                OrtRuntime.environment(SessionOptionsSpec.DEFAULT), model, options)) {
      return ModelSignature.of(session);
    } catch (OrtException e) {
      throw new ValidationException(
          source,
          List.of(
              "model.path: "
                  + model.uri()
                  + " is not a valid ONNX model that ONNX Runtime can load: "
                  + e.getMessage().strip()));
    }
  }

  /** Types each parameter from the model input it feeds (see {@link #register}). */
  private static StructType derive(
      List<String> columns, InferenceRequest request, ModelSignature signature) {
    Map<String, DataType> types = new LinkedHashMap<>();
    for (Map.Entry<String, InputMapping> e : request.inputs().entrySet()) {
      TensorSpec input = signature.inputs().get(e.getKey());
      InputMapping m = e.getValue();
      DataType scalar = input == null ? DataTypes.DoubleType : scalarFor(input);
      if (m.columns() != null) {
        m.columns().forEach(c -> types.putIfAbsent(c, scalar));
      } else if (m.column() != null) {
        DataType t = scalar;
        for (int d = 1; input != null && d < input.rank(); d++) {
          t = DataTypes.createArrayType(t, true);
        }
        types.putIfAbsent(m.column(), t);
      }
    }
    StructType s = new StructType();
    for (String c : columns) {
      s = s.add(c, types.getOrDefault(c, DataTypes.StringType), true);
    }
    return s;
  }

  private static DataType scalarFor(TensorSpec input) {
    switch (input.type()) {
      case FLOAT32:
      case FLOAT64:
      case FLOAT16:
      case BFLOAT16:
        return DataTypes.DoubleType;
      case BOOL:
        return DataTypes.BooleanType;
      case STRING:
        return DataTypes.StringType;
      default:
        return DataTypes.LongType;
    }
  }
}
