package io.batchinfer.udfs.plan;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.DistributionSettings;
import io.batchinfer.udfs.InferenceRequest;
import io.batchinfer.udfs.OnnxRuntimeOptions;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.exec.InferenceSpec;
import io.batchinfer.udfs.model.GraphSkeleton;
import io.batchinfer.udfs.model.LocalModelCache;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.TensorSpec;
import io.batchinfer.udfs.session.GpuOptions;
import io.batchinfer.udfs.session.ModelSessions;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.session.OrtTuning;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: checks an {@link InferenceRequest} against the model signature and input schema,
 * collecting every problem, and freezes the result into an {@link InferenceSpec}. Reads the model
 * (and tokenizers) through Hadoop, checks settings and passthrough columns itself, and leaves
 * inputs, texts and outputs to {@link InputBinder}, {@link TextBinder} and {@link OutputBinder}.
 * Stateless.
 */
public final class InferencePlanner {
  private static final Logger LOG = LoggerFactory.getLogger(InferencePlanner.class);

  private InferencePlanner() {}

  /**
   * What planning produced: the model, its signature, the frozen spec, and whether the mapped
   * inputs could be batched at all (for the plan's description).
   */
  public record Planned(
      ModelArtifact model, ModelSignature signature, InferenceSpec spec, boolean batchable) {}

  /**
   * Validates {@code request}, reading its model first when it was given by path.
   *
   * @throws ValidationException listing every problem found
   */
  public static Planned plan(
      InferenceRequest request, StructType schema, Configuration hadoopConf) {
    Problems problems = new Problems();
    if (request.batchSize() < 1) {
      problems.add(
          "model.batch_size: must be a positive number of rows; found "
              + request.batchSize()
              + ". Try "
              + BatchInference.BATCH_SIZE_DEFAULT
              + ".");
    }
    if (request.maxConsecutiveInferenceErrors() < 1) {
      problems.add(
          "errors.max_consecutive_inference_errors: must be at least 1; found "
              + request.maxConsecutiveInferenceErrors()
              + ". Try "
              + BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT
              + ".");
    }
    if (request.lengthWindow() < 1) {
      problems.add(
          "model.length_window: must be at least 1 (1 turns length-aware batching off); found "
              + request.lengthWindow()
              + ".");
    }
    if (request.threads() < 1) {
      problems.add("model.threads: must be at least 1; found " + request.threads() + ".");
    }
    GpuOptions gpu =
        DeviceBinder.bind(
            request.device(), request.deviceSettings(), request.distributionSettings(), problems);
    DistributionSettings distribution = request.distributionSettings();
    ModelArtifact artifact = request.model();
    if (artifact == null) {
      if (request.modelPath() == null || request.modelPath().isBlank()) {
        problems.add(
            "model.path: missing; set it to the .onnx file to run (any Hadoop path: /x.onnx, hdfs://..., s3a://...).");
      } else {
        try {
          artifact =
              ModelLoader.load(
                  request.modelPath(),
                  request.modelSha256(),
                  hadoopConf,
                  "model.path",
                  distribution.mode(),
                  Math.max(0, distribution.thresholdMb()) * 1024L * 1024L,
                  distribution.cacheDir());
        } catch (ValidationException e) {
          problems.addAll(e);
        }
      }
    }
    if (artifact == null) {
      problems.throwIfAny("");
      throw new IllegalStateException("no model and no problem recorded");
    }
    SessionOptionsSpec session =
        problems.isEmpty()
            ? new SessionOptionsSpec(
                request.threads(),
                request.device(),
                request.deviceSettings().deviceId(),
                request.customOpLibraries(),
                gpu,
                tuning(request.onnxRuntime()))
            : SessionOptionsSpec.DEFAULT;
    return bind(artifact, problems, request, session, schema, hadoopConf);
  }

  private static Planned bind(
      ModelArtifact model,
      Problems problems,
      InferenceRequest request,
      SessionOptionsSpec session,
      StructType schema,
      Configuration hadoopConf) {
    int batchSize = Math.max(request.batchSize(), 1);
    Batching batching = request.batching();
    ModelSignature signature;
    try {
      signature = inspect(model, session);
    } catch (ValidationException e) {
      // Report settings problems found earlier (model.batch_size, ...) together with this one.
      problems.addAll(e);
      problems.throwIfAny("");
      throw e;
    }

    InputBinder inputs = new InputBinder(signature, schema, request.allowNan(), problems);
    inputs.checkSupported();
    Map<String, TextBinder.TextRef> textTargets = TextBinder.targets(request, signature, problems);
    AutoInputBinder.Resolved mapped =
        AutoInputBinder.resolve(
            request.autoInputs(),
            request.inputs(),
            signature,
            schema,
            textTargets.keySet(),
            problems);
    Set<String> fedOrReported = new HashSet<>(textTargets.keySet());
    fedOrReported.addAll(mapped.reported());
    inputs.checkMapped(mapped.inputs(), fedOrReported);
    List<TextBinding> textBindings =
        new TextBinder(signature, schema, hadoopConf, problems).bind(textTargets);
    List<InputBinding> inputBindings = new ArrayList<>(inputs.bind(mapped.inputs()));
    inputBindings.addAll(new ImageBinder(signature, schema, problems).bind(mapped.inputs()));
    boolean anyInput = !inputBindings.isEmpty() || !textBindings.isEmpty();
    boolean allBatchAxis = anyInput && inputBindings.stream().allMatch(InputBinding::batchAxis);
    boolean batchable =
        allBatchAxis
            && inputBindings.stream().allMatch(b -> signature.inputs().get(b.onnxName()).dim(0) < 0)
            && textBindings.stream()
                .flatMap(t -> t.targets().stream())
                .allMatch(t -> signature.inputs().get(t.onnxName()).dim(0) < 0);
    boolean batched = batching == Batching.AUTO && batchable;

    // Passthrough
    List<String> passthrough = request.passthrough();
    List<String> available = Arrays.asList(schema.fieldNames());
    List<StructField> fields = new ArrayList<>();
    int[] passOrdinals = new int[passthrough.size()];
    DataType[] passTypes = new DataType[passthrough.size()];
    Set<String> taken = new HashSet<>();
    for (int i = 0; i < passthrough.size(); i++) {
      String c = passthrough.get(i);
      if (!available.contains(c)) {
        problems.add(
            "passthrough["
                + i
                + "]: column '"
                + c
                + "' not found in input; available: "
                + available
                + "."
                + Problems.didYouMean(c, available));
        continue;
      }
      if (!taken.add(c)) {
        problems.add("passthrough[" + i + "]: column '" + c + "' is listed twice.");
        continue;
      }
      StructField f = schema.apply(c);
      passOrdinals[i] = schema.fieldIndex(c);
      passTypes[i] = f.dataType();
      fields.add(f);
    }

    List<OutputBinding> outputBindings =
        new OutputBinder(signature, problems)
            .bind(
                request.outputs(),
                allBatchAxis || !anyInput,
                !textBindings.isEmpty(),
                taken,
                fields);
    problems.throwIfAny("");
    InferenceSpec spec =
        new InferenceSpec(
            model.uri(),
            model.sha256(),
            session,
            batchSize,
            batched,
            inputBindings,
            outputBindings,
            passOrdinals,
            passTypes,
            new StructType(fields.toArray(new StructField[0])),
            textBindings,
            request.lengthWindow(),
            request.errorPolicy(),
            schema,
            request.maxConsecutiveInferenceErrors());
    return new Planned(model, signature, spec, batchable);
  }

  /** Freezes the caller's ONNX Runtime options into the executor-side session settings. */
  static OrtTuning tuning(OnnxRuntimeOptions o) {
    return new OrtTuning(
        o.interOpThreads(),
        o.spinning(),
        o.globalThreadPool(),
        o.memoryPattern(),
        o.cpuArena(),
        o.optimizationLevel(),
        o.optimizedModelDir());
  }

  /**
   * Opens a throwaway CPU session on the driver to read the signature. It goes through {@link
   * OrtRuntime#environment(SessionOptionsSpec)} so that, when the driver is also the executor
   * (local mode), a global thread pool asked for in {@code sessionOptions} can still be created.
   */
  static ModelSignature inspect(ModelArtifact model, SessionOptionsSpec sessionOptions) {
    OrtEnvironment env = OrtRuntime.environment(sessionOptions);
    if (model.files() != null) {
      ModelSignature fromSkeleton = inspectSkeleton(env, model);
      if (fromSkeleton != null) {
        return fromSkeleton;
      }
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = ModelSessions.open(env, model, options)) {
      return ModelSignature.of(session);
    } catch (LocalModelCache.ModelChangedException | java.io.UncheckedIOException e) {
      throw new ValidationException(e.getMessage()); // the copy failed its pin, or disk trouble
    } catch (OrtException e) {
      throw new ValidationException(
          "model.path: "
              + model.uri()
              + " is not a valid ONNX model that ONNX Runtime can"
              + " load: "
              + e.getMessage().strip().replaceAll("\\.+$", "")
              + ". Check that the file is a complete .onnx"
              + " export.");
    }
  }

  /**
   * Distribution {@code files}: the signature from the model's {@link GraphSkeleton} (the graph
   * without its large initializers), so the driver neither copies the model nor loads its weights.
   *
   * @return null when the skeleton cannot stand for the model (the caller opens the whole model,
   *     which also gives ONNX Runtime's own reason when the model is broken)
   */
  private static ModelSignature inspectSkeleton(OrtEnvironment env, ModelArtifact model) {
    long start = System.nanoTime();
    try {
      GraphSkeleton.Skeleton skeleton =
          GraphSkeleton.read(model.files().graph().uri(), model.files().hadoop().get());
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
          OrtSession session = env.createSession(skeleton.model(), options)) {
        ModelSignature signature = ModelSignature.of(session).withoutInputs(skeleton.replaced());
        LOG.info(
            "read the signature of {} from its graph ({} bytes without {} large initializers) in {}"
                + " ms",
            model.uri(),
            skeleton.model().length,
            skeleton.replaced().size(),
            (System.nanoTime() - start) / 1_000_000);
        return signature;
      }
    } catch (IOException | OrtException | RuntimeException e) {
      LOG.info(
          "planning opens the whole model {}: its graph alone did not load ({})",
          model.uri(),
          e.getMessage());
      return null;
    }
  }

  /**
   * @return the tensors as {@code [name [dims] type, ...]}, for messages
   */
  static String describeAll(Map<String, TensorSpec> specs) {
    return "[" + ModelSignature.describe(specs) + "]";
  }
}
