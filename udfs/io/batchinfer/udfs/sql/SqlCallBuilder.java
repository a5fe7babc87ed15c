package io.batchinfer.udfs.sql;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.compat.SparkCompat;
import io.batchinfer.udfs.exec.ScoringCounters;
import io.batchinfer.udfs.model.ModelArtifact;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: turns one call of a registered function, as the analyser sees it (its argument
 * expressions, already resolved and typed), into the expression Spark evaluates. It checks the
 * number of arguments, plans the model against the arguments' actual types (the engine's own
 * validation, so messages name the parameter and the model input), and wraps a {@link RowFunction}
 * for that plan in a Spark UDF expression over one struct of the arguments. Synchronized: the
 * builder it plans with is not thread-safe, and queries may be analysed concurrently.
 */
final class SqlCallBuilder implements Function<List<Expression>, Expression> {
  private final SparkSession spark;
  private final SqlFunction function;
  private final BatchInference.Builder builder;
  private final InferencePlan registered;
  private final Broadcast<ModelArtifact> model;
  private final ScoringCounters counters;

  SqlCallBuilder(
      SparkSession spark,
      SqlFunction function,
      BatchInference.Builder builder,
      InferencePlan registered,
      Broadcast<ModelArtifact> model,
      ScoringCounters counters) {
    this.spark = spark;
    this.function = function;
    this.builder = builder;
    this.registered = registered;
    this.model = model;
    this.counters = counters;
  }

  @Override
  public synchronized Expression apply(List<Expression> args) {
    StructType params = function.parameters();
    String caller = "SQL function " + function.name();
    if (args.size() != params.size()) {
      throw new ValidationException(
          caller
              + ": expects "
              + params.size()
              + " argument(s) "
              + function.signature()
              + " but the call passes "
              + args.size()
              + ": "
              + function.name()
              + "("
              + String.join(", ", args.stream().map(Expression::sql).toList())
              + "). Pass one value per parameter, in this order.");
    }
    StructType actual = new StructType();
    for (int i = 0; i < args.size(); i++) {
      actual =
          actual.add(
              new StructField(
                  params.fields()[i].name(),
                  args.get(i).dataType(),
                  true,
                  org.apache.spark.sql.types.Metadata.empty()));
    }
    InferencePlan plan = registered;
    if (!sameTypes(actual, registered.spec().inputSchema())) {
      try {
        plan = builder.plan(spark, actual);
      } catch (ValidationException e) {
        throw e.withSource(
            caller
                + " called as "
                + describeCall(actual)
                + " (registered as "
                + function.signature()
                + ")");
      }
      if (!plan.outputSchema().equals(function.returnType())) {
        throw new ValidationException(
            caller
                + ": with arguments "
                + describeCall(actual)
                + " the model's outputs would be "
                + plan.outputSchema().simpleString()
                + " but the function was registered returning "
                + function.returnType().simpleString()
                + ". Cast the arguments to the registered types "
                + function.signature()
                + ".");
      }
    }
    return SparkCompat.rowFunctionCall(
        new RowFunction(model, plan.spec(), counters, caller),
        function.returnType(),
        java.util.List.of(params.fieldNames()),
        args,
        function.name());
  }

  private String describeCall(StructType actual) {
    StringBuilder sb = new StringBuilder(function.name()).append('(');
    for (int i = 0; i < actual.size(); i++) {
      sb.append(i == 0 ? "" : ", ")
          .append(actual.fields()[i].name())
          .append(' ')
          .append(actual.fields()[i].dataType().sql());
    }
    return sb.append(')').toString();
  }

  private static boolean sameTypes(StructType a, StructType b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.fields()[i].dataType().equals(b.fields()[i].dataType())) {
        return false;
      }
    }
    return true;
  }
}
