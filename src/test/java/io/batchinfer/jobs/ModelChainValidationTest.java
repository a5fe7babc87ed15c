package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistakes in {@code models:} fail at planning (exit 3, nothing written), each naming the model and
 * the key: order (a column of a later model, a model reading its own output), a missing or
 * ill-typed upstream column, two writers of one column, an output shadowing an input column, names,
 * and the exclusive {@code model:}/{@code models:} blocks.
 */
class ModelChainValidationTest extends SparkTestBase {
  @TempDir Path tmp;
  private Path input;

  @BeforeEach
  void input() {
    input = writeIrisLike(spark, tmp, 10, 1, 1);
  }

  /** The example chain (embed, head, logreg) on the iris-like input, with {@code edits} applied. */
  private JobTestSupport.Run run(String... edits) throws Exception {
    String yaml =
        Files.readString(ModelChainJobTest.EXAMPLE)
            .replace("models/", Projects.root() + "/models/")
            .replace("passthrough: [id, species]", "passthrough: [id]");
    for (int i = 0; i < edits.length; i += 2) {
      assertThat(yaml).as("edit %s", edits[i]).contains(edits[i]);
      yaml = yaml.replace(edits[i], edits[i + 1]);
    }
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, yaml).toString(),
            "--set",
            "input.path=" + input,
            "--set",
            "output.path=" + output,
            "--dry-run");
    assertThat(Files.exists(output)).isFalse();
    return run;
  }

  @Test
  void theUnchangedExampleIsValid() throws Exception {
    JobTestSupport.Run run = run();
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
  }

  @Test
  void rejectsAColumnWrittenByALaterModel() throws Exception {
    // head first: it reads 'embedding', which embed (now second) writes.
    String yaml = Files.readString(ModelChainJobTest.EXAMPLE);
    String embed =
        yaml.substring(yaml.indexOf("  - name: embed"), yaml.indexOf("  - name: head"))
            .replace("models/", Projects.root() + "/models/");
    JobTestSupport.Run run = run(embed, "", "passthrough: [id]", embed + "passthrough: [id]");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "models[0].inputs.embedding.column (model 'head'): column 'embedding' is written by a"
                + " later model, 'embed' (models[2].outputs.embedding.column); models run in list"
                + " order and a chain cannot have a cycle. Move 'embed' before 'head'");
  }

  @Test
  void rejectsAModelReadingItsOwnOutput() throws Exception {
    JobTestSupport.Run run =
        run(
            "embedding: {column: embedding}\n    outputs",
            "embedding: {column: head_class}\n    outputs");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "models[1].inputs.embedding.column (model 'head'): column 'head_class' is this model's"
                + " own output (outputs.probabilities.argmax): a model cannot read what it writes (a"
                + " cycle).");
  }

  @Test
  void rejectsAMissingUpstreamColumnListingWhatIsAvailable() throws Exception {
    JobTestSupport.Run run =
        run(
            "embedding: {column: embedding}\n    outputs",
            "embedding: {column: embeddings}\n    outputs");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("models[1].inputs.embedding.column (model 'head'): column 'embeddings' not found")
        .contains("embedding]")
        .contains("Did you mean 'embedding'?");
  }

  @Test
  void rejectsAnUpstreamColumnOfTheWrongType() throws Exception {
    // embed writes its argmax (an int) as 'embedding'; head needs [?, 8] float32.
    JobTestSupport.Run run =
        run(
            "embedding: {column: embedding}\n  - name: head",
            "embedding: {column: raw, argmax: embedding}\n  - name: head");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err()).contains("models[1].inputs.embedding").contains("(model 'head')");
    assertThat(run.err())
        .contains("model input 'embedding' expects [batch, 8] float32 but 1 column is mapped");
  }

  @Test
  void rejectsTwoModelsWritingOneColumn() throws Exception {
    JobTestSupport.Run run = run("argmax: logreg_class", "argmax: head_class");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "models[2].outputs.output.argmax (model 'logreg'): column 'head_class' is already"
                + " written by model 'head' (models[1].outputs.probabilities.argmax); each output"
                + " column has one writer.");
  }

  @Test
  void rejectsAnOutputShadowingAnInputColumn() throws Exception {
    JobTestSupport.Run run = run("column: logreg_probabilities", "column: day");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "models[2].outputs.output.column (model 'logreg'): column 'day' is an input column;");
  }

  @Test
  void rejectsDuplicateNames() throws Exception {
    JobTestSupport.Run run = run("- name: logreg", "- name: embed");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("models[2].name: 'embed' is also the name of models[0]; names must be unique");
  }

  @Test
  void defaultNameIsTheModelFileStem() throws Exception {
    JobTestSupport.Run run =
        run(
            "  - name: logreg                      # independent of the two above: same rows, same"
                + " stage\n    model:\n",
            "  - model:\n",
            "argmax: logreg_class",
            "argmax: head_class");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err()).contains("(model 'iris-logreg'): column 'head_class' is already written");
  }

  @Test
  void rejectsModelAndModelsTogether() throws Exception {
    JobTestSupport.Run run =
        run("models:\n", "model: {batch_size: 8}\ninputs: {x: {column: id}}\nmodels:\n");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "models: set together with the top-level model, inputs blocks; a job has either one"
                + " model");
  }

  @Test
  void entrySettingsAreCheckedWithTheEntrysKeyPath() throws Exception {
    JobTestSupport.Run run =
        run(
            "iris-head.onnx\n      sha256",
            "iris-head.onnx\n      device: gpu\n      sha256",
            "batch_size: 64\n    inputs:\n      embedding",
            "batch_size: 0\n    inputs:\n      embedding");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("models[1].model.device (model 'head'): unknown value 'gpu'")
        .contains("models[1].model.batch_size (model 'head'): must be a positive number of rows");
  }

  @Test
  void unknownKeyInAnEntryNamesIt() throws Exception {
    JobTestSupport.Run run =
        run(
            "batch_size: 64\n    inputs:\n      embedding",
            "bach_size: 64\n    inputs:\n      embedding");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("models[1].model")
        .contains("unknown key 'bach_size'")
        .contains("Did you mean 'batch_size'?");
  }

  @Test
  void rejectsAModelColumnThatIsAnOutput() throws Exception {
    // Model columns are <model_column>_<model name>: 'head' + '_' + 'embed' is head's label column.
    JobTestSupport.Run clash =
        run(
            "model_column: model_sha",
            "model_column: head",
            "label_column: head_species",
            "label_column: head_embed");
    assertThat(clash.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(clash.err())
        .contains(
            "output.model_column: column 'head_embed' is already an input or output column;"
                + " choose another name.");
  }
}
