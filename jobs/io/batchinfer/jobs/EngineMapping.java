package io.batchinfer.jobs;

import io.batchinfer.udfs.AutoInputs;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ImageInput;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.MapForm;
import io.batchinfer.udfs.OnnxRuntimeOptions;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: maps the config's {@code model}, {@code inputs}, {@code outputs}, {@code text},
 * {@code passthrough} and {@code errors} keys to the engine's request ({@link
 * BatchInference.Builder}) and lets the engine plan it against the input schema: the only place
 * where {@code jobs/} talks to the engine's planning API. Stateless.
 */
final class EngineMapping {
  private EngineMapping() {}

  /**
   * @return the engine's plan for {@code inputSchema}, or null when the config is incomplete (a
   *     missing key already reported by {@link JobSettings}) or a problem was found (added to
   *     {@code problems})
   */
  static InferencePlan plan(
      JobConfig cfg,
      JobSettings settings,
      SparkSession spark,
      StructType inputSchema,
      Problems problems) {
    // Checked whatever else is missing, so that bad model.onnxruntime values are reported with the
    // rest.
    OnnxRuntimeOptions onnxRuntime = OrtTuningConfig.tuning(cfg.model().onnxruntime(), problems);
    if (inputSchema == null
        || cfg.model().path() == null
        || (cfg.inputs().isEmpty() && cfg.text() == null)
        || cfg.outputs().isEmpty()) {
      return null;
    }
    BatchInference.Builder builder =
        BatchInference.builder()
            .modelPath(cfg.model().path(), cfg.model().sha256())
            .batchSize(settings.batchSize())
            .threads(settings.threads())
            .device(settings.device())
            .batching(settings.batching())
            .errorPolicy(settings.policy())
            .allowNan(Boolean.TRUE.equals(cfg.errors().allowNan()))
            .maxConsecutiveInferenceErrors(
                cfg.errors().maxConsecutiveInferenceErrors() == null
                        || cfg.errors().maxConsecutiveInferenceErrors() < 1
                    ? BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT
                    : cfg.errors().maxConsecutiveInferenceErrors())
            .customOpLibraries(
                cfg.model().customOpLibraries() == null
                    ? List.of()
                    : cfg.model().customOpLibraries())
            .onnxRuntime(onnxRuntime)
            .passthrough(cfg.passthrough());
    DeviceConfig.apply(cfg.model(), settings.device(), builder, new Problems());
    if (cfg.model().lengthWindow() != null) {
      builder.lengthWindow(cfg.model().lengthWindow());
    }
    if (cfg.text() != null) {
      builder.text(toText(cfg.text()));
    }
    boolean mappingOk = true;
    for (Map.Entry<String, JobConfig.InputSpec> e : cfg.inputs().entrySet()) {
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
    for (Map.Entry<String, JobConfig.OutputSpec> e : cfg.outputs().entrySet()) {
      OutputMapping m = toMapping(ConfigKeys.OUTPUTS + "." + e.getKey(), e.getValue(), problems);
      if (m == null) {
        mappingOk = false;
        continue;
      }
      builder.output(e.getKey(), m);
    }
    if (!mappingOk) {
      return null;
    }
    try {
      return builder.plan(spark, inputSchema);
    } catch (ValidationException e) {
      problems.addAll(e);
      return null;
    }
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
