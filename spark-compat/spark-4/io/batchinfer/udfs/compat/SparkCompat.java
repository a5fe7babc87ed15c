package io.batchinfer.udfs.compat;

import java.util.List;
import java.util.function.Function;
import org.apache.spark.SparkUserAppException;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.CreateNamedStruct;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The one place where batchinfer calls Spark APIs that differ between Spark 3.5 and Spark 4. This
 * is the Spark 4 (Scala 2.13) version, compiled by {@code mvn -Pspark4}; {@code
 * spark-compat/spark-3.5} holds the default one with the same class name and methods. Driver only;
 * stateless.
 */
public final class SparkCompat {
  private SparkCompat() {}

  /** The Spark line this build targets, as shown in logs and reports ("4"). */
  public static final String SPARK_LINE = "4";

  /**
   * A DataFrame over rows already in Spark's internal format, without converting them to external
   * {@link Row}s. In Spark 4 {@link SparkSession} is the API shared with Spark Connect; the
   * in-process session is {@code org.apache.spark.sql.classic.SparkSession}, which keeps {@code
   * internalCreateDataFrame}.
   *
   * @throws IllegalStateException for a Spark Connect session, which has no internal rows
   */
  public static Dataset<Row> internalCreateDataFrame(
      SparkSession spark, RDD<InternalRow> rows, StructType schema) {
    if (!(spark instanceof org.apache.spark.sql.classic.SparkSession classic)) {
      throw new IllegalStateException(
          "batchinfer needs an in-process (classic) SparkSession, got "
              + spark.getClass().getName()
              + " (Spark Connect is not supported)");
    }
    return classic.internalCreateDataFrame(rows, schema, false);
  }

  /**
   * The exception a YARN cluster-mode driver's {@code main} throws to end with {@code exitCode}
   * (Spark's ApplicationMaster reports it as the application's exit status). Its constructor
   * differs between Spark 3.5 ({@code (int)}) and Spark 4 ({@code (int, Throwable)}).
   */
  public static SparkUserAppException userAppExit(int exitCode) {
    return new SparkUserAppException(exitCode, null);
  }

  /**
   * Registers (or replaces) the session-scoped SQL function {@code name} whose {@code builder}
   * turns the analysed argument expressions of each call into the expression to evaluate, so it can
   * check the arguments' number and types while the query is analysed. Through the session's
   * function registry ({@code sessionState().functionRegistry()}), which is where Spark's own
   * {@code spark.udf().register} puts Java UDFs; the builder runs on the driver.
   */
  public static void registerFunction(
      SparkSession spark, String name, Function<List<Expression>, Expression> builder) {
    classic(spark)
        .sessionState()
        .functionRegistry()
        .createOrReplaceTempFunction(
            name,
            new scala.runtime.AbstractFunction1<
                scala.collection.immutable.Seq<Expression>, Expression>() {
              @Override
              public Expression apply(scala.collection.immutable.Seq<Expression> args) {
                return builder.apply(scala.jdk.javaapi.CollectionConverters.asJava(args));
              }
            },
            "java_udf");
  }

  /**
   * A call of {@code function} (a serializable Scala function of one {@code Row}) on one struct of
   * {@code args}, its fields named {@code names}: Spark's {@code ScalaUDF} as a Java UDF gets it
   * (no input encoders: the struct arrives as an external {@code Row}, the returned {@code Row} is
   * converted to {@code returnType}). Built directly, so a function builder can return it while the
   * analyser runs.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Expression rowFunctionCall(
      scala.Function1<Object, Object> function,
      DataType returnType,
      List<String> names,
      List<Expression> args,
      String name) {
    List<Expression> pairs = new java.util.ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      pairs.add(Literal.create(names.get(i), org.apache.spark.sql.types.DataTypes.StringType));
      pairs.add(args.get(i));
    }
    scala.collection.immutable.Seq<Expression> children =
        scala.jdk.javaapi.CollectionConverters.asScala(pairs).toSeq();
    Expression struct = new CreateNamedStruct(children);
    return new ScalaUDF(
        function,
        returnType,
        scala.jdk.javaapi.CollectionConverters.asScala(java.util.List.<Expression>of(struct))
            .toSeq(),
        (scala.collection.immutable.Seq) scala.collection.immutable.Nil$.MODULE$,
        scala.Option.empty(),
        scala.Option.apply(name),
        true,
        true);
  }

  private static org.apache.spark.sql.classic.SparkSession classic(SparkSession spark) {
    if (!(spark instanceof org.apache.spark.sql.classic.SparkSession classic)) {
      throw new IllegalStateException(
          "batchinfer needs an in-process (classic) SparkSession, got "
              + spark.getClass().getName()
              + " (Spark Connect is not supported)");
    }
    return classic;
  }
}
