package io.batchinfer.jobs;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SaveMode;

/**
 * Driver only: the config values that need neither data nor Spark, parsed and checked (job name,
 * required paths, enums, output mode and compression, error policy, batch size, threads). The first
 * step of {@link JobPlanner#plan}, and all of {@link #precheck}, which runs before a SparkSession
 * (and, on a cluster, executors) is started. Each model's own keys are parsed by {@link
 * ModelSettings} ({@code models} holds them, in order; {@code device}, {@code batching}, {@code
 * batchSize} and {@code threads} are the first model's). Immutable.
 */
record JobSettings(
    String name,
    Device device,
    Batching batching,
    String modeName,
    SaveMode mode,
    String compression,
    ErrorPolicy policy,
    String deadLetterPath,
    Double maxRejected,
    int batchSize,
    int threads,
    List<ModelSettings> models) {

  /**
   * Checks everything that needs neither data nor Spark, so a wrong config fails before a
   * SparkSession is started.
   *
   * @throws ValidationException listing every problem found
   */
  static void precheck(JobConfig cfg) {
    Problems problems = new Problems();
    parse(cfg, problems);
    problems.throwIfAny("");
  }

  /**
   * @return the settings, with defaults standing in for bad values; problems go to {@code problems}
   */
  static JobSettings parse(JobConfig cfg, Problems problems) {
    String name =
        cfg.job().name() == null || cfg.job().name().isBlank()
            ? ConfigKeys.JOB_NAME_DEFAULT
            : cfg.job().name();
    ExecutorStartWatchdog.timeout(cfg.job().executorStartTimeout(), problems);

    // Keys that need no data.
    TableInput.validate(cfg.input(), problems);
    List<ModelSettings> models = ModelSettings.parseAll(cfg, problems);
    TableOutput.precheck(cfg, problems);
    ModelSettings first =
        models.isEmpty()
            ? new ModelSettings(
                null,
                Device.CPU,
                Batching.AUTO,
                ConfigKeys.BATCH_SIZE_DEFAULT,
                ConfigKeys.THREADS_DEFAULT)
            : models.get(0);
    String modeName =
        cfg.output().mode() == null
            ? ConfigKeys.OUTPUT_MODE_DEFAULT
            : cfg.output().mode().trim().toLowerCase(Locale.ROOT);
    SaveMode mode =
        switch (modeName) {
          case "error" -> SaveMode.ErrorIfExists;
          case "overwrite", "overwrite-partitions" -> SaveMode.Overwrite;
          case "append" -> SaveMode.Append;
          default -> {
            problems.add(
                ConfigKeys.OUTPUT_MODE
                    + ": unknown mode '"
                    + cfg.output().mode()
                    + "'; expected one of "
                    + ConfigKeys.OUTPUT_MODES
                    + "."
                    + Problems.didYouMean(cfg.output().mode(), ConfigKeys.OUTPUT_MODES));
            yield SaveMode.ErrorIfExists;
          }
        };
    String compression =
        cfg.output().compression() == null
            ? ConfigKeys.COMPRESSION_DEFAULT
            : cfg.output().compression().trim().toLowerCase(Locale.ROOT);
    if (!ConfigKeys.COMPRESSIONS.contains(compression)) {
      problems.add(
          ConfigKeys.COMPRESSION
              + ": unknown codec '"
              + cfg.output().compression()
              + "'; expected one of "
              + ConfigKeys.COMPRESSIONS
              + ".");
    }
    ErrorPolicy policy =
        parseEnum(
            problems,
            cfg.errors().policy(),
            ConfigKeys.ERRORS_POLICY,
            ConfigKeys.ERRORS_POLICY_DEFAULT,
            ErrorPolicy::parse,
            List.of("fail", "skip", "dead-letter"));
    String deadLetterPath = cfg.errors().deadLetterPath();
    String deadLetterTable = cfg.errors().deadLetterTable();
    if (policy != ErrorPolicy.DEAD_LETTER
        && deadLetterTable != null
        && !deadLetterTable.isBlank()) {
      problems.add(
          ConfigKeys.DEAD_LETTER_TABLE
              + ": set, but errors.policy is "
              + policy
              + "; set errors.policy:"
              + " dead-letter to write rejected rows there, or remove the key.");
    }
    if (policy == ErrorPolicy.DEAD_LETTER
        && (deadLetterPath == null || deadLetterPath.isBlank())
        && (deadLetterTable == null || deadLetterTable.isBlank())) {
      problems.add(
          ConfigKeys.DEAD_LETTER_PATH
              + ": missing; errors.policy is dead-letter, so set where the rejected"
              + " rows go (Parquet), e.g. --set errors.dead_letter_path=/data/preds_rejected, or a table in"
              + " errors.dead_letter_table.");
    }
    if (policy != ErrorPolicy.DEAD_LETTER && deadLetterPath != null && !deadLetterPath.isBlank()) {
      problems.add(
          ConfigKeys.DEAD_LETTER_PATH
              + ": set, but errors.policy is "
              + policy
              + "; set errors.policy:"
              + " dead-letter to write rejected rows there, or remove the key.");
    }
    Double maxRejected = cfg.errors().maxRejectedFraction();
    if (maxRejected != null && (maxRejected < 0 || maxRejected > 1 || maxRejected.isNaN())) {
      problems.add(
          ConfigKeys.MAX_REJECTED_FRACTION
              + ": must be between 0 and 1 (e.g. 0.01 for 1%); found "
              + maxRejected
              + ".");
    }
    if (maxRejected == null && policy != null && policy != ErrorPolicy.FAIL) {
      maxRejected = ConfigKeys.MAX_REJECTED_FRACTION_DEFAULT;
    }
    Integer maxConsecutive = cfg.errors().maxConsecutiveInferenceErrors();
    if (maxConsecutive != null && maxConsecutive < 1) {
      problems.add(
          ConfigKeys.MAX_CONSECUTIVE_INFERENCE_ERRORS
              + ": must be at least 1 (ONNX Runtime calls that may"
              + " fail in a row in one task before it stops); found "
              + maxConsecutive
              + ". Try "
              + BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT
              + ".");
    }
    Integer partitions = cfg.input().partitions();
    if (partitions != null && partitions < 1) {
      problems.add(
          ConfigKeys.INPUT_PARTITIONS
              + ": must be at least 1 (or left out to keep the input's own"
              + " partitioning); found "
              + partitions
              + ".");
    }
    return new JobSettings(
        name,
        first.device(),
        first.batching(),
        modeName,
        mode,
        compression,
        policy,
        deadLetterPath,
        maxRejected,
        first.batchSize(),
        first.threads(),
        models);
  }

  interface Parser<T> {
    T parse(String value);
  }

  static <T> T parseEnum(
      Problems problems,
      String value,
      String key,
      String dflt,
      Parser<T> parser,
      List<String> allowed) {
    T parsed = parser.parse(value == null ? dflt : value);
    if (parsed == null) {
      problems.add(
          key
              + ": unknown value '"
              + value
              + "'; expected one of "
              + allowed
              + "."
              + Problems.didYouMean(value, allowed));
      return parser.parse(dflt);
    }
    return parsed;
  }
}
