package io.batchinfer.testing;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes ONNX models whose initializers live in external-data files, the way large models are
 * saved: the graph file holds each tensor's name, type, shape and an {@code external_data} entry
 * ({@code location}, {@code offset}, {@code length}) with {@code data_location = EXTERNAL}; the raw
 * little-endian values sit in a separate file next to it. Built from the ONNX protobuf schema
 * ({@code ai.onnx.proto.OnnxMl}) like {@link TestModels}. Stateless.
 */
public final class ExternalDataModels {
  private ExternalDataModels() {}

  /**
   * {@code out = Gemm(in, W, b)} (input {@code [batch, n]} float32, output {@code [batch, k]}),
   * with {@code W} stored in {@code weightsFile} and {@code b} in {@code biasFile} (two
   * external-data files, to check that every file travels and is pinned).
   *
   * @return the graph file {@code dir/graphName}
   */
  public static Path linear(
      Path dir,
      String graphName,
      String in,
      String out,
      float[][] weights,
      float[] bias,
      String weightsFile,
      String biasFile) {
    int n = weights.length;
    int k = bias.length;
    float[] w = new float[n * k];
    for (int i = 0; i < n; i++) {
      System.arraycopy(weights[i], 0, w, i * k, k);
    }
    try {
      Files.createDirectories(dir);
      writeFloats(dir.resolve(weightsFile), w);
      writeFloats(dir.resolve(biasFile), bias);
      OnnxMl.GraphProto.Builder graph =
          OnnxMl.GraphProto.newBuilder()
              .setName("batchinfer-test-external-linear")
              .addInput(valueInfo(in, -1, n))
              .addOutput(valueInfo(out, -1, k))
              .addInitializer(external("W", new long[] {n, k}, weightsFile, 0, 4L * w.length))
              .addInitializer(external("B", new long[] {k}, biasFile, 0, 4L * k))
              .addNode(
                  OnnxMl.NodeProto.newBuilder()
                      .setName("gemm-0")
                      .setOpType("Gemm")
                      .addAllInput(List.of(in, "W", "B"))
                      .addOutput(out));
      return Files.write(dir.resolve(graphName), model(graph));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A lookup over a huge table: {@code out = Gather(table, idx)}, {@code idx} {@code [batch]}
   * int64, {@code out} {@code [batch]} float32, {@code table[i] = tableValue(i)} for {@code i <
   * size}, the table stored in {@code dataFile}. With {@code size} above 536,870,912 the table
   * alone is over 2 GB: no byte array (so no broadcast) can hold the model.
   *
   * @return the graph file {@code dir/graphName}
   */
  public static Path hugeLookup(
      Path dir, String graphName, String in, String out, long size, String dataFile) {
    try {
      Files.createDirectories(dir);
      try (FileChannel ch =
          FileChannel.open(
              dir.resolve(dataFile),
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < size; i++) {
          buf.putFloat(tableValue(i));
          if (!buf.hasRemaining()) {
            buf.flip();
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
            buf.clear();
          }
        }
        buf.flip();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      OnnxMl.GraphProto.Builder graph =
          OnnxMl.GraphProto.newBuilder()
              .setName("batchinfer-test-huge-lookup")
              .addInput(
                  OnnxMl.ValueInfoProto.newBuilder()
                      .setName(in)
                      .setType(tensorType(TestModels.INT64, -1)))
              .addOutput(
                  OnnxMl.ValueInfoProto.newBuilder()
                      .setName(out)
                      .setType(tensorType(TestModels.FLOAT, -1)))
              .addInitializer(external("table", new long[] {size}, dataFile, 0, 4L * size))
              .addNode(
                  OnnxMl.NodeProto.newBuilder()
                      .setName("gather-0")
                      .setOpType("Gather")
                      .addAllInput(List.of("table", in))
                      .addOutput(out));
      return Files.write(dir.resolve(graphName), model(graph));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * @return {@code table[i]} of {@link #hugeLookup}: {@code (i mod 1000) / 4}, exact in float32
   */
  public static float tableValue(long i) {
    return (i % 1000) / 4f;
  }

  private static void writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    Files.write(file, buf.array());
  }

  private static OnnxMl.TensorProto external(
      String name, long[] dims, String location, long offset, long length) {
    OnnxMl.TensorProto.Builder t =
        OnnxMl.TensorProto.newBuilder()
            .setName(name)
            .setDataType(TestModels.FLOAT)
            .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location))
            .addExternalData(entry("offset", Long.toString(offset)))
            .addExternalData(entry("length", Long.toString(length)));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static OnnxMl.StringStringEntryProto entry(String key, String value) {
    return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, long... dims) {
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(tensorType(TestModels.FLOAT, dims))
        .build();
  }

  private static OnnxMl.TypeProto tensorType(int elemType, long... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (int i = 0; i < dims.length; i++) {
      shape.addDim(
          dims[i] >= 0
              ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(dims[i])
              : OnnxMl.TensorShapeProto.Dimension.newBuilder()
                  .setDimParam(i == 0 ? "batch" : "d" + i));
    }
    return OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))
        .build();
  }

  private static byte[] model(OnnxMl.GraphProto.Builder graph) {
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(TestModels.IR_VERSION)
        .addOpsetImport(
            OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(TestModels.OPSET))
        .setProducerName("batchinfer-tests")
        .setGraph(graph)
        .build()
        .toByteArray();
  }
}
