package io.batchinfer.udfs;

import java.util.Objects;

/**
 * ONNX Runtime threading, memory and graph settings a caller may set ({@code model.onnxruntime.*}),
 * beyond {@code model.threads}. Immutable; driver side (the planner freezes it into the executor
 * spec). See {@code conf/README.md} for what each setting does and {@code docs/PERFORMANCE.md} for
 * their measured effect.
 *
 * @param interOpThreads threads running independent graph branches in parallel; 1 (default) runs
 *     one operator at a time
 * @param spinning whether idle ONNX Runtime threads busy-wait (default off: Spark tasks share the
 *     cores)
 * @param globalThreadPool one JVM-wide ONNX Runtime thread pool shared by all sessions (default
 *     off)
 * @param memoryPattern ONNX Runtime's memory-pattern planning (default on)
 * @param cpuArena the CPU arena allocator (default on)
 * @param optimizationLevel graph optimisation level (default {@link OptimizationLevel#ALL})
 * @param optimizedModelDir executor-local directory caching the optimised model, or null (default)
 */
public record OnnxRuntimeOptions(
    int interOpThreads,
    boolean spinning,
    boolean globalThreadPool,
    boolean memoryPattern,
    boolean cpuArena,
    OptimizationLevel optimizationLevel,
    String optimizedModelDir) {
  /**
   * The defaults: 1 inter-op thread, no spinning, per-session pools, memory pattern and arena on,
   * all optimisations.
   */
  public static final OnnxRuntimeOptions DEFAULT =
      new OnnxRuntimeOptions(1, false, false, true, true, OptimizationLevel.ALL, null);

  public OnnxRuntimeOptions {
    Objects.requireNonNull(optimizationLevel, "optimizationLevel");
    if (interOpThreads < 1) {
      throw new IllegalArgumentException(
          "model.onnxruntime.inter_op_threads: must be at least 1; found " + interOpThreads);
    }
    optimizedModelDir =
        optimizedModelDir == null || optimizedModelDir.isBlank() ? null : optimizedModelDir;
  }
}
