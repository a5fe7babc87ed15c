package io.batchinfer.udfs.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/**
 * Lists the external-data files an ONNX model references: the {@code location} of every tensor
 * whose {@code data_location} is {@code EXTERNAL}, among the graph's initializers, sparse
 * initializers and node attributes, in subgraphs too. Driver only; stateless.
 *
 * <p>Reads the protobuf wire format of {@code onnx.proto} directly, streaming: only the few fields
 * on the way to an external-data entry are decoded and everything else (raw tensor data above all)
 * is skipped, so memory stays small whatever the model's size. A full protobuf runtime
 * (protobuf-java plus generated ONNX classes) would have to be shaded into the cluster jar next to
 * the protobuf versions Spark and Hadoop ship; for five field numbers this is smaller and safer.
 */
public final class ExternalData {
  // onnx.proto field numbers.
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_SPARSE_INITIALIZER = 15;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int ATTR_T = 5;
  private static final int ATTR_G = 6;
  private static final int ATTR_TENSORS = 10;
  private static final int ATTR_GRAPHS = 11;
  private static final int ATTR_SPARSE_TENSOR = 22;
  private static final int ATTR_SPARSE_TENSORS = 23;
  private static final int SPARSE_VALUES = 1;
  private static final int SPARSE_INDICES = 2;
  private static final int TENSOR_EXTERNAL_DATA = 13;
  private static final int TENSOR_DATA_LOCATION = 14;
  private static final int DATA_LOCATION_EXTERNAL = 1;

  private final Input in;
  private final Set<String> locations = new TreeSet<>();

  private ExternalData(InputStream stream) {
    this.in = new Input(stream);
  }

  /**
   * @param model the model file's content, positioned at its start (not closed here)
   * @param length the file's length in bytes
   * @return the referenced files, relative to the model's folder, sorted
   * @throws IOException when the stream is not a well-formed ONNX model or a location escapes the
   *     model's folder (absolute, or with {@code ..})
   */
  public static Set<String> locations(InputStream model, long length) throws IOException {
    ExternalData scan = new ExternalData(model);
    scan.message(length, Kind.MODEL);
    return scan.locations;
  }

  private enum Kind {
    MODEL,
    GRAPH,
    NODE,
    ATTRIBUTE,
    SPARSE,
    TENSOR
  }

  private void message(long end, Kind kind) throws IOException {
    boolean external = false;
    String location = null;
    while (in.pos < end) {
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (wire == 2) {
        long len = in.varint();
        long stop = in.pos + len;
        if (len < 0 || stop > end) {
          throw new IOException(
              "malformed ONNX protobuf: a field of length " + len + " runs past its message");
        }
        Kind child = child(kind, field);
        if (child != null) {
          message(stop, child);
        } else if (kind == Kind.TENSOR && field == TENSOR_EXTERNAL_DATA) {
          String[] entry = entry(stop);
          if ("location".equals(entry[0])) {
            location = entry[1];
          }
        } else {
          in.skip(len);
        }
      } else if (wire == 0) {
        long value = in.varint();
        if (kind == Kind.TENSOR && field == TENSOR_DATA_LOCATION) {
          external = value == DATA_LOCATION_EXTERNAL;
        }
      } else if (wire == 1) {
        in.skip(8);
      } else if (wire == 5) {
        in.skip(4);
      } else {
        throw new IOException("malformed ONNX protobuf: wire type " + wire + " at byte " + in.pos);
      }
    }
    if (kind == Kind.TENSOR && external) {
      if (location == null || location.isBlank()) {
        throw new IOException("a tensor is stored as external data but names no location");
      }
      String normalized = location.replace('\\', '/');
      if (normalized.startsWith("/")
          || normalized.matches("^[A-Za-z]:.*")
          || normalized.equals("..")
          || normalized.startsWith("../")
          || normalized.contains("/../")
          || normalized.endsWith("/..")) {
        throw new UnsafeLocationException(
            "external data location '" + location + "' is outside the model's folder");
      }
      locations.add(normalized);
    }
  }

  private static Kind child(Kind parent, int field) {
    return switch (parent) {
      case MODEL -> field == MODEL_GRAPH ? Kind.GRAPH : null;
      case GRAPH ->
          field == GRAPH_NODE
              ? Kind.NODE
              : field == GRAPH_INITIALIZER
                  ? Kind.TENSOR
                  : field == GRAPH_SPARSE_INITIALIZER ? Kind.SPARSE : null;
      case NODE -> field == NODE_ATTRIBUTE ? Kind.ATTRIBUTE : null;
      case ATTRIBUTE ->
          field == ATTR_T || field == ATTR_TENSORS
              ? Kind.TENSOR
              : field == ATTR_G || field == ATTR_GRAPHS
                  ? Kind.GRAPH
                  : field == ATTR_SPARSE_TENSOR || field == ATTR_SPARSE_TENSORS
                      ? Kind.SPARSE
                      : null;
      case SPARSE -> field == SPARSE_VALUES || field == SPARSE_INDICES ? Kind.TENSOR : null;
      case TENSOR -> null;
    };
  }

  /** Reads a {@code StringStringEntryProto} (key = 1, value = 2). */
  private String[] entry(long end) throws IOException {
    String[] kv = new String[2];
    while (in.pos < end) {
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      if ((tag & 7) != 2) {
        throw new IOException(
            "malformed ONNX protobuf: external_data entry field " + field + " is not a string");
      }
      long len = in.varint();
      if (len > 1 << 16) {
        throw new IOException("malformed ONNX protobuf: external_data entry of " + len + " bytes");
      }
      String s = new String(in.bytes((int) len), StandardCharsets.UTF_8);
      if (field == 1 || field == 2) {
        kv[field - 1] = s;
      }
    }
    return kv;
  }

  /**
   * A well-formed model that names an external-data file outside its folder (refused: it could read
   * any file).
   */
  public static final class UnsafeLocationException extends IOException {
    private static final long serialVersionUID = 1L;

    UnsafeLocationException(String message) {
      super(message);
    }
  }

  /** A stream with its position (shared with {@link GraphSkeleton}). */
  static final class Input {
    private final InputStream stream;
    private long pos;

    Input(InputStream stream) {
      this.stream = stream;
    }

    long pos() {
      return pos;
    }

    long varint() throws IOException {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = stream.read();
        if (b < 0) {
          throw new EOFException("truncated ONNX protobuf at byte " + pos);
        }
        pos++;
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IOException("malformed ONNX protobuf: varint too long at byte " + pos);
    }

    void skip(long n) throws IOException {
      long left = n;
      while (left > 0) {
        long s = stream.skip(left);
        if (s <= 0) {
          if (stream.read() < 0) {
            throw new EOFException("truncated ONNX protobuf at byte " + pos);
          }
          s = 1;
        }
        left -= s;
        pos += s;
      }
    }

    byte[] bytes(int n) throws IOException {
      byte[] b = stream.readNBytes(n);
      if (b.length < n) {
        throw new EOFException("truncated ONNX protobuf at byte " + pos);
      }
      pos += n;
      return b;
    }
  }
}
