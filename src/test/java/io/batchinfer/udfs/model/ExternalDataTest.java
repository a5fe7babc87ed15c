package io.batchinfer.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.testing.TestModels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming scan for external-data references, against models written with the ONNX protobuf
 * schema (the generated classes are the independent writer; the scan reads raw wire format).
 */
class ExternalDataTest {
  @TempDir Path dir;

  @Test
  void listsEveryExternalDataFileOfTheInitializers() throws IOException {
    Path graph =
        ExternalDataModels.linear(
            dir,
            "m.onnx",
            "x",
            "y",
            new float[][] {{1, 2}, {3, 4}},
            new float[] {5, 6},
            "weights.bin",
            "bias.bin");
    byte[] bytes = Files.readAllBytes(graph);
    assertThat(ExternalData.locations(new ByteArrayInputStream(bytes), bytes.length))
        .containsExactly("bias.bin", "weights.bin");
  }

  @Test
  void findsNothingInAModelWithInlineWeights() throws IOException {
    byte[] bytes = TestModels.linear("x", "y", new float[][] {{1, 2}, {3, 4}}, new float[] {5, 6});
    assertThat(ExternalData.locations(new ByteArrayInputStream(bytes), bytes.length)).isEmpty();
  }

  @Test
  void findsExternalTensorsInNodeAttributesAndSubgraphs() throws IOException {
    OnnxMl.TensorProto t =
        OnnxMl.TensorProto.newBuilder()
            .setName("c")
            .setDataType(TestModels.FLOAT)
            .addDims(2)
            .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                OnnxMl.StringStringEntryProto.newBuilder()
                    .setKey("location")
                    .setValue("sub/const.bin"))
            .build();
    OnnxMl.GraphProto inner =
        OnnxMl.GraphProto.newBuilder()
            .setName("inner")
            .addNode(
                OnnxMl.NodeProto.newBuilder()
                    .setOpType("Constant")
                    .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("value").setT(t)))
            .build();
    OnnxMl.GraphProto outer =
        OnnxMl.GraphProto.newBuilder()
            .setName("outer")
            .addNode(
                OnnxMl.NodeProto.newBuilder()
                    .setOpType("If")
                    .addAttribute(
                        OnnxMl.AttributeProto.newBuilder().setName("then_branch").setG(inner)))
            .build();
    byte[] bytes =
        OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(outer).build().toByteArray();
    assertThat(ExternalData.locations(new ByteArrayInputStream(bytes), bytes.length))
        .containsExactly("sub/const.bin");
  }

  @Test
  void rejectsLocationsOutsideTheModelsFolder() {
    for (String location : new String[] {"../secret.bin", "/etc/passwd", "a/../../b"}) {
      OnnxMl.TensorProto t =
          OnnxMl.TensorProto.newBuilder()
              .setName("w")
              .setDataType(TestModels.FLOAT)
              .addDims(1)
              .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
              .addExternalData(
                  OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(location))
              .build();
      byte[] bytes =
          OnnxMl.ModelProto.newBuilder()
              .setGraph(OnnxMl.GraphProto.newBuilder().addInitializer(t))
              .build()
              .toByteArray();
      assertThatThrownBy(
              () -> ExternalData.locations(new ByteArrayInputStream(bytes), bytes.length))
          .as(location)
          .isInstanceOf(ExternalData.UnsafeLocationException.class)
          .hasMessageContaining("'" + location + "' is outside the model's folder");
    }
  }

  @Test
  void rejectsATruncatedModel() {
    byte[] whole = TestModels.linear("x", "y", new float[][] {{1, 2}, {3, 4}}, new float[] {5, 6});
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 7);
    assertThatThrownBy(() -> ExternalData.locations(new ByteArrayInputStream(cut), cut.length))
        .isInstanceOf(IOException.class);
  }
}
