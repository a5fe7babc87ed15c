package io.batchinfer.udfs;

import io.batchinfer.udfs.model.ModelArtifact;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a caller asked for, as collected by {@link BatchInference.Builder}: the model (in memory, or
 * a path and optional sha256 pin), the input/output mappings, passthrough columns and the
 * session/batching/error settings. Not yet validated; the planner checks it against the model and
 * the input schema. Immutable (maps keep the caller's order); driver only; holds no native
 * resources.
 *
 * @param model a model already in memory, or null when {@code modelPath} is set
 * @param modelPath a Hadoop path to read the model from ({@code model.path}), or null
 * @param modelSha256 the expected sha256 of the model file ({@code model.sha256}), or null
 * @param inputs model input name to mapping ({@code inputs.<name>}), in the caller's order
 * @param outputs model output name to mapping ({@code outputs.<name>}), in the caller's order
 * @param text the top-level {@code text} block, or null
 * @param passthrough input columns copied to the output ({@code passthrough})
 * @param batchSize rows per model run ({@code model.batch_size})
 * @param lengthWindow batches per length-aware window ({@code model.length_window})
 * @param threads ONNX Runtime intra-op threads ({@code model.threads})
 * @param device where to run ({@code model.device})
 * @param batching how rows are grouped into runs ({@code model.batching})
 * @param errorPolicy what happens to a row that cannot be scored ({@code errors.policy})
 * @param allowNan whether NaN/±Infinity may reach floating-point inputs ({@code errors.allow_nan})
 * @param customOpLibraries custom-op libraries to register ({@code model.custom_op_libraries})
 * @param maxConsecutiveInferenceErrors ONNX Runtime calls that may fail in a row in one task before
 *     its circuit breaker fails it ({@code errors.max_consecutive_inference_errors})
 * @param deviceSettings GPU placement and provider options ({@code model.device_fallback}, ...)
 * @param distributionSettings how the model reaches executors ({@code model.distribution}, ...)
 * @param onnxRuntime ONNX Runtime threading, memory and graph settings ({@code
 *     model.onnxruntime.*})
 * @param autoInputs how model inputs without a mapping are fed ({@code inputs.auto}); null means
 *     {@link AutoInputs#NONE}
 */
public record InferenceRequest(
    ModelArtifact model,
    String modelPath,
    String modelSha256,
    Map<String, InputMapping> inputs,
    Map<String, OutputMapping> outputs,
    TextInput text,
    List<String> passthrough,
    int batchSize,
    int lengthWindow,
    int threads,
    Device device,
    Batching batching,
    ErrorPolicy errorPolicy,
    boolean allowNan,
    List<String> customOpLibraries,
    int maxConsecutiveInferenceErrors,
    DeviceSettings deviceSettings,
    DistributionSettings distributionSettings,
    OnnxRuntimeOptions onnxRuntime,
    AutoInputs autoInputs) {

  public InferenceRequest {
    autoInputs = autoInputs == null ? AutoInputs.NONE : autoInputs;
    onnxRuntime = onnxRuntime == null ? OnnxRuntimeOptions.DEFAULT : onnxRuntime;
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    passthrough = List.copyOf(passthrough);
    customOpLibraries = List.copyOf(customOpLibraries);
    deviceSettings = deviceSettings == null ? DeviceSettings.defaults(device) : deviceSettings;
    distributionSettings =
        distributionSettings == null ? DistributionSettings.DEFAULT : distributionSettings;
  }

  /** A request in which every model input is mapped explicitly ({@link AutoInputs#NONE}). */
  public InferenceRequest(
      ModelArtifact model,
      String modelPath,
      String modelSha256,
      Map<String, InputMapping> inputs,
      Map<String, OutputMapping> outputs,
      TextInput text,
      List<String> passthrough,
      int batchSize,
      int lengthWindow,
      int threads,
      Device device,
      Batching batching,
      ErrorPolicy errorPolicy,
      boolean allowNan,
      List<String> customOpLibraries,
      int maxConsecutiveInferenceErrors,
      DeviceSettings deviceSettings,
      DistributionSettings distributionSettings,
      OnnxRuntimeOptions onnxRuntime) {
    this(
        model,
        modelPath,
        modelSha256,
        inputs,
        outputs,
        text,
        passthrough,
        batchSize,
        lengthWindow,
        threads,
        device,
        batching,
        errorPolicy,
        allowNan,
        customOpLibraries,
        maxConsecutiveInferenceErrors,
        deviceSettings,
        distributionSettings,
        onnxRuntime,
        AutoInputs.NONE);
  }
}
