package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every user mistake the job catches before running: the message names the key or column, says what
 * was expected and found, and the exit code is {@link ExitCodes#INVALID} with nothing written.
 */
class JobValidationTest extends SparkTestBase {
  /** The input, written once per class: every test only reads it. */
  @TempDir static Path shared;

  private static Path input;
  @TempDir Path tmp;
  private Path output;

  @BeforeAll
  static void data() {
    input = writeIrisLike(spark, shared, 20, 1, 11);
  }

  @BeforeEach
  void output() {
    output = tmp.resolve("out");
  }

  private JobTestSupport.Run runWith(String... sets) throws Exception {
    Path conf = writeConfig(tmp, irisConfig(input, output));
    String[] args = new String[2 + 2 * sets.length];
    args[0] = "--config";
    args[1] = conf.toString();
    for (int i = 0; i < sets.length; i++) {
      args[2 + 2 * i] = "--set";
      args[3 + 2 * i] = sets[i];
    }
    return cli(args);
  }

  private static void assertInvalid(JobTestSupport.Run run, String... fragments) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(fragments)
        .contains("Nothing was run or written.")
        .doesNotContain("\tat ");
  }

  @Test
  void rejectsMisspelledColumnWithSuggestion() throws Exception {
    JobTestSupport.Run run = runWith("inputs.input.columns[3]=petal_widht");
    assertInvalid(
        run,
        "inputs.input.columns[3]: column 'petal_widht' not found in input; available: [id, sepal_length,",
        "Did you mean 'petal_width'?");
    assertThat(output).doesNotExist();
  }

  @Test
  void rejectsWrongColumnCountForFixedDimension() throws Exception {
    assertInvalid(
        runWith("inputs.input.columns=[sepal_length, sepal_width, petal_length]"),
        "inputs.input: model input 'input' expects [batch, 4] float32 but 3 columns are mapped"
            + " (sepal_length, sepal_width, petal_length)");
  }

  @Test
  void rejectsUnknownKeyWithSuggestion() throws Exception {
    assertInvalid(
        runWith("model.batchsize=3"),
        "model.batchsize: unknown key 'batchsize'; known keys here: [",
        "batch_size, batching",
        "Did you mean 'batch_size'?");
  }

  @Test
  void rejectsWrongValueType() throws Exception {
    assertInvalid(runWith("model.batch_size=lots"), "model.batch_size: expected a whole number");
  }

  @Test
  void rejectsNonPositiveBatchSizeAndUnknownEnums() throws Exception {
    JobTestSupport.Run run =
        runWith("model.batch_size=0", "output.mode=overwrit", "model.device=tpu");
    assertInvalid(
        run,
        "3 problems",
        "model.batch_size: must be a positive number of rows; found 0",
        "output.mode: unknown mode 'overwrit'",
        "Did you mean 'overwrite'?",
        "model.device: unknown value 'tpu'");
  }

  @Test
  void rejectsMissingModelFile() throws Exception {
    assertInvalid(
        runWith("model.path=" + tmp.resolve("nope.onnx")),
        "model.path: model file not found:",
        "nope.onnx");
  }

  @Test
  void rejectsFileThatIsNotOnnx() throws Exception {
    Path bogus = Files.writeString(tmp.resolve("bogus.onnx"), "this is not a protobuf");
    assertInvalid(runWith("model.path=" + bogus), "model.path:", "is not a valid ONNX model");
  }

  @Test
  void rejectsSha256Mismatch() throws Exception {
    assertInvalid(
        runWith("model.sha256=" + "0".repeat(64)),
        "model.sha256:",
        "but the config pins 000000",
        "update model.sha256");
  }

  @Test
  void rejectsMalformedSha256() throws Exception {
    assertInvalid(
        runWith("model.sha256=abc123"), "model.sha256: expected 64 hex digits", "found 'abc123'");
  }

  @Test
  void acceptsMatchingSha256() throws Exception {
    String sha = io.batchinfer.udfs.model.Sha256.hex(Files.readAllBytes(Projects.irisModel()));
    JobTestSupport.Run run = runWith("model.sha256=" + sha, "output.mode=overwrite");
    assertThat(run.exitCode()).as(run.err()).isZero();
  }

  @Test
  void refusesToOverwriteExistingOutputInErrorMode() throws Exception {
    Files.createDirectories(output);
    Path marker = Files.writeString(output.resolve("keep.txt"), "precious");
    assertInvalid(
        runWith(),
        "output.path:",
        "exists and output.mode is 'error'",
        "--set output.mode=overwrite");
    assertThat(Files.readString(marker)).isEqualTo("precious");
  }

  @Test
  void rejectsMissingInputPathAndBadFilter() throws Exception {
    assertInvalid(
        runWith("input.path=" + tmp.resolve("missing")), "input.path: no data at", "missing");
    assertInvalid(
        runWith("input.filter=no_such_col > 3"),
        "input.filter: not a valid SQL condition",
        "no_such_col");
  }

  @Test
  void rejectsUnknownModelOutputAndPartitionColumn() throws Exception {
    String yaml =
        irisConfig(input, output)
            .replace(
                "  output:\n    column: probabilities", "  outptu:\n    column: probabilities");
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertInvalid(
        run,
        "outputs.outptu: the model has no output 'outptu'; model outputs: [output [batch, 3] float32]",
        "Did you mean 'output'?");
    assertInvalid(
        runWith("output.partition_by=[dya]"),
        "output.partition_by[0]: column 'dya' is not in the output",
        "Did you mean 'day'?");
  }

  @Test
  void collectsAllMissingRequiredKeys() throws Exception {
    Path conf = writeConfig(tmp, "job: {name: empty}\n");
    JobTestSupport.Run run = cli("--config", conf.toString());
    assertInvalid(
        run,
        "input.path: missing",
        "model.path: missing",
        "output.path: missing",
        "inputs: missing",
        "outputs: missing");
  }

  @Test
  void rejectsMissingConfigFileAndBadYaml() throws Exception {
    assertInvalid(cli("--config", tmp.resolve("none.yaml").toString()), "--config: file not found");
    Path bad = writeConfig(tmp, "model: [unclosed\n");
    assertInvalid(cli("--config", bad.toString()), "not valid YAML");
  }

  @Test
  void badCommandLineIsUsageError() {
    JobTestSupport.Run run = cli("--config", "x.yaml", "--no-such-flag");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("Unknown option: '--no-such-flag'");
  }
}
