package io.batchinfer.jobs;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import io.batchinfer.udfs.sql.BatchInferenceSql;
import io.batchinfer.udfs.sql.SqlFunction;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * Registers a SQL function from a job config file: the same {@code model}, {@code inputs}, {@code
 * outputs}, {@code text} and {@code errors} blocks a batch job uses, so an analyst's function and
 * the nightly job score with one definition. Runs on the driver; scoring is {@link
 * BatchInferenceSql}'s (one ONNX Runtime call per row on each executor's shared session).
 *
 * <p>The job-only blocks ({@code input}, {@code output}, {@code report}, {@code passthrough}) are
 * not needed and are ignored: a SQL function reads its arguments and returns a struct. A config
 * with {@code models:} (several models) is refused: register one function per model.
 */
public final class JobSql {
  private JobSql() {}

  /**
   * Loads {@code config} (with {@code overrides}, {@code key.path=value} as {@code --set} takes
   * them) and registers {@code name} in {@code spark}'s session.
   *
   * @throws ValidationException naming every problem with its config key
   */
  public static SqlFunction register(
      SparkSession spark, String name, Path config, List<String> overrides) {
    String source = "SQL function " + name + " from " + config;
    JobConfig cfg = ConfigLoader.load(config, overrides == null ? List.of() : overrides);
    Problems problems = new Problems();
    if (cfg.models() != null) {
      problems.add(
          "models: a SQL function runs one model; register one function per model (a config"
              + " with a single model: block).");
      problems.throwIfAny(source);
    }
    Problems all = new Problems();
    JobSettings settings = JobSettings.parse(cfg, all);
    for (String p : all.list()) {
      if (!jobOnly(p)) {
        problems.add(p);
      }
    }
    BatchInference.Builder builder = EngineMapping.singleModelBuilder(cfg, settings, problems);
    if (builder == null && problems.isEmpty()) {
      problems.add(
          "model.path, inputs and outputs: a SQL function needs all three (the same blocks as a"
              + " batch job).");
    }
    problems.throwIfAny(source);
    builder.passthrough(List.of());
    return BatchInferenceSql.register(spark, name, builder);
  }

  /** Problems about keys a SQL function does not use. */
  private static boolean jobOnly(String problem) {
    for (String prefix : List.of("input.", "output.", "report.", "job.", "passthrough")) {
      if (problem.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
