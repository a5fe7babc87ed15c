package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code batchinfer doctor} on this CPU-only machine with the CPU build of ONNX Runtime: it must
 * report CPU as working, CUDA and TensorRT as not compiled in, and exit 1 exactly when a config's
 * device cannot work (explicit {@code cuda} without fallback). With {@code --master local[2]} the
 * probe runs inside real Spark tasks. (Against a multi-JVM standalone cluster: GpuClusterIT.)
 */
class DoctorCommandTest {
  @TempDir Path tmp;

  private Path config(String model) throws Exception {
    return Files.writeString(
        tmp.resolve("job.yaml"),
        """
        input: {path: in}
        model: %s
        inputs: {x: {column: a}}
        outputs: {y: {column: b}}
        output: {path: out}
        """
            .formatted(model));
  }

  @Test
  void reportsVersionsProvidersAndSwitchesOfThisMachine() {
    JobTestSupport.Run run = JobTestSupport.cli("doctor");
    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(ExitCodes.OK);
    assertThat(run.out())
        .contains("java: 17")
        .contains("spark: " + org.apache.spark.package$.MODULE$.SPARK_VERSION())
        .contains("onnxruntime: 1.29.0 (CPU build)")
        .contains("tokenizers: DJL 0.38.0 (HuggingFace tokenizers 0.21.0)")
        .contains("providers compiled in: [CPU]")
        .containsPattern("CPU ok in \\d+ ms")
        .contains("CUDA:0 FAILS: not compiled into this ONNX Runtime build")
        .contains("TENSORRT:0 FAILS: not compiled into this ONNX Runtime build")
        .contains("ORT_DISABLE_TELEMETRY=1")
        .contains("GPU resources assigned by Spark: none")
        .contains("doctor: ok: model.device cpu can run on this machine.");
  }

  @Test
  void exitsOneWhenTheConfigsGpuDeviceCannotWorkHere() throws Exception {
    JobTestSupport.Run run =
        JobTestSupport.cli("doctor", "--config", config("{path: m.onnx, device: cuda}").toString());
    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.out())
        .contains("PROBLEM: executor none (no Spark)")
        .contains(
            "model.device cuda cannot work (CUDA:0 does not initialise: not compiled into this ONNX Runtime build")
        .contains("model.device_fallback=cpu")
        .contains("doctor: 1 problem(s)");

    JobTestSupport.Run trt =
        JobTestSupport.cli(
            "doctor",
            "--config",
            config("{path: m.onnx, device: tensorrt, device_id: 1}").toString());
    assertThat(trt.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(trt.out()).contains("TENSORRT:1 does not initialise");
  }

  @Test
  void autoAndAnExplicitCpuFallbackOnlyWarn() throws Exception {
    JobTestSupport.Run auto =
        JobTestSupport.cli("doctor", "--config", config("{path: m.onnx, device: auto}").toString());
    assertThat(auto.exitCode()).as(auto.out()).isEqualTo(ExitCodes.OK);
    assertThat(auto.out())
        .contains("warning: executor none (no Spark)")
        .contains("model.device auto will run on CPU there (CUDA:0 does not initialise");
  }

  @Test
  void invalidDeviceKeysExitThreeNamingTheKey() throws Exception {
    JobTestSupport.Run run =
        JobTestSupport.cli(
            "doctor",
            "--config",
            config("{path: m.onnx, device: cuda, cuda: {gpu_mem_limt: 1000}}").toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("model.cuda.gpu_mem_limt: unknown CUDA provider option")
        .contains("Did you mean 'gpu_mem_limit'?");
  }

  @Test
  void withAMasterEachExecutorIsProbedInATask() throws Exception {
    JobTestSupport.Run run =
        JobTestSupport.cli(
            "doctor",
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--config",
            config("{path: m.onnx, device: cuda, device_fallback: cpu}").toString());
    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(ExitCodes.OK);
    assertThat(run.out())
        .contains("executor driver:")
        .contains("warning: executor driver on ")
        .contains("model.device cuda will run on CPU there")
        .contains("doctor: ok: model.device cuda can run on 1 executor(s) (1 warning(s)).");
  }
}
