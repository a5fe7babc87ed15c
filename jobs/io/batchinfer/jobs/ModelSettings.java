package io.batchinfer.jobs;

import io.batchinfer.udfs.BatchInferenceChain;
import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.plan.ChainChecks;
import io.batchinfer.udfs.plan.Problems;
import java.util.ArrayList;
import java.util.List;

/**
 * Driver only: the settings of one model that need neither data nor Spark ({@code model.path},
 * {@code model.sha256}, {@code model.device} and its GPU keys, {@code model.batching}, {@code
 * model.batch_size}, {@code model.threads}, and that {@code inputs}/{@code outputs} are there),
 * parsed from one {@link JobConfig.ModelEntry}: the single model of the top-level blocks or one
 * entry of {@code models:}, by the same code. A {@code models:} entry's problems carry its key path
 * and name ({@code models[1].model.batch_size (model 'head'): ...}). Immutable.
 *
 * @param name the model's name: {@code models[i].name}, else the model file's name without {@code
 *     .onnx}; null for the single model
 */
record ModelSettings(String name, Device device, Batching batching, int batchSize, int threads) {

  /**
   * @return the settings of every model of {@code cfg}, in order; problems go to {@code problems}
   */
  static List<ModelSettings> parseAll(JobConfig cfg, Problems problems) {
    List<JobConfig.ModelEntry> entries = cfg.modelEntries();
    if (cfg.models() != null) {
      if (cfg.hasModelBlock()
          || !cfg.inputs().isEmpty()
          || !cfg.outputs().isEmpty()
          || cfg.text() != null) {
        problems.add(
            "models: set together with the top-level "
                + topLevelBlocks(cfg)
                + "; a job has either one model (model, inputs, outputs, text) or a models: list"
                + " whose entries each have those keys. Move them into the models: entries.");
      }
      if (entries.isEmpty()) {
        problems.add(
            "models: empty; list at least one model, e.g. models: [{name: embed, model: {path:"
                + " ...}, inputs: {...}, outputs: {...}}], or use the single model: block.");
      }
    }
    List<ModelSettings> all = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      JobConfig.ModelEntry e = entries.get(i);
      if (cfg.models() == null) {
        all.add(parse(null, e, problems));
        continue;
      }
      String name = name(e);
      Problems own = new Problems();
      all.add(parse(name, e, own));
      for (String p : own.list()) {
        problems.add(ChainChecks.qualify(i, name == null ? "?" : name, p));
      }
    }
    return all;
  }

  /**
   * @return the name of a {@code models:} entry: {@code name}, else the model file's name without
   *     {@code .onnx}
   */
  static String name(JobConfig.ModelEntry e) {
    return e.name() != null ? e.name() : BatchInferenceChain.defaultName(e.model().path());
  }

  private static String topLevelBlocks(JobConfig cfg) {
    List<String> set = new ArrayList<>();
    if (cfg.hasModelBlock()) {
      set.add("model");
    }
    if (!cfg.inputs().isEmpty()) {
      set.add("inputs");
    }
    if (!cfg.outputs().isEmpty()) {
      set.add("outputs");
    }
    if (cfg.text() != null) {
      set.add("text");
    }
    return String.join(", ", set) + (set.size() == 1 ? " block" : " blocks");
  }

  private static ModelSettings parse(String name, JobConfig.ModelEntry e, Problems problems) {
    JobConfig.Model model = e.model();
    if (model.path() == null || model.path().isBlank()) {
      problems.add(
          ConfigKeys.MODEL_PATH
              + ": missing; set it to the .onnx model file (or pass --set "
              + ConfigKeys.MODEL_PATH
              + "=...).");
    }
    if (e.inputs().isEmpty() && e.text() == null) {
      problems.add(
          ConfigKeys.INPUTS
              + ": missing; map each model input to columns, e.g. inputs: {features: {columns:"
              + " [a, b]}}.");
    }
    if (e.outputs().isEmpty()) {
      problems.add(
          ConfigKeys.OUTPUTS
              + ": missing; map at least one model output, e.g. outputs: {probabilities:"
              + " {column: probs}}.");
    }
    Device device =
        JobSettings.parseEnum(
            problems,
            model.device(),
            ConfigKeys.DEVICE,
            ConfigKeys.DEVICE_DEFAULT,
            Device::parse,
            ConfigKeys.DEVICES);
    DeviceConfig.check(model, device, problems);
    Batching batching =
        JobSettings.parseEnum(
            problems,
            model.batching(),
            ConfigKeys.BATCHING,
            ConfigKeys.BATCHING_DEFAULT,
            Batching::parse,
            List.of("auto", "none"));
    String sha = model.sha256();
    if (sha != null && !sha.isBlank() && !sha.trim().matches("(?i)[0-9a-f]{64}")) {
      problems.add(
          ConfigKeys.MODEL_SHA256
              + ": expected 64 hex digits (sha256sum of the model file); found '"
              + sha
              + "'. Quote it in YAML so it stays text.");
    }
    int batchSize = model.batchSize() == null ? ConfigKeys.BATCH_SIZE_DEFAULT : model.batchSize();
    int threads = model.threads() == null ? ConfigKeys.THREADS_DEFAULT : model.threads();
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
    return new ModelSettings(name, device, batching, Math.max(batchSize, 1), Math.max(threads, 1));
  }
}
