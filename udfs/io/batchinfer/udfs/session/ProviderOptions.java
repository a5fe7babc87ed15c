package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CUDA and TensorRT provider options a config may set ({@code model.cuda.*}, {@code
 * model.tensorrt.*}), by the names ONNX Runtime 1.29 parses, and their registration on a session's
 * options. The driver checks names ({@code plan.DeviceBinder}); executors register ({@link
 * #addCuda}, {@link #addTensorrt}). ONNX Runtime appends its CPU provider after every provider
 * registered here, so nodes a GPU provider cannot handle still run. Stateless.
 *
 * <p>{@code device_id} is not settable here: the ordinal comes from Spark's GPU resources or {@code
 * model.device_id}. Pointer-valued options (user compute streams, external allocators) make no
 * sense in a config and are not accepted.
 */
public final class ProviderOptions {
  /** CUDA provider option names (ONNX Runtime's {@code CUDAExecutionProviderInfo}). */
  public static final Set<String> CUDA =
      new TreeSet<>(
          List.of(
              "gpu_mem_limit",
              "arena_extend_strategy",
              "cudnn_conv_algo_search",
              "do_copy_in_default_stream",
              "cudnn_conv_use_max_workspace",
              "cudnn_conv1d_pad_to_nc1d",
              "enable_cuda_graph",
              "tunable_op_enable",
              "tunable_op_tuning_enable",
              "tunable_op_max_tuning_duration_ms",
              "enable_skip_layer_norm_strict_mode",
              "prefer_nhwc",
              "use_ep_level_unified_stream",
              "use_tf32",
              "sdpa_kernel",
              "fuse_conv_bias"));

  /** TensorRT provider option names (ONNX Runtime's {@code TensorrtExecutionProviderInfo}). */
  public static final Set<String> TENSORRT =
      new TreeSet<>(
          List.of(
              "trt_max_partition_iterations",
              "trt_min_subgraph_size",
              "trt_max_workspace_size",
              "trt_fp16_enable",
              "trt_bf16_enable",
              "trt_int8_enable",
              "trt_int8_calibration_table_name",
              "trt_int8_use_native_calibration_table",
              "trt_dla_enable",
              "trt_dla_core",
              "trt_dump_subgraphs",
              "trt_engine_cache_enable",
              "trt_engine_cache_path",
              "trt_engine_cache_prefix",
              "trt_engine_decryption_enable",
              "trt_engine_decryption_lib_path",
              "trt_force_sequential_engine_build",
              "trt_context_memory_sharing_enable",
              "trt_layer_norm_fp32_fallback",
              "trt_timing_cache_enable",
              "trt_timing_cache_path",
              "trt_force_timing_cache",
              "trt_detailed_build_log",
              "trt_build_heuristics_enable",
              "trt_sparsity_enable",
              "trt_builder_optimization_level",
              "trt_auxiliary_streams",
              "trt_tactic_sources",
              "trt_extra_plugin_lib_paths",
              "trt_profile_min_shapes",
              "trt_profile_max_shapes",
              "trt_profile_opt_shapes",
              "trt_cuda_graph_enable",
              "trt_dump_ep_context_model",
              "trt_ep_context_file_path",
              "trt_ep_context_embed_mode",
              "trt_weight_stripped_engine_enable",
              "trt_onnx_model_folder_path",
              "trt_engine_hw_compatible",
              "trt_op_types_to_exclude"));

  private ProviderOptions() {}

  /** Registers CUDA on {@code ordinal} with {@code options}. Executor side. */
  public static void addCuda(
      OrtSession.SessionOptions session, int ordinal, Map<String, String> options)
      throws OrtException {
    try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(ordinal)) {
      for (Map.Entry<String, String> e : options.entrySet()) {
        cuda.add(e.getKey(), e.getValue());
      }
      session.addCUDA(cuda);
    }
  }

  /**
   * Registers TensorRT on {@code ordinal}, then CUDA on the same GPU (for the nodes TensorRT does
   * not take). With {@code trt_engine_cache_enable} on and no {@code trt_engine_cache_path},
   * engines go to {@code defaultEngineCache}, an executor-local folder shared by the node's
   * executors, so engines are built once per node and model rather than per task.
   */
  public static void addTensorrt(
      OrtSession.SessionOptions session,
      int ordinal,
      Map<String, String> options,
      Map<String, String> cudaOptions,
      Path defaultEngineCache)
      throws OrtException {
    Map<String, String> trt = new LinkedHashMap<>(options);
    if ("1".equals(trt.get("trt_engine_cache_enable"))
        && !trt.containsKey("trt_engine_cache_path")) {
      trt.put("trt_engine_cache_path", defaultEngineCache.toString());
    }
    try (OrtTensorRTProviderOptions t = new OrtTensorRTProviderOptions(ordinal)) {
      for (Map.Entry<String, String> e : trt.entrySet()) {
        t.add(e.getKey(), e.getValue());
      }
      session.addTensorrt(t);
    }
    addCuda(session, ordinal, cudaOptions);
  }
}
