package io.batchinfer.udfs.session;

import io.batchinfer.udfs.OptimizationLevel;
import java.io.Serializable;
import java.util.Objects;

/**
 * ONNX Runtime threading, memory and graph settings of a session beyond the intra-op thread count
 * ({@code model.onnxruntime.*}), as the planner froze them from the caller's {@link
 * io.batchinfer.udfs.OnnxRuntimeOptions}. Part of the session cache key: tasks with different
 * tuning get different sessions. Immutable and serializable (it travels in the spec to executors).
 *
 * @param interOpThreads threads that run independent graph branches in parallel ({@code
 *     inter_op_threads}); 1 (the default) runs operators one after another, which suits Spark,
 *     where the task slots already run in parallel
 * @param spinning whether ONNX Runtime's idle worker threads busy-wait for work ({@code spinning}).
 *     Off by default: with several tasks per executor sharing the cores, spinning threads burn CPU
 *     the other tasks need. Only matters when a session has more than one thread
 * @param globalThreadPool one JVM-wide intra/inter-op thread pool shared by every session instead
 *     of a pool per session ({@code global_thread_pool}); sized by {@code model.threads} and {@code
 *     inter_op_threads}. ONNX Runtime accepts it only when the process-wide environment is created,
 *     i.e. before any other ONNX Runtime call in that JVM; where that is too late the session keeps
 *     its own pool and a warning says so ({@link OrtRuntime#globalThreadPoolActive()})
 * @param memoryPattern ONNX Runtime's memory-pattern planning ({@code memory_pattern}, default on);
 *     it pays off when shapes repeat, and costs a re-plan when they vary (text batches)
 * @param cpuArena the CPU arena allocator ({@code cpu_arena}, default on)
 * @param optimizationLevel graph optimisation level ({@code optimization_level}, default {@code
 *     all})
 * @param optimizedModelDir executor-local directory caching the optimised model per sha256 and
 *     level ({@code optimized_model_dir}); null (the default) optimises in memory each time a JVM
 *     creates the session
 */
public record OrtTuning(
    int interOpThreads,
    boolean spinning,
    boolean globalThreadPool,
    boolean memoryPattern,
    boolean cpuArena,
    OptimizationLevel optimizationLevel,
    String optimizedModelDir)
    implements Serializable {
  /**
   * Defaults: one inter-op thread, no spinning, per-session pools, memory pattern and arena on, all
   * optimisations.
   */
  public static final OrtTuning DEFAULT =
      new OrtTuning(1, false, false, true, true, OptimizationLevel.ALL, null);

  public OrtTuning {
    Objects.requireNonNull(optimizationLevel, "optimizationLevel");
    if (interOpThreads < 1) {
      throw new IllegalArgumentException("interOpThreads must be >= 1, was " + interOpThreads);
    }
    optimizedModelDir =
        optimizedModelDir == null || optimizedModelDir.isBlank() ? null : optimizedModelDir;
  }
}
