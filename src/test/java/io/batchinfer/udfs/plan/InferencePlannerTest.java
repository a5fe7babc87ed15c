package io.batchinfer.udfs.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InferenceRequest;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.exec.InferenceSpec;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every validation problem the planner reports, asserted on its text: the key path (as users write
 * it in the job config), expected vs found, and the suggested fix. Planning runs on the driver only
 * (no Spark job), but needs a session for the Hadoop configuration.
 */
class InferencePlannerTest extends SparkTestBase {
  private static final float[][] W = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
  private static final float[] B = {0, 0, 0};

  /** Input {@code features [batch, 4] float32}, output {@code probs [batch, 3] float32}. */
  private static final ModelArtifact CLASSIFIER =
      ModelLoader.fromBytes("classifier", TestModels.linearSoftmax("features", "probs", W, B));

  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("sepal_length", DataTypes.FloatType)
          .add("sepal_width", DataTypes.FloatType)
          .add("petal_length", DataTypes.DoubleType)
          .add("petal_width", DataTypes.IntegerType)
          .add("name", DataTypes.StringType)
          .add("vec", DataTypes.createArrayType(DataTypes.FloatType))
          .add("matrix", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)))
          .add("words", DataTypes.createArrayType(DataTypes.StringType));

  private static final InputMapping FOUR_COLUMNS =
      InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width");

  @TempDir Path dir;

  /** A valid request against {@link #CLASSIFIER}; each test breaks one thing. */
  private static BatchInference.Builder classifier() {
    return BatchInference.builder()
        .model(CLASSIFIER)
        .input("features", FOUR_COLUMNS)
        .output("probs", OutputMapping.toColumn("probabilities"))
        .passthrough(List.of("id"));
  }

  @Test
  void freezesTheRequestAndTheSpecByValue() {
    BatchInference.Builder builder = classifier();
    InferenceRequest request = builder.request();
    builder.passthrough(List.of("id", "name")); // later builder calls do not reach a taken request
    assertThat(request.passthrough()).containsExactly("id");
    assertThatThrownBy(() -> request.inputs().put("x", FOUR_COLUMNS))
        .isInstanceOf(UnsupportedOperationException.class);

    InferenceSpec first = classifier().plan(spark, SCHEMA).spec();
    InferenceSpec second = classifier().plan(spark, SCHEMA).spec();
    // Two plannings of one request give equal specs: arrays inside compare by content.
    assertThat(second).isEqualTo(first).hasSameHashCodeAs(first);
    assertThat(second.inputs().get(0)).isEqualTo(first.inputs().get(0));
    // And a caller cannot change a frozen spec through the arrays it hands out.
    first.passthroughOrdinals()[0] = 5;
    first.inputs().get(0).ordinals()[0] = 0;
    assertThat(first.passthroughOrdinals()).containsExactly(0);
    assertThat(first.inputs().get(0).ordinals()).containsExactly(1, 2, 3, 4);
    assertThat(first).isEqualTo(second);
  }

  @Test
  void acceptsAValidRequest() {
    InferencePlan plan =
        BatchInference.builder()
            .model(CLASSIFIER)
            .input("features", FOUR_COLUMNS)
            .output(
                "probs",
                OutputMapping.toColumn("probabilities")
                    .withArgmax("pred")
                    .withLabels(List.of("setosa", "versicolor", "virginica"), null)
                    .withTopK(2, "top_i", "top_p"))
            .passthrough(List.of("id", "name"))
            .plan(spark, SCHEMA);

    assertThat(plan.spec().batched()).isTrue();
    assertThat(plan.outputSchema().fieldNames())
        .containsExactly("id", "name", "probabilities", "pred", "pred_label", "top_i", "top_p");
    assertThat(plan.describe())
        .contains(
            "input:    features <- [sepal_length, sepal_width, petal_length, petal_width] as [?, 4] float32")
        .contains("batches of 256 rows");
  }

  // --- inputs ---------------------------------------------------------------------------------

  @Test
  void rejectsUnknownColumnNamingItsIndexAndTheNearestName() {
    BatchInference.Builder b =
        classifier()
            .input(
                "features",
                InputMapping.columns("sepal_length", "sepal_width", "petal_lenght", "petal_width"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.columns[2]: column 'petal_lenght' not found in input; available: [id,"
                + " sepal_length, sepal_width, petal_length, petal_width, name, vec, matrix, words].")
        .hasMessageContaining("Did you mean 'petal_length'?");
  }

  @Test
  void rejectsUnknownSingleColumnUnderColumnKey() {
    BatchInference.Builder b = classifier().input("features", InputMapping.column("vecc"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("inputs.features.column: column 'vecc' not found in input")
        .hasMessageContaining("Did you mean 'vec'?");
  }

  @Test
  void rejectsWrongColumnCountForAFixedDimension() {
    // The model's batch dimension has no symbolic name, so it prints as '?'.
    ModelArtifact model =
        ModelLoader.fromBytes(
            "unnamed",
            TestModels.identity("features", "out", TestModels.FLOAT, TestModels.UNNAMED_DIM, 4));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("features", InputMapping.columns("sepal_length", "sepal_width", "petal_length"))
            .output("out", OutputMapping.toColumn("out"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features: model input 'features' expects [?, 4] float32 but 3 columns are mapped"
                + " (sepal_length, sepal_width, petal_length). Map 4 scalar columns, or one array column of length 4.");
  }

  @Test
  void showsTheSymbolicBatchNameWhenTheModelHasOne() {
    BatchInference.Builder b =
        classifier()
            .input("features", InputMapping.columns("sepal_length", "sepal_width", "petal_length"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features: model input 'features' expects [batch, 4] float32 but 3 columns are"
                + " mapped");
  }

  @Test
  void rejectsUnknownModelInputWithSuggestion() {
    BatchInference.Builder b =
        BatchInference.builder()
            .model(CLASSIFIER)
            .input("feature", FOUR_COLUMNS)
            .output("probs", OutputMapping.toColumn("p"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("2 problems:")
        .hasMessageContaining(
            "inputs.feature: the model has no input 'feature'; model inputs:"
                + " [features [batch, 4] float32]. Did you mean 'features'?")
        .hasMessageContaining(
            "inputs: model input 'features' ([batch, 4] float32) is not mapped; add"
                + " inputs.features with 'columns'");
  }

  @Test
  void rejectsUnmappedModelInput() {
    ModelArtifact model =
        ModelLoader.fromBytes("add-mul", TestModels.addMul("a", "b", "sum", "product", 2));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("a", InputMapping.columns("sepal_length", "sepal_width"))
            .output("sum", OutputMapping.toColumn("s"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith(
            "1 problem: inputs: model input 'b' ([batch, 2] float32) is not mapped; add inputs.b"
                + " with 'columns'");
  }

  @Test
  void rejectsStringColumnIntoNumericInput() {
    BatchInference.Builder b =
        classifier()
            .input(
                "features",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "name"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.columns[3]: column 'name' is string; model input 'features' takes"
                + " [batch, 4] float32, so map numeric or boolean columns.");
  }

  @Test
  void rejectsArrayColumnAmongScalarColumns() {
    BatchInference.Builder b =
        classifier()
            .input(
                "features",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "vec"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.columns[3]: column 'vec' is array<float>; model input 'features'"
                + " takes [batch, 4] float32, so map numeric or boolean columns (an array column goes alone under"
                + " 'column').");
  }

  @Test
  void rejectsNumericColumnsIntoStringInput() {
    ModelArtifact model =
        ModelLoader.fromBytes("strings", TestModels.identity("text", "out", TestModels.STRING, -1));
    BatchInference.Builder scalar =
        BatchInference.builder()
            .model(model)
            .input("text", InputMapping.column("sepal_length"))
            .output("out", OutputMapping.toColumn("out"));
    BatchInference.Builder array =
        BatchInference.builder()
            .model(
                ModelLoader.fromBytes(
                    "strings2", TestModels.identity("text", "out", TestModels.STRING, -1, 3)))
            .input("text", InputMapping.column("vec"))
            .output("out", OutputMapping.toColumn("out"));

    assertThatThrownBy(() -> scalar.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.text.column: column 'sepal_length' is float; model input 'text' takes"
                + " [batch] string, so map string columns.");
    assertThatThrownBy(() -> array.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.text.column: column 'vec' is array<float>; model input 'text' takes"
                + " [batch, 3] string, so map an array of string values.");
  }

  @Test
  void rejectsArrayRankMismatch() {
    // [batch, 2, 2] takes an array with 2 levels per row (or 3, with no batch axis); vec has 1.
    ModelArtifact model =
        ModelLoader.fromBytes("rank3", TestModels.identity("x", "y", TestModels.FLOAT, -1, 2, 2));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.column("vec"))
            .output("y", OutputMapping.toColumn("y"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.x.column: model input 'x' expects [batch, 2, 2] float32 (rank 3) but column"
                + " 'vec' is array<float> (1 array level per row). Map a column with 2 array levels, or 'columns' of"
                + " scalars.");
  }

  @Test
  void readsAnArrayWithAsManyLevelsAsTheModelRankAsOneTensorPerRow() {
    // Documents current behaviour: array<array<float>> into [batch, 4] is not rejected. Each row's
    // matrix is the whole [n, 4] tensor (no batch axis), so the model runs once per row.
    InferencePlan plan =
        classifier().input("features", InputMapping.column("matrix")).plan(spark, SCHEMA);

    assertThat(plan.spec().batched()).isFalse();
    assertThat(plan.spec().inputs().get(0).batchAxis()).isFalse();
    assertThat(plan.outputSchema().apply("probabilities").dataType())
        .isEqualTo(
            DataTypes.createArrayType(
                DataTypes.createArrayType(DataTypes.FloatType, false), false));
  }

  @Test
  void rejectsColumnAndColumnsBothSet() {
    BatchInference.Builder b =
        classifier()
            .input("features", new InputMapping(List.of("sepal_length"), "vec", null, null));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features: set exactly one of 'columns' (a list of scalar columns) or 'column'"
                + " (one scalar or array column); found both.");
  }

  @Test
  void rejectsEmptyColumnList() {
    BatchInference.Builder b =
        classifier().input("features", new InputMapping(List.of(), null, null, null));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.columns: empty; list the input columns in the order model input"
                + " 'features' expects them ([batch, 4] float32).");
  }

  @Test
  void rejectsAssertedTypeThatDiffersFromTheModel() {
    BatchInference.Builder wrong = classifier().input("features", FOUR_COLUMNS.withType("int64"));
    BatchInference.Builder unknown =
        classifier().input("features", FOUR_COLUMNS.withType("float33"));

    assertThatThrownBy(() -> wrong.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.type: model input 'features' is float32 but the config says int64.");
    assertThatThrownBy(() -> unknown.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.features.type: unknown element type 'float33'; expected one of [float32,");
    assertThat(classifier().input("features", FOUR_COLUMNS.withType("float")).plan(spark, SCHEMA))
        .isNotNull();
  }

  @Test
  void rejectsFixedBatchLargerThanOne() {
    ModelArtifact model =
        ModelLoader.fromBytes("batch4", TestModels.identity("x", "y", TestModels.FLOAT, 4, 3));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.columns("sepal_length", "sepal_width", "petal_length"))
            .output("y", OutputMapping.toColumn("y"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.x: model input 'x' expects [4, 3] float32, a fixed batch of 4 rows;")
        .hasMessageContaining(
            "Re-export the model with a free (dynamic) batch dimension or a batch of 1.");
  }

  @Test
  void rejectsModelWithAnInputOnnxRuntimeJavaCannotFeed() {
    // uint32 (ONNX type 12) has no ONNX Runtime Java tensor type: the model cannot be run at all,
    // whether or not the config maps that input.
    ModelArtifact model = ModelLoader.fromBytes("u32", TestModels.identity("x", "y", 12, -1, 3));
    BatchInference.Builder b =
        BatchInference.builder().model(model).output("y", OutputMapping.toColumn("y"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.x: model input 'x' is tensor of ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32")
        .hasMessageContaining("Re-export the model with a supported input type.");
  }

  @Test
  void acceptsFixedBatchOfOneAndNoBatchAxisAsOneRowPerRun() {
    InferencePlan one =
        BatchInference.builder()
            .model(ModelLoader.fromBytes("b1", TestModels.fixedBatchOfOne("x", "y", 3)))
            .input("x", InputMapping.columns("sepal_length", "sepal_width", "petal_length"))
            .output("y", OutputMapping.toColumn("y"))
            .plan(spark, SCHEMA);
    InferencePlan none =
        BatchInference.builder()
            .model(ModelLoader.fromBytes("sum", TestModels.sumNoBatchAxis("x", "total", 3)))
            .input("x", InputMapping.columns("sepal_length", "sepal_width", "petal_length"))
            .output("total", OutputMapping.toColumn("total"))
            .plan(spark, SCHEMA);

    assertThat(one.spec().batched()).isFalse();
    assertThat(none.spec().batched()).isFalse();
    assertThat(none.describe())
        .contains("one row per run (model inputs have a fixed batch of 1 or no batch axis)");
  }

  // --- outputs --------------------------------------------------------------------------------

  @Test
  void rejectsUnknownModelOutputWithSuggestion() {
    BatchInference.Builder b = classifier().output("prob", OutputMapping.toColumn("p"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.prob: the model has no output 'prob'; model outputs: [probs [batch, 3]"
                + " float32]. Did you mean 'probs'?");
  }

  @Test
  void rejectsNoOutputs() {
    BatchInference.Builder b =
        BatchInference.builder().model(CLASSIFIER).input("features", FOUR_COLUMNS);

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs: no model output is mapped; model outputs: [probs [batch, 3] float32]. Add"
                + " e.g. outputs.probs.column.");
  }

  @Test
  void rejectsOutputWithNothingToWrite() {
    BatchInference.Builder b = classifier().output("probs", OutputMapping.none());

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs: nothing to write; set 'column', 'argmax', 'top_k' or 'labels'.");
  }

  @Test
  void rejectsLabelCountThatDiffersFromClassCount() {
    BatchInference.Builder b =
        classifier()
            .output(
                "probs",
                OutputMapping.none()
                    .withArgmax("pred")
                    .withLabels(List.of("setosa", "versicolor"), null));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs.labels: model output 'probs' has 3 classes ([batch, 3] float32) but 2"
                + " labels are listed. List one label per class index.");
  }

  @Test
  void rejectsTopKOutOfRange() {
    BatchInference.Builder tooMany =
        classifier().output("probs", OutputMapping.none().withTopK(4, "i", "s"));
    BatchInference.Builder zero =
        classifier().output("probs", OutputMapping.none().withTopK(0, "i", "s"));
    BatchInference.Builder unnamed =
        classifier().output("probs", OutputMapping.none().withTopK(2, "i", null));

    assertThatThrownBy(() -> tooMany.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs.top_k.k: must be between 1 and the number of classes (3); found 4.");
    assertThatThrownBy(() -> zero.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs.top_k.k: must be between 1 and the number of classes (3); found 0.");
    assertThatThrownBy(() -> unnamed.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs.top_k.scores: missing; name the column for the top-k scores.");
  }

  @Test
  void rejectsTopKAndSoftmaxOnIntegerScores() {
    ModelArtifact model =
        ModelLoader.fromBytes("ints", TestModels.identity("x", "y", TestModels.INT32, -1, 3));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.column("vec"))
            .output("y", OutputMapping.none().withTopK(1, "i", "s"));

    // vec is array<float> and fractions are refused per row, but the mapping itself is valid.
    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessage(
            "1 problem: outputs.y: softmax and top_k need floating-point scores; model output 'y' is"
                + " [batch, 3] int32.");
  }

  @Test
  void rejectsPostProcessingOnAnOutputThatIsNotAVector() {
    ModelArtifact model =
        ModelLoader.fromBytes("grid", TestModels.identity("x", "y", TestModels.FLOAT, -1, 2, 2));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.column("matrix"))
            .output("y", OutputMapping.none().withArgmax("pred"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.y: softmax, argmax, top_k and labels work on a per-row vector of class scores,"
                + " shape [batch, classes] numeric; model output 'y' is [batch, 2, 2] float32. Write it with 'column'"
                + " only.");
  }

  @Test
  void rejectsDuplicateOutputColumnNames() {
    ModelArtifact model =
        ModelLoader.fromBytes("add-mul", TestModels.addMul("a", "b", "sum", "product", 2));
    BatchInference.Builder twoOutputs =
        BatchInference.builder()
            .model(model)
            .input("a", InputMapping.columns("sepal_length", "sepal_width"))
            .input("b", InputMapping.column("vec"))
            .output("sum", OutputMapping.toColumn("z"))
            .output("product", OutputMapping.toColumn("z"));
    BatchInference.Builder oneOutput =
        classifier().output("probs", OutputMapping.toColumn("p").withArgmax("p"));

    assertThatThrownBy(() -> twoOutputs.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessage(
            "1 problem: outputs.product: output column 'z' is already used by passthrough or another output;"
                + " choose another name.");
    assertThatThrownBy(() -> oneOutput.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs: output column 'p' is already used by passthrough or another output;"
                + " choose another name.");
  }

  @Test
  void rejectsOutputColumnClashingWithPassthrough() {
    BatchInference.Builder b = classifier().output("probs", OutputMapping.toColumn("id"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "outputs.probs: output column 'id' is already used by passthrough or another output;"
                + " choose another name.");
  }

  // --- passthrough ----------------------------------------------------------------------------

  @Test
  void rejectsUnknownAndRepeatedPassthroughColumns() {
    BatchInference.Builder b = classifier().passthrough(List.of("id", "nmae", "id"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("2 problems:")
        .hasMessageContaining("passthrough[1]: column 'nmae' not found in input; available: [id,")
        .hasMessageContaining("Did you mean 'name'?")
        .hasMessageContaining("passthrough[2]: column 'id' is listed twice.");
  }

  // --- model and settings ---------------------------------------------------------------------

  @Test
  void rejectsModelBytesThatAreNotOnnx() throws Exception {
    Path bad =
        Files.write(
            dir.resolve("notes.onnx"), "this is not a model".getBytes(StandardCharsets.UTF_8));
    BatchInference.Builder byPath = classifier().modelPath(bad.toString(), null);
    BatchInference.Builder inMemory =
        classifier().model(ModelLoader.fromBytes("junk", new byte[] {1, 2, 3, 4}));

    assertThatThrownBy(() -> byPath.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "model.path: file:" + bad + " is not a valid ONNX model that ONNX Runtime can load: ")
        .hasMessageContaining("Check that the file is a complete .onnx export.");
    assertThatThrownBy(() -> inMemory.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("model.path: memory:junk is not a valid ONNX model");
  }

  @Test
  void reportsSettingsProblemsTogetherWithAnUnreadableModel() {
    BatchInference.Builder b =
        classifier().model(ModelLoader.fromBytes("junk", new byte[] {1, 2, 3, 4})).batchSize(0);

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.problems()).hasSize(2))
        .hasMessageContaining("model.batch_size: must be a positive number of rows; found 0.")
        .hasMessageContaining("model.path: memory:junk is not a valid ONNX model")
        .hasMessageNotContaining("..");
  }

  @Test
  void rejectsSeveralScalarColumnsIntoAVectorInput() {
    ModelArtifact model =
        ModelLoader.fromBytes("vector", TestModels.identity("x", "y", TestModels.FLOAT, -1));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.columns("sepal_length", "sepal_width"))
            .output("y", OutputMapping.toColumn("y"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessage(
            "1 problem: inputs.x: model input 'x' expects [batch] float32 but 2 scalar columns are mapped"
                + " (sepal_length, sepal_width), which make [batch, 2]. Map one scalar column instead.");
  }

  @Test
  void rejectsScalarColumnsIntoARank3Input() {
    ModelArtifact model =
        ModelLoader.fromBytes("rank3", TestModels.identity("x", "y", TestModels.FLOAT, -1, 2, 2));
    BatchInference.Builder b =
        BatchInference.builder()
            .model(model)
            .input("x", InputMapping.columns("sepal_length", "sepal_width"))
            .output("y", OutputMapping.toColumn("y"));

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "inputs.x: model input 'x' expects [batch, 2, 2] float32 but 2 scalar columns are"
                + " mapped (sepal_length, sepal_width), which make [batch, 2]. Map one array column with 2 array levels"
                + " instead.");
  }

  @Test
  void rejectsMissingAndEmptyModelFiles() throws Exception {
    Path missing = dir.resolve("nope.onnx");
    Path empty = Files.createFile(dir.resolve("empty.onnx"));

    assertThatThrownBy(() -> classifier().modelPath(missing.toString(), null).plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "model.path: model file not found: file:"
                + missing
                + ". Check the path, or pass --set model.path=");
    assertThatThrownBy(() -> classifier().modelPath(empty.toString(), null).plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "model.path: model file file:" + empty + " is empty; expected an .onnx file.");
    assertThatThrownBy(() -> classifier().modelPath(dir.toString(), null).plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "model.path: file:" + dir + " is a directory; expected an .onnx file.");
  }

  @Test
  void rejectsSha256Mismatch() {
    Path file = TestModels.write(CLASSIFIER.bytes(), dir.resolve("classifier.onnx"));
    String wrong = "0".repeat(64);

    assertThatThrownBy(() -> classifier().modelPath(file.toString(), wrong).plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "model.sha256: file:"
                + file
                + " has sha256 "
                + CLASSIFIER.sha256()
                + " but the config pins "
                + wrong
                + ".");
    InferencePlan pinned =
        classifier()
            .modelPath(file.toString(), CLASSIFIER.sha256().toUpperCase())
            .plan(spark, SCHEMA);
    assertThat(pinned.model().sha256()).isEqualTo(CLASSIFIER.sha256());
  }

  @Test
  void collectsEveryProblemInOneException() {
    BatchInference.Builder b =
        BatchInference.builder()
            .model(CLASSIFIER)
            .input(
                "features",
                InputMapping.columns("sepal_length", "sepal_width", "petal_lenght", "petal_width"))
            .output("probz", OutputMapping.toColumn("p"))
            .passthrough(List.of("id"))
            .batchSize(0)
            .threads(0);

    assertThatThrownBy(() -> b.plan(spark, SCHEMA))
        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.problems()).hasSize(4))
        .hasMessageStartingWith(
            "4 problems:\n  - model.batch_size: must be a positive number of rows; found 0. Try 256.")
        .hasMessageContaining("\n  - model.threads: must be at least 1; found 0.")
        .hasMessageContaining("\n  - inputs.features.columns[2]: column 'petal_lenght' not found")
        .hasMessageContaining("\n  - outputs.probz: the model has no output 'probz'");
  }

  @Test
  void applyRejectsADatasetWithAnotherSchema() {
    InferencePlan plan = classifier().plan(spark, SCHEMA);
    Dataset<Row> other =
        spark.createDataFrame(
            List.of(RowFactory.create(1L)), new StructType().add("id", DataTypes.LongType));

    assertThatThrownBy(() -> plan.apply(other))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "input schema changed since planning: planned struct<id:bigint,sepal_length:float,")
        .hasMessageContaining("got struct<id:bigint>. Plan again against this dataset.");
  }
}
