package io.batchinfer.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ml.OnnxTransformer;
import io.batchinfer.udfs.sql.BatchInferenceSql;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Ways in", runnable: the same iris model on the same 150 rows through the Java API,
 * an ML Pipeline stage (saved and loaded) and a SQL function, printing the first rows of each and
 * checking that all three agree on every row. Run it alone with {@code mvn -B -q test
 * -Dtest=WaysInExampleTest} (the job config way is {@code submit-scripts/run-local.sh}).
 */
class WaysInExampleTest extends SparkTestBase {
  private static final String MODEL =
      Projects.root().resolve("models/iris/iris-logreg.onnx").toString();
  private static final List<String> SPECIES = List.of("setosa", "versicolor", "virginica");

  @TempDir Path tmp;

  @Test
  void javaApiMlStageAndSqlGiveTheSameLabels() throws Exception {
    Dataset<Row> iris =
        spark.read().parquet(Projects.root().resolve("data/iris/iris.parquet").toString());
    iris.createOrReplaceTempView("iris");

    // 1. Java API: plan (all checks, on the driver), then apply; lazy until an action.
    Dataset<Row> api =
        BatchInference.builder()
            .modelPath(MODEL, null)
            .input(
                "input",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
            .output(
                "output",
                OutputMapping.toColumn("probabilities")
                    .withArgmax("class_index")
                    .withLabels(SPECIES, "predicted"))
            .passthrough(List.of("id"))
            .plan(spark, iris.schema())
            .apply(iris)
            .scored();

    // 2. ML Pipeline stage: fit, save (model bytes inside), load, transform.
    OnnxTransformer stage =
        new OnnxTransformer()
            .setModelPath(MODEL)
            .setInput(
                "input",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
            .setOutput(
                "output",
                OutputMapping.none().withArgmax("class_index").withLabels(SPECIES, "predicted"));
    String saved = tmp.resolve("iris-pipeline").toString();
    new Pipeline().setStages(new PipelineStage[] {stage}).fit(iris).write().save(saved);
    Dataset<Row> ml = PipelineModel.load(saved).transform(iris).select("id", "predicted");

    // 3. SQL: one registration, then a function like any other.
    BatchInferenceSql.register(
        spark,
        "iris_predict",
        BatchInference.builder()
            .modelPath(MODEL, null)
            .input(
                "input",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
            .output(
                "output",
                OutputMapping.none().withArgmax("class_index").withLabels(SPECIES, "predicted")));
    Dataset<Row> sql =
        spark.sql(
            "SELECT id, iris_predict(sepal_length, sepal_width, petal_length, petal_width)"
                + ".predicted AS predicted FROM iris");

    Dataset<Row> all =
        api.select("id", "predicted")
            .withColumnRenamed("predicted", "api")
            .join(ml.withColumnRenamed("predicted", "ml_stage"), "id")
            .join(sql.withColumnRenamed("predicted", "sql"), "id")
            .orderBy("id");
    all.filter("id % 25 = 0").show(false); // a few rows of each species
    assertThat(all.count()).isEqualTo(150);
    assertThat(all.filter("api <> ml_stage OR api <> sql").count()).isZero();
  }
}
