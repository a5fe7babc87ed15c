package io.batchinfer.tools;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * How tasks should share a model session, measured on CPU and printed as ratios from one run (never
 * asserted). N tasks each make rows (CPU work standing in for reading and encoding), score them in
 * batches and decode the outputs (argmax), in three layouts:
 *
 * <ol>
 *   <li><b>separate</b>: one session per task (N copies of the model);
 *   <li><b>shared</b>: the engine's layout, one session for all N tasks, each calling {@code run}
 *       concurrently (what {@code spark.task.resource.gpu.amount = 1/N} gives on a GPU);
 *   <li><b>queue</b>: one session fed through a bounded queue (capacity N) by the N tasks and run
 *       by one runner thread, as a model server per device would: CPU work of the tasks overlaps
 *       the runs, and the queue bounds memory.
 * </ol>
 *
 * A GPU run is not part of this (CI has none); {@code submit-scripts/gpu-check.sh} measures rows/s
 * on real hardware. Run: {@code submit-scripts/benchmark.sh sharing [tasks] [rows per task]}.
 */
public final class SessionSharingBenchmark {
  private static final int IN = 256;
  private static final int HIDDEN = 512;
  private static final int OUT = 16;
  private static final int BATCH = 128;

  private SessionSharingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    byte[] model = mlp();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    System.out.printf(
        Locale.ROOT,
        "session sharing: %d tasks x %d rows, MLP %d-%d-%d-%d, batch %d, %d cores%n",
        tasks,
        rows,
        IN,
        HIDDEN,
        HIDDEN,
        OUT,
        BATCH,
        Runtime.getRuntime().availableProcessors());
    // Warm-up, then each layout twice, alternating; the better of the two runs counts.
    separate(env, model, tasks, rows / 4);
    double sep = 0;
    double shared = 0;
    double queued = 0;
    for (int round = 0; round < 2; round++) {
      sep = Math.max(sep, separate(env, model, tasks, rows));
      shared = Math.max(shared, shared(env, model, tasks, rows));
      queued = Math.max(queued, queued(env, model, tasks, rows));
    }
    System.out.printf(Locale.ROOT, "separate sessions (%d):   %,10.0f rows/s%n", tasks, sep);
    System.out.printf(
        Locale.ROOT,
        "one shared session:      %,10.0f rows/s  (%.2fx separate)%n",
        shared,
        shared / sep);
    System.out.printf(
        Locale.ROOT,
        "one session, queue of %d: %,10.0f rows/s  (%.2fx separate)%n",
        tasks,
        queued,
        queued / sep);
  }

  private static OrtSession session(OrtEnvironment env, byte[] model, int threads)
      throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setIntraOpNumThreads(threads);
    o.setInterOpNumThreads(1);
    return env.createSession(model, o);
  }

  private static double separate(OrtEnvironment env, byte[] model, int tasks, int rows)
      throws Exception {
    List<OrtSession> sessions = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      sessions.add(session(env, model, 1));
    }
    try {
      return timed(tasks, rows, t -> direct(env, sessions.get(t), rows, t));
    } finally {
      for (OrtSession s : sessions) {
        s.close();
      }
    }
  }

  private static double shared(OrtEnvironment env, byte[] model, int tasks, int rows)
      throws Exception {
    try (OrtSession s = session(env, model, 1)) {
      return timed(tasks, rows, t -> direct(env, s, rows, t));
    }
  }

  private static double queued(OrtEnvironment env, byte[] model, int tasks, int rows)
      throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    try (OrtSession s = session(env, model, cores)) {
      BlockingQueue<Job> queue = new ArrayBlockingQueue<>(tasks);
      Thread runner =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Job job = queue.take();
                    if (job.input == null) {
                      return;
                    }
                    job.result.offer(run(env, s, job.input, job.rows));
                  }
                } catch (InterruptedException | OrtException e) {
                  throw new IllegalStateException(e);
                }
              },
              "runner");
      runner.start();
      try {
        return timed(
            tasks,
            rows,
            t -> {
              Random random = new Random(t);
              long checksum = 0;
              BlockingQueue<int[]> mine = new ArrayBlockingQueue<>(1);
              for (int done = 0; done < rows; done += BATCH) {
                int n = Math.min(BATCH, rows - done);
                queue.put(new Job(encode(random, n), n, mine));
                checksum += decode(mine.take());
              }
              return checksum;
            });
      } finally {
        queue.put(new Job(null, 0, null));
        runner.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
  }

  private record Job(float[] input, int rows, BlockingQueue<int[]> result) {}

  private interface Task {
    long run(int task) throws Exception;
  }

  private static double timed(int tasks, int rows, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks);
    long start = System.nanoTime();
    List<Future<Long>> futures = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      int id = t;
      futures.add(pool.submit(() -> task.run(id)));
    }
    for (Future<Long> f : futures) {
      f.get(10, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return (double) tasks * rows / seconds;
  }

  private static long direct(OrtEnvironment env, OrtSession session, int rows, int task)
      throws OrtException {
    Random random = new Random(task);
    long checksum = 0;
    for (int done = 0; done < rows; done += BATCH) {
      int n = Math.min(BATCH, rows - done);
      checksum += decode(run(env, session, encode(random, n), n));
    }
    return checksum;
  }

  /** The tasks' own CPU work before a run: making and encoding rows. */
  private static float[] encode(Random random, int n) {
    float[] x = new float[n * IN];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  private static int[] run(OrtEnvironment env, OrtSession session, float[] x, int n)
      throws OrtException {
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, IN});
        OrtSession.Result r = session.run(Map.of("x", t))) {
      float[][] y = (float[][]) r.get(0).getValue();
      int[] argmax = new int[n];
      for (int i = 0; i < n; i++) {
        for (int k = 1; k < OUT; k++) {
          if (y[i][k] > y[i][argmax[i]]) {
            argmax[i] = k;
          }
        }
      }
      return argmax;
    }
  }

  private static long decode(int[] argmax) {
    long sum = 0;
    for (int a : argmax) {
      sum += a;
    }
    return sum;
  }

  /**
   * A 3-layer MLP with random weights (fixed seed): Gemm-Relu-Gemm-Relu-Gemm, [?, 256] to [?, 16].
   */
  static byte[] mlp() {
    Random random = new Random(7);
    OnnxMl.GraphProto.Builder g =
        OnnxMl.GraphProto.newBuilder()
            .setName("benchmark-mlp")
            .addInput(value("x", IN))
            .addOutput(value("y", OUT));
    int[][] layers = {{IN, HIDDEN}, {HIDDEN, HIDDEN}, {HIDDEN, OUT}};
    String in = "x";
    for (int l = 0; l < layers.length; l++) {
      int n = layers[l][0];
      int k = layers[l][1];
      OnnxMl.TensorProto.Builder w =
          OnnxMl.TensorProto.newBuilder().setName("W" + l).setDataType(1).addDims(n).addDims(k);
      for (int i = 0; i < n * k; i++) {
        w.addFloatData((float) (random.nextGaussian() / Math.sqrt(n)));
      }
      OnnxMl.TensorProto.Builder b =
          OnnxMl.TensorProto.newBuilder().setName("B" + l).setDataType(1).addDims(k);
      for (int i = 0; i < k; i++) {
        b.addFloatData(0.01f);
      }
      g.addInitializer(w).addInitializer(b);
      String out = l == layers.length - 1 ? "y" : "h" + l;
      String gemm = l == layers.length - 1 ? out : "g" + l;
      g.addNode(
          OnnxMl.NodeProto.newBuilder()
              .setOpType("Gemm")
              .addInput(in)
              .addInput("W" + l)
              .addInput("B" + l)
              .addOutput(gemm));
      if (l < layers.length - 1) {
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Relu").addInput(gemm).addOutput(out));
      }
      in = out;
    }
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(g)
        .build()
        .toByteArray();
  }

  private static OnnxMl.ValueInfoProto value(String name, int width) {
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            OnnxMl.TypeProto.newBuilder()
                .setTensorType(
                    OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(1)
                        .setShape(
                            OnnxMl.TensorShapeProto.newBuilder()
                                .addDim(
                                    OnnxMl.TensorShapeProto.Dimension.newBuilder()
                                        .setDimParam("batch"))
                                .addDim(
                                    OnnxMl.TensorShapeProto.Dimension.newBuilder()
                                        .setDimValue(width)))))
        .build();
  }
}
