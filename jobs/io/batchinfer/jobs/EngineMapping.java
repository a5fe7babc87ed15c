package io.batchinfer.jobs;

import io.batchinfer.udfs.AutoInputs;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.BatchInferenceChain;
import io.batchinfer.udfs.ChainPlan;
import io.batchinfer.udfs.ImageInput;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.MapForm;
import io.batchinfer.udfs.OnnxRuntimeOptions;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.ChainChecks;
import io.batchinfer.udfs.plan.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: maps the config's {@code model}, {@code inputs}, {@code outputs}, {@code text},
 * {@code passthrough} and {@code errors} keys to the engine's request ({@link
 * BatchInference.Builder}) and lets the engine plan it against the input schema: the only place
 * where {@code jobs/} talks to the engine's planning API. A {@code models:} list maps each entry
 * with the same code ({@link #builder}) into a {@link BatchInferenceChain}. Stateless.
 */
final class EngineMapping {
  private EngineMapping() {}

  /**
   * @return the engine's plan for {@code inputSchema}: the single model, or the {@code models:}
   *     chain; null when the config is incomplete (a missing key already reported by {@link
   *     JobSettings}) or a problem was found (added to {@code problems})
   */
  static ChainPlan plan(
      JobConfig cfg,
      JobSettings settings,
      SparkSession spark,
      StructType inputSchema,
      Problems problems) {
    List<JobConfig.ModelEntry> entries = cfg.modelEntries();
    List<BatchInference.Builder> builders = new ArrayList<>();
    boolean complete = !entries.isEmpty() && entries.size() == settings.models().size();
    for (int i = 0; i < entries.size(); i++) {
      Problems own = new Problems();
      BatchInference.Builder b =
          builder(
              cfg,
              entries.get(i),
              i < settings.models().size() ? settings.models().get(i) : null,
              settings,
              own);
      for (String p : own.list()) {
        problems.add(
            cfg.models() == null
                ? p
                : ChainChecks.qualify(i, String.valueOf(ModelSettings.name(entries.get(i))), p));
      }
      complete &= b != null;
      builders.add(b);
    }
    if (inputSchema == null || !complete) {
      return null;
    }
    String modelColumn = cfg.output().modelColumn();
    try {
      if (cfg.models() == null) {
        return ChainPlan.of(builders.get(0).plan(spark, inputSchema), modelColumn);
      }
      BatchInferenceChain.Builder chain = BatchInferenceChain.builder();
      for (int i = 0; i < entries.size(); i++) {
        chain.model(entries.get(i).name(), builders.get(i));
      }
      return chain.passthrough(cfg.passthrough()).modelColumn(modelColumn).plan(spark, inputSchema);
    } catch (ValidationException e) {
      problems.addAll(e);
      return null;
    }
  }

  /**
   * @return the engine's builder for the config's single {@code model:} block (for {@link JobSql}),
   *     or null when a key is missing or wrong (added to {@code problems})
   */
  static BatchInference.Builder singleModelBuilder(
      JobConfig cfg, JobSettings settings, Problems problems) {
    List<JobConfig.ModelEntry> entries = cfg.modelEntries();
    if (entries.size() != 1 || settings.models().isEmpty()) {
      return null;
    }
    return builder(cfg, entries.get(0), settings.models().get(0), settings, problems);
  }

  /**
   * @return the engine's builder for one model (the single model, or one {@code models:} entry), or
   *     null when a key is missing or wrong; problems use the keys inside the entry
   */
  private static BatchInference.Builder builder(
      JobConfig cfg,
      JobConfig.ModelEntry entry,
      ModelSettings model,
      JobSettings settings,
      Problems problems) {
    // Checked whatever else is missing, so that bad model.onnxruntime values are reported with the
    // rest.
    OnnxRuntimeOptions onnxRuntime = OrtTuningConfig.tuning(entry.model().onnxruntime(), problems);
    if (model == null
        || entry.model().path() == null
        || (entry.inputs().isEmpty() && entry.text() == null)
        || entry.outputs().isEmpty()) {
      return null;
    }
    BatchInference.Builder builder =
        BatchInference.builder()
            .modelPath(entry.model().path(), entry.model().sha256())
            .batchSize(model.batchSize())
            .threads(model.threads())
            .device(model.device())
            .batching(model.batching())
            .errorPolicy(settings.policy())
            .allowNan(Boolean.TRUE.equals(cfg.errors().allowNan()))
            .maxConsecutiveInferenceErrors(
                cfg.errors().maxConsecutiveInferenceErrors() == null
                        || cfg.errors().maxConsecutiveInferenceErrors() < 1
                    ? BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT
                    : cfg.errors().maxConsecutiveInferenceErrors())
            .customOpLibraries(
                entry.model().customOpLibraries() == null
                    ? List.of()
                    : entry.model().customOpLibraries())
            .onnxRuntime(onnxRuntime)
            .passthrough(cfg.passthrough());
    DeviceConfig.apply(entry.model(), model.device(), builder, new Problems());
    if (entry.model().lengthWindow() != null) {
      builder.lengthWindow(entry.model().lengthWindow());
    }
    if (entry.text() != null && entry.text().field() != null) {
      problems.add(
          "text.field: set on the top-level text block, which fills every token input of the"
              + " model by its name (input_ids, attention_mask, token_type_ids); remove it, or move"
              + " the block to inputs.<onnx input>.text to feed one input with a chosen field.");
    }
    if (entry.text() != null) {
      builder.text(toText(entry.text()));
    }
    boolean mappingOk = true;
    for (Map.Entry<String, JobConfig.InputSpec> e : entry.inputs().entrySet()) {
      JobConfig.InputSpec in = e.getValue();
      if (in != null && in.auto() != null) {
        AutoInputs auto = OnnxMlConfig.autoInputs(e.getKey(), in.auto(), problems);
        if (auto == null) {
          mappingOk = false;
        } else {
          builder.autoInputs(auto);
        }
        continue;
      }
      if (in == null) {
        problems.add(
            ConfigKeys.INPUTS + "." + e.getKey() + ": empty; set 'columns', 'column' or 'image'.");
        mappingOk = false;
        continue;
      }
      builder.input(
          e.getKey(),
          new InputMapping(
              in.columns(), in.column(), in.type(), toText(in.text()), toImage(in.image())));
    }
    for (Map.Entry<String, JobConfig.OutputSpec> e : entry.outputs().entrySet()) {
      OutputMapping m = toMapping(ConfigKeys.OUTPUTS + "." + e.getKey(), e.getValue(), problems);
      if (m == null) {
        mappingOk = false;
        continue;
      }
      builder.output(e.getKey(), m);
    }
    return mappingOk ? builder : null;
  }

  private static OutputMapping toMapping(String key, JobConfig.OutputSpec o, Problems problems) {
    if (o == null) {
      problems.add(key + ": empty; set 'column' (and optionally argmax, softmax, top_k, labels).");
      return null;
    }
    Pooling pooling = null;
    if (o.pooling() != null) {
      pooling = Pooling.parse(o.pooling());
      if (pooling == null) {
        problems.add(
            key
                + ".pooling: unknown pooling '"
                + o.pooling()
                + "'; expected one of [mean, cls, none].");
        return null;
      }
    }
    OutputMapping m =
        new OutputMapping(
            o.column(),
            Boolean.TRUE.equals(o.softmax()),
            o.argmax(),
            null,
            o.labels(),
            o.labelColumn(),
            pooling,
            Boolean.TRUE.equals(o.normalize()));
    if (o.as() != null || o.classes() != null) {
      MapForm form = OnnxMlConfig.mapForm(key, o.as(), problems);
      if (o.as() != null && form == null) {
        return null;
      }
      m = m.withForm(form, o.classes());
    }
    if (o.topK() != null) {
      if (o.topK().k() == null) {
        problems.add(key + ".top_k.k: missing; how many top classes to keep, e.g. 3.");
        return null;
      }
      m = m.withTopK(o.topK().k(), o.topK().indices(), o.topK().scores());
    }
    return m;
  }

  private static ImageInput toImage(JobConfig.Image i) {
    return i == null
        ? null
        : new ImageInput(
            i.column(),
            i.mode(),
            i.resize(),
            i.crop(),
            i.fit(),
            i.padValue(),
            i.interpolation(),
            i.channelOrder(),
            i.layout(),
            i.scale(),
            i.mean(),
            i.std(),
            i.dtype());
  }

  private static TextInput toText(JobConfig.Text t) {
    if (t == null) {
      return null;
    }
    return new TextInput(
        t.column(),
        t.tokenizer(),
        t.maxLength() == null ? ConfigKeys.MAX_LENGTH_DEFAULT : t.maxLength(),
        t.field(),
        Boolean.TRUE.equals(t.rejectEmpty()));
  }
}
