package io.batchinfer.jobs;

import io.batchinfer.udfs.OnnxRuntimeOptions;
import io.batchinfer.udfs.OptimizationLevel;
import io.batchinfer.udfs.plan.Problems;
import java.util.Arrays;

/**
 * Turns {@code model.onnxruntime:} into the engine's {@link OnnxRuntimeOptions}, recording a
 * problem for each bad value (key path, expected vs found, a fix). Driver only; stateless.
 */
final class OrtTuningConfig {
  private OrtTuningConfig() {}

  /**
   * @return the tuning to use; {@link OnnxRuntimeOptions#DEFAULT} where a value is missing or bad
   *     (and recorded)
   */
  static OnnxRuntimeOptions tuning(JobConfig.OnnxRuntime cfg, Problems problems) {
    if (cfg == null) {
      return OnnxRuntimeOptions.DEFAULT;
    }
    OnnxRuntimeOptions d = OnnxRuntimeOptions.DEFAULT;
    int inter = cfg.interOpThreads() == null ? d.interOpThreads() : cfg.interOpThreads();
    if (inter < 1) {
      problems.add(
          ConfigKeys.ORT_INTER_OP_THREADS
              + ": must be at least 1; found "
              + inter
              + ". 1 (the default) runs one operator at a time, which suits Spark's parallel tasks.");
      inter = d.interOpThreads();
    }
    OptimizationLevel level = d.optimizationLevel();
    if (cfg.optimizationLevel() != null) {
      level = OptimizationLevel.parse(cfg.optimizationLevel());
      if (level == null) {
        problems.add(
            ConfigKeys.ORT_OPTIMIZATION_LEVEL
                + ": unknown level '"
                + cfg.optimizationLevel()
                + "'; expected one of "
                + Arrays.stream(OptimizationLevel.values())
                    .map(OptimizationLevel::toString)
                    .toList()
                + ".");
        level = d.optimizationLevel();
      }
    }
    return new OnnxRuntimeOptions(
        inter,
        cfg.spinning() == null ? d.spinning() : cfg.spinning(),
        cfg.globalThreadPool() == null ? d.globalThreadPool() : cfg.globalThreadPool(),
        cfg.memoryPattern() == null ? d.memoryPattern() : cfg.memoryPattern(),
        cfg.cpuArena() == null ? d.cpuArena() : cfg.cpuArena(),
        level,
        cfg.optimizedModelDir());
  }
}
