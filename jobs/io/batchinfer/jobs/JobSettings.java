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
 * (and, on a cluster, executors) is started. Immutable.
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
    int threads) {

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
    require(problems, cfg.model().path(), ConfigKeys.MODEL_PATH, "the .onnx model file");
    TableOutput.precheck(cfg, problems);
    if (cfg.inputs().isEmpty() && cfg.text() == null) {
      problems.add(
          ConfigKeys.INPUTS
              + ": missing; map each model input to columns, e.g. inputs: {features: {columns:"
              + " [a, b]}}.");
    }
    if (cfg.outputs().isEmpty()) {
      problems.add(
          ConfigKeys.OUTPUTS
              + ": missing; map at least one model output, e.g. outputs: {probabilities:"
              + " {column: probs}}.");
    }
    Device device =
        parseEnum(
            problems,
            cfg.model().device(),
            ConfigKeys.DEVICE,
            ConfigKeys.DEVICE_DEFAULT,
            Device::parse,
            ConfigKeys.DEVICES);
    DeviceConfig.check(cfg.model(), device, problems);
    Batching batching =
        parseEnum(
            problems,
            cfg.model().batching(),
            ConfigKeys.BATCHING,
            ConfigKeys.BATCHING_DEFAULT,
            Batching::parse,
            List.of("auto", "none"));
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
    String sha = cfg.model().sha256();
    if (sha != null && !sha.isBlank() && !sha.trim().matches("(?i)[0-9a-f]{64}")) {
      problems.add(
          ConfigKeys.MODEL_SHA256
              + ": expected 64 hex digits (sha256sum of the model file); found '"
              + sha
              + "'. Quote it in YAML so it stays text.");
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
    int batchSize =
        cfg.model().batchSize() == null ? ConfigKeys.BATCH_SIZE_DEFAULT : cfg.model().batchSize();
    int threads =
        cfg.model().threads() == null ? ConfigKeys.THREADS_DEFAULT : cfg.model().threads();
    Integer partitions = cfg.input().partitions();
    if (partitions != null && partitions < 1) {
      problems.add(
          ConfigKeys.INPUT_PARTITIONS
              + ": must be at least 1 (or left out to keep the input's own"
              + " partitioning); found "
              + partitions
              + ".");
    }
    if (batchSize < 1) {
      problems.add(
          ConfigKeys.BATCH_SIZE
              + ": must be a positive number of rows; found "
              + batchSize
              + ". Try "
              + ConfigKeys.BATCH_SIZE_DEFAULT
              + ".");
    }
    if (threads < 1) {
      problems.add(ConfigKeys.THREADS + ": must be at least 1; found " + threads + ".");
    }
    return new JobSettings(
        name,
        device,
        batching,
        modeName,
        mode,
        compression,
        policy,
        deadLetterPath,
        maxRejected,
        Math.max(batchSize, 1),
        Math.max(threads, 1));
  }

  private static void require(Problems problems, String value, String key, String what) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": missing; set it to " + what + " (or pass --set " + key + "=...).");
    }
  }

  private interface Parser<T> {
    T parse(String value);
  }

  private static <T> T parseEnum(
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
