package io.batchinfer.tools.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The compute limit: ONNX Runtime alone, on rows already in memory as tensors, with the engine's
 * batch size and thread layout (one session with one intra-op thread, shared by as many Java
 * threads as Spark has task slots; spinning off, as the engine's default). No Spark, no Parquet, no
 * batchinfer code. Owns its session and tensors; close it. Benchmark code only.
 */
public final class RawOrt implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final List<Map<String, OnnxTensor>> batches = new ArrayList<>();
  private final int threads;
  private long rows;

  public RawOrt(Path model, int threads) throws OrtException {
    this.threads = threads;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setInterOpNumThreads(1);
      o.addConfigEntry("session.intra_op.allow_spinning", "0");
      session = env.createSession(model.toString(), o);
    }
  }

  /** Adds one float32 batch {@code [rows, width]} for input {@code name}. */
  public void addFloatBatch(String name, float[] values, int batchRows, int width)
      throws OrtException {
    FloatBuffer b =
        ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(values).flip();
    batches.add(Map.of(name, OnnxTensor.createTensor(env, b, new long[] {batchRows, width})));
    rows += batchRows;
  }

  /** Adds one token batch: the three int64 {@code [rows, seqLen]} inputs of a BERT-style model. */
  public void addTokenBatch(long[] ids, long[] mask, long[] types, int batchRows, int seqLen)
      throws OrtException {
    long[] shape = {batchRows, seqLen};
    batches.add(
        Map.of(
            "input_ids",
            OnnxTensor.createTensor(env, longs(ids), shape),
            "attention_mask",
            OnnxTensor.createTensor(env, longs(mask), shape),
            "token_type_ids",
            OnnxTensor.createTensor(env, longs(types), shape)));
    rows += batchRows;
  }

  private static LongBuffer longs(long[] v) {
    LongBuffer b =
        ByteBuffer.allocateDirect(v.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
    b.put(v).flip();
    return b;
  }

  /**
   * Runs every batch once, spread over the threads; reads each output into a Java buffer. @return
   * rows run
   */
  public long runAll() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = first; i < batches.size(); i += threads) {
                    try (OrtSession.Result r = session.run(batches.get(i))) {
                      OnnxTensor out = (OnnxTensor) r.get(0);
                      FloatBuffer f =
                          out.getFloatBuffer(); // copies out, as the engine's decoder must
                      if (f.capacity() == 0) {
                        throw new IllegalStateException("empty output");
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return rows;
  }

  @Override
  public void close() throws OrtException {
    for (Map<String, OnnxTensor> b : batches) {
      b.values().forEach(OnnxTensor::close);
    }
    session.close();
  }
}
