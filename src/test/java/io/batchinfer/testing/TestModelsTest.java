package io.batchinfer.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every {@link TestModels} builder opens in ONNX Runtime 1.29 with the signature it promises. */
class TestModelsTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void identityOpensWithDeclaredSignatureForEveryElementType(ElementType type) throws OrtException {
    try (OrtSession s = open(TestModels.identity("x", "y", TestModels.onnxType(type), -1, 3))) {
      assertTensor(s.getInputInfo(), "x", type, new long[] {-1, 3}, "batch", "");
      assertTensor(s.getOutputInfo(), "y", type, new long[] {-1, 3}, "batch", "");
    }
  }

  @Test
  void identityNamesInnerFreeDimensionsAndLeavesUnnamedOnesEmpty() throws OrtException {
    try (OrtSession s =
        open(TestModels.identity("x", "y", TestModels.FLOAT, -1, -1, TestModels.UNNAMED_DIM, 4))) {
      assertTensor(
          s.getInputInfo(),
          "x",
          ElementType.FLOAT32,
          new long[] {-1, -1, -1, 4},
          "batch",
          "d1",
          "",
          "");
    }
  }

  @Test
  void castOpensAndCasts() throws OrtException {
    try (OrtSession s = open(TestModels.cast("x", TestModels.INT64, "y", TestModels.FLOAT, -1, 2));
        OnnxTensor x = OnnxTensor.createTensor(ENV, new long[][] {{1, -2}, {1L << 24, 3}});
        OrtSession.Result r = s.run(Map.of("x", x))) {
      assertTensor(s.getInputInfo(), "x", ElementType.INT64, new long[] {-1, 2}, "batch", "");
      assertTensor(s.getOutputInfo(), "y", ElementType.FLOAT32, new long[] {-1, 2}, "batch", "");
      assertThat((float[][]) r.get(0).getValue())
          .isDeepEqualTo(new float[][] {{1f, -2f}, {16777216f, 3f}});
    }
  }

  @Test
  void linearComputesGemm() throws OrtException {
    // W is [n=2][k=3]; y = x·W + b. For x = [1, 2]: y = [1*1 + 2*4 + 0.5, 1*2 + 2*5 - 1, 1*3 + 2*6
    // + 0]
    // = [9.5, 11, 15], exact in float32.
    float[][] w = {{1, 2, 3}, {4, 5, 6}};
    float[] b = {0.5f, -1, 0};
    try (OrtSession s = open(TestModels.linear("features", "logits", w, b));
        OnnxTensor x = OnnxTensor.createTensor(ENV, new float[][] {{1, 2}, {0, 0}});
        OrtSession.Result r = s.run(Map.of("features", x))) {
      assertTensor(
          s.getInputInfo(), "features", ElementType.FLOAT32, new long[] {-1, 2}, "batch", "");
      assertTensor(
          s.getOutputInfo(), "logits", ElementType.FLOAT32, new long[] {-1, 3}, "batch", "");
      assertThat((float[][]) r.get(0).getValue())
          .isDeepEqualTo(new float[][] {{9.5f, 11f, 15f}, {0.5f, -1f, 0f}});
    }
  }

  @Test
  void linearSoftmaxGivesProbabilities() throws OrtException {
    float[][] w = {{1, 2, 3}, {4, 5, 6}};
    float[] b = {0.5f, -1, 0};
    try (OrtSession s = open(TestModels.linearSoftmax("features", "probs", w, b));
        OnnxTensor x = OnnxTensor.createTensor(ENV, new float[][] {{1, 2}});
        OrtSession.Result r = s.run(Map.of("features", x))) {
      assertThat(s.getOutputNames()).containsExactly("probs");
      assertTensor(
          s.getOutputInfo(), "probs", ElementType.FLOAT32, new long[] {-1, 3}, "batch", "");
      float[] p = ((float[][]) r.get(0).getValue())[0];
      double z = Math.exp(9.5) + Math.exp(11) + Math.exp(15);
      assertThat(p[0]).isCloseTo((float) (Math.exp(9.5) / z), within(1e-6f));
      assertThat(p[1]).isCloseTo((float) (Math.exp(11) / z), within(1e-6f));
      assertThat(p[2]).isCloseTo((float) (Math.exp(15) / z), within(1e-6f));
    }
  }

  @Test
  void addMulHasTwoInputsAndTwoOutputs() throws OrtException {
    try (OrtSession s = open(TestModels.addMul("a", "b", "sum", "product", 2));
        OnnxTensor a = OnnxTensor.createTensor(ENV, new float[][] {{1, 2}});
        OnnxTensor b = OnnxTensor.createTensor(ENV, new float[][] {{3, -4}});
        OrtSession.Result r = s.run(Map.of("a", a, "b", b))) {
      assertThat(s.getInputNames()).containsExactly("a", "b");
      assertThat(s.getOutputNames()).containsExactly("sum", "product");
      assertTensor(s.getInputInfo(), "b", ElementType.FLOAT32, new long[] {-1, 2}, "batch", "");
      assertTensor(
          s.getOutputInfo(), "product", ElementType.FLOAT32, new long[] {-1, 2}, "batch", "");
      assertThat((float[][]) r.get("sum").orElseThrow().getValue())
          .isDeepEqualTo(new float[][] {{4, -2}});
      assertThat((float[][]) r.get("product").orElseThrow().getValue())
          .isDeepEqualTo(new float[][] {{3, -8}});
    }
  }

  @Test
  void fixedBatchOfOneDeclaresBatchOne() throws OrtException {
    try (OrtSession s = open(TestModels.fixedBatchOfOne("x", "y", 3))) {
      assertTensor(s.getInputInfo(), "x", ElementType.FLOAT32, new long[] {1, 3}, "", "");
      assertTensor(s.getOutputInfo(), "y", ElementType.FLOAT32, new long[] {1, 3}, "", "");
    }
  }

  @Test
  void sumNoBatchAxisReducesToScalar() throws OrtException {
    try (OrtSession s = open(TestModels.sumNoBatchAxis("x", "total", 3));
        OnnxTensor x = OnnxTensor.createTensor(ENV, new float[] {1.5f, 2, -0.25f});
        OrtSession.Result r = s.run(Map.of("x", x))) {
      assertTensor(s.getInputInfo(), "x", ElementType.FLOAT32, new long[] {3}, "");
      assertTensor(s.getOutputInfo(), "total", ElementType.FLOAT32, new long[] {});
      assertThat((Float) r.get(0).getValue()).isEqualTo(3.25f);
    }
  }

  @Test
  void allocationHungryLoadsButFailsInOrtOnOneRowAndOnABatch() throws OrtException {
    try (OrtSession s = open(TestModels.allocationHungry("x", "y", 2))) {
      assertTensor(s.getInputInfo(), "x", ElementType.FLOAT32, new long[] {-1, 2}, "batch", "");
      assertTensor(s.getOutputInfo(), "y", ElementType.FLOAT32, new long[] {-1}, "batch");
      for (int rows : new int[] {1, 256}) {
        try (OnnxTensor x = OnnxTensor.createTensor(ENV, new float[rows][2])) {
          // 4 * rows * 10^14 bytes: beyond any address space, so the same failure for 1 row and
          // 256.
          assertThatThrownBy(() -> s.run(Map.of("x", x)).close())
              .isInstanceOf(OrtException.class)
              .hasMessageContaining(
                  "Failed to allocate memory for requested buffer of size "
                      + 4 * rows * 100_000_000_000_000L);
        }
      }
    }
  }

  @Test
  void writeCreatesFoldersAndWritesBytes(@TempDir Path dir) throws Exception {
    byte[] model = TestModels.identity("x", "y", TestModels.FLOAT, -1, 2);
    Path file = TestModels.write(model, dir.resolve("nested/m.onnx"));
    assertThat(Files.readAllBytes(file)).isEqualTo(model);
    assertThat(Sha256.hex(Files.readAllBytes(file))).isEqualTo(Sha256.hex(model));
  }

  @Test
  void buildsAreDeterministic() {
    assertThat(TestModels.linear("x", "y", new float[][] {{1}}, new float[] {2}))
        .isEqualTo(TestModels.linear("x", "y", new float[][] {{1}}, new float[] {2}));
  }

  private static OrtSession open(byte[] model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      return ENV.createSession(model, options);
    }
  }

  private static void assertTensor(
      Map<String, NodeInfo> nodes,
      String name,
      ElementType type,
      long[] shape,
      String... dimNames) {
    assertThat(nodes).containsKey(name);
    assertThat(nodes.get(name).getInfo()).isInstanceOf(TensorInfo.class);
    TensorInfo info = (TensorInfo) nodes.get(name).getInfo();
    assertThat(ElementType.fromOnnx(info.onnxType)).as("element type of %s", name).isEqualTo(type);
    assertThat(info.getShape()).as("shape of %s", name).isEqualTo(shape);
    assertThat(List.of(info.getDimensionNames()))
        .as("dimension names of %s", name)
        .containsExactly(dimNames);
  }
}
