package io.batchinfer.testing;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.batchinfer.udfs.model.ElementType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds small ONNX models in memory from the ONNX protobuf schema ({@code ai.onnx.proto.OnnxMl},
 * shipped in tribuo-util-onnx), so tests need no committed model files. Every model is IR version
 * {@value #IR_VERSION}, default-domain opset {@value #OPSET}, which ONNX Runtime 1.29 loads.
 *
 * <p>Shapes are given as {@code long} dimensions: a fixed size is its value; {@code -1} is a
 * symbolic (free) dimension named {@code batch} at position 0 and {@code d<i>} elsewhere; {@link
 * #UNNAMED_DIM} is a free dimension with no name (ONNX Runtime reports it as free with an empty
 * name, so messages print it as {@code ?}). Element types are ONNX {@code TensorProto.DataType}
 * numbers ({@link #FLOAT}, {@link #INT64}, ..., or {@link #onnxType(ElementType)}).
 *
 * <p>Stateless; every method returns fresh bytes.
 */
public final class TestModels {
  /** ONNX IR version of every model built here. */
  public static final int IR_VERSION = 8;

  /** Opset of the default ({@code ai.onnx}) domain. */
  public static final int OPSET = 17;

  /** A free dimension without a symbolic name. */
  public static final long UNNAMED_DIM = -2;

  public static final int FLOAT = DataType.FLOAT_VALUE;
  public static final int DOUBLE = DataType.DOUBLE_VALUE;
  public static final int FLOAT16 = DataType.FLOAT16_VALUE;
  public static final int BFLOAT16 = DataType.BFLOAT16_VALUE;
  public static final int INT8 = DataType.INT8_VALUE;
  public static final int UINT8 = DataType.UINT8_VALUE;
  public static final int INT16 = DataType.INT16_VALUE;
  public static final int INT32 = DataType.INT32_VALUE;
  public static final int INT64 = DataType.INT64_VALUE;
  public static final int BOOL = DataType.BOOL_VALUE;
  public static final int STRING = DataType.STRING_VALUE;

  private TestModels() {}

  /**
   * @return the ONNX {@code TensorProto.DataType} number of an engine element type
   */
  public static int onnxType(ElementType type) {
    switch (type) {
      case FLOAT32:
        return FLOAT;
      case FLOAT64:
        return DOUBLE;
      case FLOAT16:
        return FLOAT16;
      case BFLOAT16:
        return BFLOAT16;
      case INT8:
        return INT8;
      case UINT8:
        return UINT8;
      case INT16:
        return INT16;
      case INT32:
        return INT32;
      case INT64:
        return INT64;
      case BOOL:
        return BOOL;
      case STRING:
        return STRING;
      default:
        throw new IllegalArgumentException("no ONNX type for " + type);
    }
  }

  /**
   * {@code out = Identity(in)}, both of element type {@code onnxElemType} and shape {@code dims}.
   */
  public static byte[] identity(String in, String out, int onnxElemType, long... dims) {
    return new Graph("identity")
        .input(in, onnxElemType, dims)
        .output(out, onnxElemType, dims)
        .node("Identity", List.of(in), List.of(out), null)
        .bytes();
  }

  /** {@code out = Cast(in, to=outType)}, both of shape {@code dims}. */
  public static byte[] cast(String in, int inType, String out, int outType, long... dims) {
    OnnxMl.AttributeProto to =
        OnnxMl.AttributeProto.newBuilder()
            .setName("to")
            .setType(OnnxMl.AttributeProto.AttributeType.INT)
            .setI(outType)
            .build();
    return new Graph("cast")
        .input(in, inType, dims)
        .output(out, outType, dims)
        .node("Cast", List.of(in), List.of(out), to)
        .bytes();
  }

  /**
   * A linear layer: {@code out = Gemm(in, W, b) = in · W + b}, input {@code [batch, n]} float32,
   * output {@code [batch, k]} float32 (logits).
   *
   * @param weights {@code [n][k]}: row {@code i} holds the weights of input feature {@code i}
   * @param bias {@code [k]}
   */
  public static byte[] linear(String in, String out, float[][] weights, float[] bias) {
    return linearGraph(in, out, out, weights, bias).bytes();
  }

  /**
   * {@link #linear} followed by {@code Softmax} over the last axis: {@code out} holds
   * probabilities.
   */
  public static byte[] linearSoftmax(String in, String out, float[][] weights, float[] bias) {
    String logits = out + "_logits";
    return linearGraph(in, logits, out, weights, bias)
        .node("Softmax", List.of(logits), List.of(out), null)
        .bytes();
  }

  private static Graph linearGraph(
      String in, String gemmOut, String out, float[][] weights, float[] bias) {
    int n = weights.length;
    int k = bias.length;
    float[] w = new float[n * k];
    for (int i = 0; i < n; i++) {
      if (weights[i].length != k) {
        throw new IllegalArgumentException(
            "weights[" + i + "] has " + weights[i].length + " entries; expected " + k);
      }
      System.arraycopy(weights[i], 0, w, i * k, k);
    }
    return new Graph("linear")
        .input(in, FLOAT, -1, n)
        .output(out, FLOAT, -1, k)
        .floatInitializer("W", new long[] {n, k}, w)
        .floatInitializer("B", new long[] {k}, bias)
        .node("Gemm", List.of(in, "W", "B"), List.of(gemmOut), null);
  }

  /**
   * A dense ReLU network ending in a softmax: {@code sizes[0]} inputs, hidden layers {@code
   * sizes[1..n-2]}, {@code sizes[n-1]} class probabilities; weights drawn from {@code seed}
   * (Gaussian scaled by 1/sqrt(fan-in)), biases 0.01. Input {@code in} and output {@code out} are
   * {@code [batch, size]} float32. Used by the benchmark's compute-heavy workload.
   */
  public static byte[] mlp(String in, String out, int[] sizes, long seed) {
    java.util.Random random = new java.util.Random(seed);
    Graph g =
        new Graph("mlp")
            .input(in, FLOAT, -1, sizes[0])
            .output(out, FLOAT, -1, sizes[sizes.length - 1]);
    String x = in;
    for (int l = 1; l < sizes.length; l++) {
      int n = sizes[l - 1];
      int k = sizes[l];
      float[] w = new float[n * k];
      double scale = 1 / Math.sqrt(n);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() * scale);
      }
      float[] b = new float[k];
      java.util.Arrays.fill(b, 0.01f);
      String y = "h" + l;
      g.floatInitializer("W" + l, new long[] {n, k}, w)
          .floatInitializer("B" + l, new long[] {k}, b)
          .node("Gemm", List.of(x, "W" + l, "B" + l), List.of(y), null);
      if (l < sizes.length - 1) {
        g.node("Relu", List.of(y), List.of(y + "_relu"), null);
        x = y + "_relu";
      } else {
        g.node("Softmax", List.of(y), List.of(out), null);
      }
    }
    return g.bytes();
  }

  /**
   * Two inputs, two outputs: {@code sum = a + b} and {@code product = a * b}, all {@code [batch,
   * n]} float32.
   */
  public static byte[] addMul(String a, String b, String sum, String product, int n) {
    return new Graph("add-mul")
        .input(a, FLOAT, -1, n)
        .input(b, FLOAT, -1, n)
        .output(sum, FLOAT, -1, n)
        .output(product, FLOAT, -1, n)
        .node("Add", List.of(a, b), List.of(sum), null)
        .node("Mul", List.of(a, b), List.of(product), null)
        .bytes();
  }

  /** Identity over a fixed batch of one row: {@code [1, n]} float32 to {@code [1, n]} float32. */
  public static byte[] fixedBatchOfOne(String in, String out, int n) {
    return identity(in, out, FLOAT, 1, n);
  }

  /**
   * No batch axis at all: {@code out = ReduceSum(in)} over an input of shape {@code [n]} float32,
   * giving a scalar ({@code []} float32).
   */
  public static byte[] sumNoBatchAxis(String in, String out, int n) {
    OnnxMl.AttributeProto keepdims =
        OnnxMl.AttributeProto.newBuilder()
            .setName("keepdims")
            .setType(OnnxMl.AttributeProto.AttributeType.INT)
            .setI(0)
            .build();
    return new Graph("reduce-sum")
        .input(in, FLOAT, n)
        .output(out, FLOAT)
        .node("ReduceSum", List.of(in), List.of(out), keepdims)
        .bytes();
  }

  /**
   * A lookup that fails at run time for bad rows: {@code out = Gather(table, idx)} with {@code idx}
   * {@code [batch]} int64 and {@code table[i] = 10 * i} for {@code i < size} (float32). ONNX
   * Runtime rejects the whole batch when any index is outside {@code [-size, size - 1]}.
   */
  public static byte[] lookup(String in, String out, int size) {
    float[] table = new float[size];
    for (int i = 0; i < size; i++) {
      table[i] = 10f * i;
    }
    return new Graph("lookup")
        .input(in, INT64, -1)
        .output(out, FLOAT, -1)
        .floatInitializer("table", new long[] {size}, table)
        .node("Gather", List.of("table", in), List.of(out), null)
        .bytes();
  }

  /**
   * Rows of the tensor {@link #allocationHungry} asks for, per input row (times as many columns).
   */
  public static final long HUNGRY_DIM = 10_000_000L;

  /**
   * A model that fails inside ONNX Runtime on every input, as a graph asking for more memory than
   * any machine has: {@code out = ReduceSum(ConstantOfShape([batch, D, D]), axes [1, 2])} with
   * {@code D =} {@value #HUNGRY_DIM}, input {@code [batch, n]} float32, output {@code [batch]}
   * float32. One row needs 4 * 10^14 bytes (400 TB), more than a 47-bit address space, so the
   * allocation fails whatever the kernel's overcommit setting; 256 rows still fit in a signed
   * 64-bit size, so a batch fails the same way as one row. The shape depends on the input's batch
   * dimension, so nothing can be folded when the session is created: it loads fine.
   */
  public static byte[] allocationHungry(String in, String out, int n) {
    return new Graph("allocation-hungry")
        .input(in, FLOAT, -1, n)
        .output(out, FLOAT, -1)
        .longInitializer("dims", new long[] {2}, HUNGRY_DIM, HUNGRY_DIM)
        .longInitializer("axes", new long[] {2}, 1, 2)
        .node("Shape", List.of(in), List.of("batch_dim"), intAttr("start", 0), intAttr("end", 1))
        .node("Concat", List.of("batch_dim", "dims"), List.of("huge_shape"), intAttr("axis", 0))
        .node("ConstantOfShape", List.of("huge_shape"), List.of("huge"))
        .node("ReduceSum", List.of("huge", "axes"), List.of(out), intAttr("keepdims", 0))
        .bytes();
  }

  private static OnnxMl.AttributeProto intAttr(String name, long value) {
    return OnnxMl.AttributeProto.newBuilder()
        .setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  /** Writes {@code model} to {@code file} (creating parent folders) and returns {@code file}. */
  public static Path write(byte[] model, Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return Files.write(file, model);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A graph under construction; each call adds one element. */
  private static final class Graph {
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private int nodes;

    Graph(String name) {
      graph.setName("batchinfer-test-" + name);
    }

    Graph input(String name, int elemType, long... dims) {
      graph.addInput(valueInfo(name, elemType, dims));
      return this;
    }

    Graph output(String name, int elemType, long... dims) {
      graph.addOutput(valueInfo(name, elemType, dims));
      return this;
    }

    Graph floatInitializer(String name, long[] dims, float[] values) {
      OnnxMl.TensorProto.Builder t =
          OnnxMl.TensorProto.newBuilder().setName(name).setDataType(FLOAT);
      for (long d : dims) {
        t.addDims(d);
      }
      for (float v : values) {
        t.addFloatData(v);
      }
      graph.addInitializer(t);
      return this;
    }

    Graph longInitializer(String name, long[] dims, long... values) {
      OnnxMl.TensorProto.Builder t =
          OnnxMl.TensorProto.newBuilder().setName(name).setDataType(INT64);
      for (long d : dims) {
        t.addDims(d);
      }
      for (long v : values) {
        t.addInt64Data(v);
      }
      graph.addInitializer(t);
      return this;
    }

    Graph node(
        String op, List<String> inputs, List<String> outputs, OnnxMl.AttributeProto... attributes) {
      OnnxMl.NodeProto.Builder n =
          OnnxMl.NodeProto.newBuilder()
              .setName(op.toLowerCase(java.util.Locale.ROOT) + "-" + nodes++)
              .setOpType(op)
              .addAllInput(inputs)
              .addAllOutput(outputs);
      for (OnnxMl.AttributeProto a :
          attributes == null ? new OnnxMl.AttributeProto[0] : attributes) {
        if (a != null) {
          n.addAttribute(a);
        }
      }
      graph.addNode(n);
      return this;
    }

    byte[] bytes() {
      return OnnxMl.ModelProto.newBuilder()
          .setIrVersion(IR_VERSION)
          .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
          .setProducerName("batchinfer-tests")
          .setDomain("io.batchinfer.testing")
          .setModelVersion(1)
          .setGraph(graph)
          .build()
          .toByteArray();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int elemType, long... dims) {
      OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
      for (int i = 0; i < dims.length; i++) {
        OnnxMl.TensorShapeProto.Dimension.Builder d =
            OnnxMl.TensorShapeProto.Dimension.newBuilder();
        if (dims[i] >= 0) {
          d.setDimValue(dims[i]);
        } else if (dims[i] == -1) {
          d.setDimParam(i == 0 ? "batch" : "d" + i);
        } else if (dims[i] != UNNAMED_DIM) {
          throw new IllegalArgumentException(
              "dimension "
                  + i
                  + " is "
                  + dims[i]
                  + "; use a size >= 0, -1 (symbolic) or UNNAMED_DIM");
        }
        shape.addDim(d);
      }
      return OnnxMl.ValueInfoProto.newBuilder()
          .setName(name)
          .setType(
              OnnxMl.TypeProto.newBuilder()
                  .setTensorType(
                      OnnxMl.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
          .build();
    }
  }
}
