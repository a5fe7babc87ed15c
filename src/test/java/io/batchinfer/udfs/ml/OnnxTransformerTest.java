package io.batchinfer.udfs.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.model.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ML Pipeline stage: fitted in a pipeline after Spark feature stages, saved with its model
 * bytes, loaded in a new SparkSession with the original model file gone, and compared with ONNX
 * Runtime called directly ({@link Oracle}) on the 150 committed iris rows; plus its schema checks,
 * Params round trip and error policies.
 */
class OnnxTransformerTest extends SparkTestBase {
  private static final Path MODEL = Projects.root().resolve("models/iris/iris-logreg.onnx");
  private static final String[] FEATURES = {
    "sepal_length", "sepal_width", "petal_length", "petal_width"
  };

  @TempDir Path tmp;

  private static Dataset<Row> iris(SparkSession session) {
    return session
        .read()
        .option("header", "true")
        .schema(
            "id INT, sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE,"
                + " petal_width DOUBLE, species STRING")
        .csv(Projects.root().resolve("data/iris/iris.csv").toString())
        .repartition(3);
  }

  private static OnnxTransformer irisStage(String model) {
    return new OnnxTransformer()
        .setModelPath(model)
        .setBatchSize(7)
        .setInput("input", InputMapping.column("scaled"))
        .setOutput("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
  }

  @Test
  void fittedPipelineSavesWithModelBytesLoadsInNewSessionAndMatchesOnnxRuntime() throws Exception {
    Path copy = tmp.resolve("iris-copy.onnx");
    Files.copy(MODEL, copy);
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler().setInputCols(FEATURES).setOutputCol("raw"),
                  new StandardScaler()
                      .setInputCol("raw")
                      .setOutputCol("scaled")
                      .setWithMean(true)
                      .setWithStd(true),
                  irisStage(copy.toString())
                });
    PipelineModel fitted = pipeline.fit(iris(spark));
    String saved = tmp.resolve("pipeline").toString();
    fitted.write().overwrite().save(saved);
    Files.delete(copy); // the loaded stage must use the bytes saved inside the pipeline folder

    try (Stream<Path> files = Files.walk(Path.of(saved))) {
      Path inside =
          files.filter(p -> p.endsWith(OnnxTransformerIO.MODEL_FILE)).findFirst().orElseThrow();
      assertThat(Sha256.hex(Files.readAllBytes(inside)))
          .isEqualTo(Sha256.hex(Files.readAllBytes(MODEL)));
    }

    SparkSession other = spark.newSession();
    SparkSession.setActiveSession(other);
    try {
      PipelineModel loaded = PipelineModel.load(saved);
      assertThat(loaded.stages()[2]).isInstanceOf(OnnxTransformer.class);
      Dataset<Row> input = iris(other);
      StructType planned = loaded.transformSchema(input.schema());
      Dataset<Row> out = loaded.transform(input);
      // Names and types as planned (StandardScaler plans 'scaled' as non-nullable but writes it
      // nullable, so nullability is not compared).
      assertThat(out.schema().fieldNames()).containsExactly(planned.fieldNames());
      for (String f : planned.fieldNames()) {
        assertThat(out.schema().apply(f).dataType().simpleString())
            .isEqualTo(planned.apply(f).dataType().simpleString());
      }
      assertThat(out.schema().apply("scaled").dataType()).isEqualTo(SQLDataTypes.VectorType());
      List<Row> rows = out.select("id", "scaled", "probabilities", "class_index").collectAsList();
      assertThat(rows).hasSize(150);
      try (Oracle oracle = new Oracle(MODEL)) {
        for (Row r : rows) {
          double[] scaled = ((Vector) r.get(1)).toArray();
          float[] x = new float[scaled.length];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) scaled[i];
          }
          float[] expected = oracle.runRow("input", "output", x);
          List<Float> probs = r.getList(2);
          int argmax = 0;
          for (int k = 0; k < 3; k++) {
            assertThat(probs.get(k))
                .as("row %d class %d", r.getInt(0), k)
                .isCloseTo(expected[k], within(1e-6f));
            argmax = expected[k] > expected[argmax] ? k : argmax;
          }
          assertThat(r.getInt(3)).isEqualTo(argmax);
        }
      }
    } finally {
      SparkSession.setActiveSession(spark);
    }
  }

  @Test
  void transformSchemaValidatesWithoutRunningAJobAndSpeaksLikeTheBuilder() {
    Dataset<Row> input = iris(spark);
    OnnxTransformer good =
        new OnnxTransformer()
            .setModelPath(MODEL.toString())
            .setInput("input", InputMapping.columns(FEATURES))
            .setOutput("output", OutputMapping.toColumn("probabilities").withArgmax("class_index"));
    spark.sparkContext().setJobGroup("schema-only", "transformSchema", false);
    StructType schema = good.transformSchema(input.schema());
    OnnxTransformer typo =
        good.copy(new org.apache.spark.ml.param.ParamMap())
            .setInput(
                "input",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_widht"));
    Throwable stageError = catchThrowable(() -> typo.transformSchema(input.schema()));
    assertThat(spark.sparkContext().statusTracker().getJobIdsForGroup("schema-only")).isEmpty();
    spark.sparkContext().clearJobGroup();

    assertThat(schema.fieldNames())
        .containsExactly(
            "id",
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "species",
            "probabilities",
            "class_index");
    Throwable builderError =
        catchThrowable(
            () ->
                BatchInference.builder()
                    .modelPath(MODEL.toString(), null)
                    .input(
                        "input",
                        InputMapping.columns(
                            "sepal_length", "sepal_width", "petal_length", "petal_widht"))
                    .output(
                        "output", OutputMapping.toColumn("probabilities").withArgmax("class_index"))
                    .passthrough(List.of(input.schema().fieldNames()))
                    .plan(spark, input.schema()));
    assertThat(stageError)
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("inputs.input.columns[3]: column 'petal_widht' not found")
        .hasMessageContaining("Did you mean 'petal_width'?")
        .hasMessage(builderError.getMessage());
  }

  @Test
  void paramsRoundTripThroughSaveAndLoad() throws Exception {
    OnnxTransformer stage =
        new OnnxTransformer()
            .setModelBytes("iris", Files.readAllBytes(MODEL))
            .setInput("input", InputMapping.columns(FEATURES).withType("float32"))
            .setOutput(
                "output",
                OutputMapping.none()
                    .withArgmax("class_index")
                    .withTopK(2, "top_i", "top_p")
                    .withLabels(List.of("setosa", "versicolor", "virginica"), "species_hat"))
            .setBatchSize(5)
            .setThreads(2)
            .setErrorPolicy("skip")
            .setAllowNan(true)
            .setBatching("none")
            .setMaxConsecutiveInferenceErrors(3);
    String path = tmp.resolve("stage").toString();
    stage.write().save(path);
    OnnxTransformer loaded = OnnxTransformer.load(path);
    assertThat(loaded.uid()).isEqualTo(stage.uid());
    for (org.apache.spark.ml.param.Param<?> p : stage.params()) {
      assertThat(loaded.isDefined(loaded.getParam(p.name())))
          .as(p.name())
          .isEqualTo(stage.isDefined(p));
      if (stage.isDefined(p)) {
        assertThat(loaded.getOrDefault(loaded.getParam(p.name())))
            .as(p.name())
            .isEqualTo(stage.getOrDefault(p));
      }
    }
    assertThat(loaded.isDefined(loaded.modelPath())).isFalse();
    assertThat(loaded.explainParams()).contains("batchSize").contains("model.batch_size");
    List<Row> rows = loaded.transform(iris(spark)).select("species", "species_hat").collectAsList();
    assertThat(rows).hasSize(150);
    long agree = rows.stream().filter(r -> r.getString(0).equals(r.getString(1))).count();
    assertThat(agree).isEqualTo(146); // the model's training accuracy (models/README.md)
  }

  @Test
  void errorPoliciesSkipOrKeepBadRows() {
    Dataset<Row> input =
        iris(spark)
            .withColumn(
                "petal_length",
                functions
                    .when(functions.col("id").equalTo(7), null)
                    .otherwise(functions.col("petal_length")));
    OnnxTransformer stage =
        new OnnxTransformer()
            .setModelPath(MODEL.toString())
            .setInput("input", InputMapping.columns(FEATURES))
            .setOutput("output", OutputMapping.none().withArgmax("class_index"));
    assertThatThrownBy(() -> stage.transform(input).collectAsList())
        .hasStackTraceContaining("column 'petal_length'")
        .hasStackTraceContaining("null");
    assertThat(
            stage
                .copy(new org.apache.spark.ml.param.ParamMap())
                .setErrorPolicy("skip")
                .transform(input)
                .count())
        .isEqualTo(149);
    OnnxTransformer deadLetter =
        stage.copy(new org.apache.spark.ml.param.ParamMap()).setErrorPolicy("dead-letter");
    Dataset<Row> all = deadLetter.transform(input);
    assertThat(all.schema()).isEqualTo(deadLetter.transformSchema(input.schema()));
    List<Row> bad = all.filter("_error_code IS NOT NULL").collectAsList();
    assertThat(bad).hasSize(1);
    assertThat(bad.get(0).<Integer>getAs("id")).isEqualTo(7);
    assertThat(bad.get(0).<String>getAs("_error_code")).isEqualTo("null_value");
    assertThat(bad.get(0).<String>getAs("_error_column")).isEqualTo("petal_length");
    assertThat(bad.get(0).isNullAt(bad.get(0).fieldIndex("class_index"))).isTrue();
    assertThat(all.filter("_error_code IS NULL AND class_index IS NOT NULL").count())
        .isEqualTo(149);
  }

  @Test
  void badParamValuesAndMissingModelAreNamed() {
    OnnxTransformer stage =
        new OnnxTransformer()
            .setModelPath(MODEL.toString())
            .setInput("input", InputMapping.columns(FEATURES))
            .setOutput("output", OutputMapping.toColumn("p"))
            .setDevice("gpu")
            .setErrorPolicy("ignore");
    StructType schema = iris(spark).schema();
    assertThatThrownBy(() -> stage.transformSchema(schema))
        .hasMessageContaining(
            "device (model.device): 'gpu' is not one of [cpu, cuda, tensorrt, auto]")
        .hasMessageContaining("errorPolicy (errors.policy): 'ignore' is not one of");
    assertThatThrownBy(() -> new OnnxTransformer().transformSchema(schema))
        .hasMessageContaining("modelPath: not set");
    assertThatThrownBy(
            () ->
                new OnnxTransformer()
                    .setModelPath(tmp.resolve("missing.onnx").toString())
                    .transformSchema(schema))
        .hasMessageContaining("model.path")
        .hasMessageContaining("missing.onnx");
  }

  @Test
  void loadChecksTheSavedBytesAgainstModelSha256() throws Exception {
    byte[] bytes = Files.readAllBytes(MODEL);
    String good = tmp.resolve("good").toString();
    new OnnxTransformer()
        .setModelBytes("iris", bytes)
        .setModelSha256(Sha256.hex(bytes))
        .setInput("input", InputMapping.columns(FEATURES))
        .write()
        .save(good);
    assertThat(OnnxTransformer.load(good).getOrDefault(OnnxTransformer.load(good).modelSha256()))
        .isEqualTo(Sha256.hex(bytes));
    String pinnedElsewhere = tmp.resolve("pinned-elsewhere").toString();
    new OnnxTransformer()
        .setModelBytes("iris", bytes)
        .setModelSha256("0".repeat(64))
        .write()
        .save(pinnedElsewhere);
    assertThatThrownBy(() -> OnnxTransformer.load(pinnedElsewhere))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("model.sha256")
        .hasMessageContaining(Sha256.hex(bytes));
  }

  private static Throwable catchThrowable(org.assertj.core.api.ThrowableAssert.ThrowingCallable c) {
    return org.assertj.core.api.Assertions.catchThrowable(c);
  }
}
