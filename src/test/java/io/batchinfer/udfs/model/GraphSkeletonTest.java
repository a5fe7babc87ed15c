package io.batchinfer.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model's {@link GraphSkeleton} (its graph without large or external initializers) gives ONNX
 * Runtime the same signature as the whole model: for each model below, the oracle is ONNX Runtime
 * opening the whole model by path (external data resolved next to it). Covers initializers stored
 * externally, large initializers inside the graph file (the all-MiniLM-L6-v2 exports, whose shape
 * inference also reads small shape constants that must stay), and small models left unchanged.
 */
class GraphSkeletonTest {
  @TempDir static Path dir;

  static Stream<String> models() {
    return Stream.of(
        "external-linear",
        "external-lookup",
        "inline-mlp",
        "inline-small",
        "minilm",
        "minilm-q",
        "iris");
  }

  private static Path model(String name) throws Exception {
    Path models = Projects.root().resolve("models");
    return switch (name) {
      case "external-linear" ->
          ExternalDataModels.linear(
              dir.resolve("ext"),
              "linear.onnx",
              "x",
              "y",
              new float[][] {{1, 2}, {3, 4}, {5, 6}},
              new float[] {0.5f, -0.5f},
              "w.bin",
              "b.bin");
      case "external-lookup" ->
          ExternalDataModels.hugeLookup(
              dir.resolve("lookup"), "lookup.onnx", "idx", "value", 100_000, "table.bin");
      case "inline-mlp" ->
          TestModels.write(
              TestModels.mlp("in", "probs", new int[] {256, 512, 10}, 7), dir.resolve("mlp.onnx"));
      case "inline-small" ->
          TestModels.write(
              TestModels.linear("x", "y", new float[][] {{1, 2}}, new float[] {0, 1}),
              dir.resolve("small.onnx"));
      case "minilm" -> models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
      case "minilm-q" -> models.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
      case "iris" -> models.resolve("iris/iris-logreg.onnx");
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest
  @MethodSource("models")
  void skeletonHasTheWholeModelsSignature(String name) throws Exception {
    Path file = model(name);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    ModelSignature whole;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(file.toString(), o)) {
      whole = ModelSignature.of(s);
    }
    GraphSkeleton.Skeleton skeleton =
        GraphSkeleton.read(file.toUri().toString(), new Configuration());
    ModelSignature fromSkeleton;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(skeleton.model(), o)) {
      fromSkeleton = ModelSignature.of(s).withoutInputs(skeleton.replaced());
    }
    assertThat(fromSkeleton).isEqualTo(whole);
    long size = Files.size(file);
    switch (name) {
      case "external-linear" -> assertThat(skeleton.replaced()).containsExactly("W", "B");
      case "external-lookup" -> assertThat(skeleton.replaced()).containsExactly("table");
      case "inline-mlp" -> {
        // W1 (256 x 512 floats) is left out; W2 (512 x 10) and the biases fit in 64 KB and stay.
        assertThat(skeleton.replaced()).containsExactly("W1");
        assertThat(skeleton.model().length).isLessThan(64 * 1024);
      }
      case "inline-small", "iris" -> {
        assertThat(skeleton.replaced()).isEmpty();
        assertThat(skeleton.model()).isEqualTo(Files.readAllBytes(file));
      }
      case "minilm", "minilm-q" -> {
        assertThat(skeleton.replaced()).isNotEmpty();
        assertThat(skeleton.model().length)
            .as("%s: %d of %d bytes", name, skeleton.model().length, size)
            .isLessThan((int) (size / 10));
      }
      default -> throw new IllegalArgumentException(name);
    }
  }
}
