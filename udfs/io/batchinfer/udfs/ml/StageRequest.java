package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.model.ModelArtifact;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Driver only: turns an {@link OnnxTransformer}'s Params into the engine's request ({@link
 * BatchInference.Builder}), so that the stage plans exactly as the API does. String-valued Params
 * ({@code device}, {@code errorPolicy}, {@code batching}) are parsed here, every bad one reported
 * at once, naming the Param and its config key. Stateless.
 */
final class StageRequest {
  private StageRequest() {}

  /**
   * @param passthrough the input columns to keep (all of them, vectors under their hidden names)
   * @throws ValidationException when a string-valued Param names no known value
   */
  static BatchInference.Builder builder(
      OnnxTransformer stage, ModelArtifact model, List<String> passthrough) {
    List<String> problems = new ArrayList<>();
    String deviceValue = stage.getOrDefault(stage.device());
    Device device = Device.parse(deviceValue);
    if (device == null) {
      problems.add(choice("device (model.device)", deviceValue, Device.values()));
    }
    String policyValue = stage.getOrDefault(stage.errorPolicy());
    ErrorPolicy policy = ErrorPolicy.parse(policyValue);
    if (policy == null) {
      problems.add(choice("errorPolicy (errors.policy)", policyValue, ErrorPolicy.values()));
    }
    String batchingValue = stage.getOrDefault(stage.batching());
    Batching batching = Batching.parse(batchingValue);
    if (batching == null) {
      problems.add(choice("batching (model.batching)", batchingValue, Batching.values()));
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(stage.uid(), problems);
    }
    BatchInference.Builder builder =
        BatchInference.builder()
            .model(model)
            .passthrough(passthrough)
            .batchSize((Integer) stage.getOrDefault(stage.batchSize()))
            .threads((Integer) stage.getOrDefault(stage.threads()))
            .device(device)
            .errorPolicy(policy)
            .allowNan((Boolean) stage.getOrDefault(stage.allowNan()))
            .batching(batching)
            .maxConsecutiveInferenceErrors(
                (Integer) stage.getOrDefault(stage.maxConsecutiveInferenceErrors()));
    stage.getOrDefault(stage.inputs()).forEach(builder::input);
    stage.getOrDefault(stage.outputs()).forEach(builder::output);
    return builder;
  }

  private static String choice(String key, String found, Object[] allowed) {
    return key + ": '" + found + "' is not one of " + Arrays.toString(allowed) + ".";
  }
}
