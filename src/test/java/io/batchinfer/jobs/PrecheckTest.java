package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.udfs.ValidationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkContext$;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config mistakes that need no data fail before any SparkSession exists: on a cluster a typo must
 * not cost an application with executors. No Spark session is started in this class.
 */
class PrecheckTest {
  @TempDir Path tmp;

  @Test
  void settingsProblemsFailWithoutStartingSpark() throws Exception {
    Path conf =
        Files.writeString(
            tmp.resolve("bad.yaml"),
            """
        input: {path: /nowhere}
        model: {path: /nowhere.onnx, batch_size: 0, device: tpu}
        inputs: {x: {column: a}}
        outputs: {y: {column: b}}
        output: {path: /nowhere-out, mode: sometimes}
        """);
    // Normally no context exists here; if another class leaked one, at least none may be added.
    Object before = SparkContext$.MODULE$.getActive();
    JobTestSupport.Run run = JobTestSupport.cli("--config", conf.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "3 problems",
            "model.batch_size: must be a positive number of rows; found 0",
            "model.device: unknown value 'tpu'",
            "output.mode: unknown mode 'sometimes'");
    assertThat((Object) SparkContext$.MODULE$.getActive())
        .as("no SparkContext was started")
        .isEqualTo(before);
  }

  @Test
  void precheckPassesAValidConfigThrough() {
    JobSettings.precheck(
        ConfigLoader.parse(
            """
        input: {path: in}
        model: {path: m.onnx}
        inputs: {x: {column: a}}
        outputs: {y: {column: b}}
        output: {path: out}
        """,
            List.of()));
    assertThatThrownBy(
            () -> JobSettings.precheck(ConfigLoader.parse("model: {threads: 0}", List.of())))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("model.threads: must be at least 1; found 0");
  }
}
