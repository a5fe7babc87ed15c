package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.udfs.ValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The GPU placement and distribution keys are checked before Spark starts, each problem naming its
 * key, what was found and a fix. No Spark session.
 */
class DeviceConfigTest {
  private static ValidationException precheck(String model) {
    try {
      JobSettings.precheck(
          ConfigLoader.parse(
              """
          input: {path: in}
          model: %s
          inputs: {x: {column: a}}
          outputs: {y: {column: b}}
          output: {path: out}
          """
                  .formatted(model),
              List.of()));
      return null;
    } catch (ValidationException e) {
      return e;
    }
  }

  @Test
  void acceptsEveryDeviceAndTheDocumentedOptions() {
    assertThat(
            precheck(
                "{path: m.onnx, device: tensorrt, device_fallback: cpu, device_id: 1, gpu_resource:"
                    + " nvidia.com/gpu, cuda: {gpu_mem_limit: 2147483648, cudnn_conv_algo_search: HEURISTIC,"
                    + " do_copy_in_default_stream: true}, tensorrt: {trt_fp16_enable: true, trt_max_workspace_size: 1073741824,"
                    + " trt_engine_cache_enable: true}, distribution: files, distribution_threshold_mb: 256,"
                    + " cache_dir: /mnt/local/models}"))
        .isNull();
    assertThat(precheck("{path: m.onnx, device: auto}")).isNull();
  }

  @Test
  void namesEveryBadKeyWithAFix() {
    ValidationException e =
        precheck(
            "{path: m.onnx, device: cuda, device_fallback: gpu, device_id: -1,"
                + " cuda: {gpu_mem_limt: 1000, device_id: 1, arena_extend_strategy: [a]}, tensorrt: {fp16: true},"
                + " distribution: torrent, distribution_threshold_mb: -5, gpu_resource: ''}");
    assertThat(e).isNotNull();
    assertThat(e.problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith(
                        "model.device_fallback: unknown value 'gpu';"
                            + " expected one of [fail, cpu]."))
        .anySatisfy(
            p ->
                assertThat(p)
                    .isEqualTo("model.device_id: must be a GPU ordinal (0, 1, ...); found -1."))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith(
                        "model.cuda.gpu_mem_limt: unknown CUDA provider option; expected"
                            + " one of [")
                    .endsWith("Did you mean 'gpu_mem_limit'?"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith(
                        "model.cuda.device_id: the GPU ordinal comes from Spark's task"
                            + " resources"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("model.cuda.arena_extend_strategy: expected a single value"))
        .anySatisfy(
            p -> assertThat(p).startsWith("model.tensorrt.fp16: unknown TensorRT provider option"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith(
                        "model.distribution: unknown value 'torrent'; expected one of"
                            + " [auto, broadcast, files]."))
        .anySatisfy(
            p ->
                assertThat(p)
                    .isEqualTo("model.distribution_threshold_mb: must be at least 0; found -5."))
        .anySatisfy(p -> assertThat(p).startsWith("model.gpu_resource: empty;"));
  }

  @Test
  void fallbackOnCpuIsAMistake() {
    assertThatThrownBy(
            () ->
                JobSettings.precheck(
                    ConfigLoader.parse("model: {path: m.onnx, device_fallback: cpu}", List.of())))
        .hasMessageContaining("model.device_fallback: set, but model.device is cpu");
  }
}
