package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.onnxruntime.*}: accepted values run, bad values are named with the key and the
 * allowed values.
 */
class OrtTuningJobTest extends SparkTestBase {
  @TempDir Path tmp;

  private JobTestSupport.Run run(String... sets) throws Exception {
    Path input = writeIrisLike(spark, tmp, 20, 1, 11);
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("out")));
    String[] args = new String[2 + 2 * sets.length];
    args[0] = "--config";
    args[1] = conf.toString();
    for (int i = 0; i < sets.length; i++) {
      args[2 + 2 * i] = "--set";
      args[3 + 2 * i] = sets[i];
    }
    return cli(args);
  }

  @Test
  void runsWithEverySettingGiven() throws Exception {
    JobTestSupport.Run run =
        run(
            "model.onnxruntime.inter_op_threads=2",
            "model.onnxruntime.spinning=true",
            "model.onnxruntime.memory_pattern=false",
            "model.onnxruntime.cpu_arena=false",
            "model.onnxruntime.optimization_level=basic",
            "model.onnxruntime.optimized_model_dir=" + tmp.resolve("ort"));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count()).isEqualTo(20);
  }

  @Test
  void rejectsBadValuesNamingTheKeys() throws Exception {
    JobTestSupport.Run run =
        run("model.onnxruntime.inter_op_threads=0", "model.onnxruntime.optimization_level=max");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("model.onnxruntime.inter_op_threads: must be at least 1; found 0.")
        .contains(
            "model.onnxruntime.optimization_level: unknown level 'max'; expected one of [disable, basic, extended, all].");
  }

  @Test
  void rejectsUnknownKeyUnderOnnxruntime() throws Exception {
    JobTestSupport.Run run = run("model.onnxruntime.spining=true");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("model.onnxruntime.spining: unknown key")
        .contains("Did you mean 'spinning'?");
  }
}
