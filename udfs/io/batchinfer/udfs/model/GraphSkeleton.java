package io.batchinfer.udfs.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An ONNX model without its weights, for planning a {@code model.distribution: files} model on the
 * driver: every initializer stored as external data or larger than {@link #KEEP_BYTES} is dropped
 * and declared instead as a graph input of the same name, element type and shape. ONNX Runtime
 * opens the skeleton from a few KB or MB of bytes and reports the same inputs (minus those added)
 * and outputs as the whole model, after the same checks and shape inference, without the driver
 * reading the external-data files or the weights inside the graph file. Small initializers (shape
 * constants, which shape inference reads) stay in place. Driver only; stateless.
 *
 * <p>Reads and writes the protobuf wire format of {@code onnx.proto} directly, streaming, like
 * {@link ExternalData} (and for the same reason: no protobuf runtime to shade). The large
 * initializers of a graph file are skipped (a seek on HDFS and local files, a ranged read on S3A).
 * Where a skeleton cannot stand for the model (an external tensor inside a node attribute, a
 * malformed file), ONNX Runtime refuses it and the planner falls back to opening the whole model.
 */
public final class GraphSkeleton {
  /** Initializers up to this size (encoded) stay in the skeleton unless stored externally. */
  public static final int KEEP_BYTES = 64 * 1024;

  /** Largest field other than an initializer the skeleton copies (node lists, metadata). */
  private static final long MAX_COPY = 256L << 20;

  // onnx.proto field numbers.
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_DATA_LOCATION = 14;
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TENSOR_TYPE_ELEM = 1;
  private static final int TENSOR_TYPE_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;

  /**
   * A skeleton model.
   *
   * @param model the skeleton's bytes (an ONNX model ONNX Runtime can open from memory)
   * @param replaced names of the initializers turned into graph inputs (not inputs of the model)
   */
  public record Skeleton(byte[] model, Set<String> replaced) {}

  private final ExternalData.Input in;
  private final Map<String, byte[]> replaced = new LinkedHashMap<>();

  private GraphSkeleton(InputStream stream) {
    this.in = new ExternalData.Input(stream);
  }

  /**
   * Reads the graph file {@code uri} through Hadoop and returns its skeleton.
   *
   * @throws IOException when the file cannot be read or is not a well-formed ONNX model
   */
  public static Skeleton read(String uri, Configuration conf) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(conf);
    long length = fs.getFileStatus(path).getLen();
    try (InputStream stream = new java.io.BufferedInputStream(fs.open(path), 1 << 16)) {
      return of(stream, length);
    }
  }

  /**
   * @param model a model file's content, at its start (not closed here)
   * @param length its length in bytes
   * @throws IOException when the stream is not a well-formed ONNX model
   */
  public static Skeleton of(InputStream model, long length) throws IOException {
    GraphSkeleton s = new GraphSkeleton(model);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (s.in.pos() < length) {
      long tag = s.in.varint();
      if (field(tag) == MODEL_GRAPH && wire(tag) == 2) {
        long len = s.in.varint();
        byte[] graph = s.graph(s.in.pos() + len);
        writeVarint(out, tag);
        writeVarint(out, graph.length);
        out.write(graph);
      } else {
        s.copy(tag, out);
      }
    }
    return new Skeleton(out.toByteArray(), Collections.unmodifiableSet(s.replaced.keySet()));
  }

  private byte[] graph(long end) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Set<String> inputs = new HashSet<>();
    while (in.pos() < end) {
      long tag = in.varint();
      if (wire(tag) == 2 && field(tag) == GRAPH_INITIALIZER) {
        long len = in.varint();
        if (len <= KEEP_BYTES) {
          byte[] tensor = in.bytes((int) len);
          Tensor t = tensor(new ExternalData.Input(new ByteArrayInputStream(tensor)), len);
          if (!t.external) {
            writeVarint(out, tag);
            writeVarint(out, len);
            out.write(tensor);
            continue;
          }
          replaced.put(t.name, valueInfo(t));
        } else {
          Tensor t = tensor(in, in.pos() + len);
          replaced.put(t.name, valueInfo(t));
        }
      } else if (wire(tag) == 2 && field(tag) == GRAPH_INPUT) {
        long len = in.varint();
        byte[] info = in.bytes(checked(len));
        inputs.add(name(info));
        writeVarint(out, tag);
        writeVarint(out, len);
        out.write(info);
      } else {
        copy(tag, out);
      }
    }
    for (Map.Entry<String, byte[]> e : replaced.entrySet()) {
      if (!inputs.contains(e.getKey())) { // older models list initializers as inputs already
        writeVarint(out, (long) GRAPH_INPUT << 3 | 2);
        writeVarint(out, e.getValue().length);
        out.write(e.getValue());
      }
    }
    return out.toByteArray();
  }

  /** The parts of a TensorProto a graph input needs; everything else is skipped. */
  private static final class Tensor {
    String name = "";
    int dataType;
    final List<Long> dims = new ArrayList<>();
    boolean external;
  }

  private static Tensor tensor(ExternalData.Input in, long end) throws IOException {
    Tensor t = new Tensor();
    while (in.pos() < end) {
      long tag = in.varint();
      int field = field(tag);
      int wire = wire(tag);
      if (field == TENSOR_DIMS && wire == 0) {
        t.dims.add(in.varint());
      } else if (field == TENSOR_DIMS && wire == 2) {
        long stop = in.pos() + in.varint();
        while (in.pos() < stop) {
          t.dims.add(in.varint());
        }
      } else if (field == TENSOR_DATA_TYPE && wire == 0) {
        t.dataType = (int) in.varint();
      } else if (field == TENSOR_DATA_LOCATION && wire == 0) {
        t.external = in.varint() == 1;
      } else if (field == TENSOR_NAME && wire == 2) {
        t.name = new String(in.bytes(checked(in.varint())), StandardCharsets.UTF_8);
      } else {
        skip(in, wire);
      }
    }
    if (t.name.isEmpty()) {
      throw new IOException("malformed ONNX protobuf: an initializer has no name");
    }
    return t;
  }

  /** {@code ValueInfoProto{name, type{tensor_type{elem_type, shape{dim{dim_value}...}}}}}. */
  private static byte[] valueInfo(Tensor t) throws IOException {
    ByteArrayOutputStream shape = new ByteArrayOutputStream();
    for (long d : t.dims) {
      ByteArrayOutputStream dim = new ByteArrayOutputStream();
      writeVarint(dim, (long) DIM_VALUE << 3);
      writeVarint(dim, d);
      message(shape, SHAPE_DIM, dim.toByteArray());
    }
    ByteArrayOutputStream tensorType = new ByteArrayOutputStream();
    writeVarint(tensorType, (long) TENSOR_TYPE_ELEM << 3);
    writeVarint(tensorType, t.dataType);
    message(tensorType, TENSOR_TYPE_SHAPE, shape.toByteArray());
    ByteArrayOutputStream type = new ByteArrayOutputStream();
    message(type, TYPE_TENSOR, tensorType.toByteArray());
    ByteArrayOutputStream info = new ByteArrayOutputStream();
    message(info, VALUE_INFO_NAME, t.name.getBytes(StandardCharsets.UTF_8));
    message(info, VALUE_INFO_TYPE, type.toByteArray());
    return info.toByteArray();
  }

  private static String name(byte[] valueInfo) throws IOException {
    ExternalData.Input in = new ExternalData.Input(new ByteArrayInputStream(valueInfo));
    while (in.pos() < valueInfo.length) {
      long tag = in.varint();
      if (field(tag) == VALUE_INFO_NAME && wire(tag) == 2) {
        return new String(in.bytes(checked(in.varint())), StandardCharsets.UTF_8);
      }
      skip(in, wire(tag));
    }
    return "";
  }

  private void copy(long tag, ByteArrayOutputStream out) throws IOException {
    writeVarint(out, tag);
    switch (wire(tag)) {
      case 0 -> writeVarint(out, in.varint());
      case 1 -> out.write(in.bytes(8));
      case 5 -> out.write(in.bytes(4));
      case 2 -> {
        long len = in.varint();
        writeVarint(out, len);
        out.write(in.bytes(checked(len)));
      }
      default ->
          throw new IOException(
              "malformed ONNX protobuf: wire type " + wire(tag) + " at byte " + in.pos());
    }
  }

  private static void skip(ExternalData.Input in, int wire) throws IOException {
    switch (wire) {
      case 0 -> in.varint();
      case 1 -> in.skip(8);
      case 5 -> in.skip(4);
      case 2 -> in.skip(in.varint());
      default ->
          throw new IOException(
              "malformed ONNX protobuf: wire type " + wire + " at byte " + in.pos());
    }
  }

  private static int checked(long len) throws IOException {
    if (len < 0 || len > MAX_COPY) {
      throw new IOException(
          "a field of " + len + " bytes outside the initializers is too large for a skeleton");
    }
    return (int) len;
  }

  private static void message(ByteArrayOutputStream out, int field, byte[] body)
      throws IOException {
    writeVarint(out, (long) field << 3 | 2);
    writeVarint(out, body.length);
    out.write(body);
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static int field(long tag) {
    return (int) (tag >>> 3);
  }

  private static int wire(long tag) {
    return (int) (tag & 7);
  }
}
