package io.batchinfer.udfs;

import java.util.Objects;

/**
 * How the model reaches executors, as requested ({@code model.distribution}, {@code
 * model.distribution_threshold_mb}, {@code model.cache_dir}). Immutable; driver only.
 *
 * @param mode {@code auto}, {@code broadcast} or {@code files}
 * @param thresholdMb under {@code auto}, models larger than this go as files
 * @param cacheDir node-local folder for models distributed as files; null for {@code
 *     <java.io.tmpdir>/batchinfer-model-cache}
 */
public record DistributionSettings(ModelDistribution mode, long thresholdMb, String cacheDir) {
  /** {@code auto} with the default threshold and cache folder. */
  public static final DistributionSettings DEFAULT =
      new DistributionSettings(
          ModelDistribution.AUTO, ModelDistribution.THRESHOLD_MB_DEFAULT, null);

  public DistributionSettings {
    Objects.requireNonNull(mode, "mode");
  }
}
