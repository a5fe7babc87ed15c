package io.batchinfer.udfs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.codec.InputEncoder;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.OutputDecoder;
import io.batchinfer.udfs.codec.RowProblem;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.codec.TextEncoder;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.session.SessionCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor side: the lazy iterator over one partition's scored rows.
 *
 * <p>Pulls a window of input rows (one batch, or {@code lengthWindow} batches when length-aware
 * batching is on), copying them since Spark reuses row objects. The window is cut into batches of
 * at most {@code batch_size} rows (sorted by token count when length-aware, to cut padding); each
 * batch is encoded, run on the shared session and decoded into its rows' slots; then the window's
 * rows are handed out in input order before more input is pulled. Memory is O(window), never
 * O(partition). Tensors and results are closed per batch; the session belongs to {@link
 * SessionCache}. Not thread-safe (one per task).
 *
 * <p>Bad rows follow the spec's {@link ErrorPolicy}: checks that need no model (nulls, NaN,
 * lengths, ranges) reject a row before its batch is built; a batch that fails inside ONNX Runtime
 * is retried row by row so that one bad row never costs its batch. Every input row ends as an
 * output row or a rejection, and the metrics count both.
 */
final class PartitionScorer implements Iterator<InternalRow> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionScorer.class);

  private final Iterator<InternalRow> input;
  private final InferenceSpec spec;
  private final InferenceMetrics metrics;
  private final OrtSession session;
  private final List<InputEncoder> encoders = new ArrayList<>();
  private final TextEncoder lengthKey;
  private final TextEncoder poolingText;
  private final OutputDecoder[] decoders;
  private final int[] decoderOffsets;
  private final Set<String> requestedOutputs = new HashSet<>();
  private final int partition;
  private final int batchSize;
  private final InternalRow[] window;
  private final Object[][] values;
  private final int[] tokenCounts;
  private final boolean[] rejected;
  private final ErrorPolicy policy;
  /** Fields per emitted row (computed once: the dead-letter layout is built on each call). */
  private final int width;

  private int windowRows;
  private int emitted;
  private long consumed;

  PartitionScorer(Iterator<InternalRow> input, Broadcast<ModelArtifact> model, InferenceSpec spec, InferenceMetrics metrics) {
    this.input = input;
    this.spec = spec;
    this.metrics = metrics;
    TaskContext task = TaskContext.get();
    this.partition = task == null ? -1 : task.partitionId();
    SessionCache.Lease lease = SessionCache.acquire(spec.sha256(), spec.session(), model::value);
    if (lease.created()) {
      metrics.sessionsCreated.add(1);
    }
    this.session = lease.session();
    this.batchSize = spec.batched() ? spec.batchSize() : 1;
    spec.inputs().forEach(b -> encoders.add(b.newEncoder(batchSize)));
    TextEncoder firstText = null;
    for (TextBinding t : spec.texts()) {
      TextEncoder e = (TextEncoder) t.newEncoder(batchSize);
      encoders.add(e);
      firstText = firstText == null ? e : firstText;
    }
    this.poolingText = firstText;
    int windowSize = batchSize;
    if (firstText != null && spec.lengthWindow() > 1 && batchSize > 1) {
      windowSize = Math.multiplyExact(batchSize, spec.lengthWindow());
      this.lengthKey = firstText;
    } else {
      this.lengthKey = null;
    }
    List<OutputBinding> outputs = spec.outputs();
    this.decoders = new OutputDecoder[outputs.size()];
    this.decoderOffsets = new int[outputs.size()];
    this.policy = spec.errorPolicy();
    this.width = spec.emittedSchema().size();
    // Output columns follow the passthrough columns (or, under dead-letter, every input column).
    int offset = policy == ErrorPolicy.DEAD_LETTER ? spec.inputSchema().size() : spec.passthroughOrdinals().length;
    for (int i = 0; i < outputs.size(); i++) {
      decoders[i] = new OutputDecoder(outputs.get(i));
      decoderOffsets[i] = offset;
      offset += decoders[i].width();
      requestedOutputs.add(outputs.get(i).onnxName());
    }
    this.window = new InternalRow[windowSize];
    this.values = new Object[windowSize][];
    this.tokenCounts = lengthKey == null ? null : new int[windowSize];
    this.rejected = new boolean[windowSize];
  }

  @Override
  public boolean hasNext() {
    while (true) {
      while (emitted < windowRows && values[emitted] == null) {
        // A skipped row: nothing to emit.
        window[emitted] = null;
        emitted++;
      }
      if (emitted < windowRows) {
        return true;
      }
      if (!fillAndScore()) {
        return false;
      }
    }
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    InternalRow row = new GenericInternalRow(values[emitted]);
    values[emitted] = null;
    window[emitted] = null;
    emitted++;
    return row;
  }

  private boolean fillAndScore() {
    windowRows = 0;
    emitted = 0;
    long windowStart = consumed;
    while (windowRows < window.length && input.hasNext()) {
      window[windowRows++] = input.next().copy();
    }
    if (windowRows == 0) {
      return false;
    }
    consumed += windowRows;
    metrics.rowsIn.add(windowRows);
    Arrays.fill(rejected, 0, windowRows, false);
    int[] order = order();
    for (int start = 0; start < windowRows; start += batchSize) {
      int[] batch = Arrays.copyOfRange(order, start, Math.min(start + batchSize, windowRows));
      scoreIsolating(batch, windowStart);
    }
    int bad = 0;
    for (int i = 0; i < windowRows; i++) {
      bad += rejected[i] ? 1 : 0;
    }
    metrics.rowsOut.add(windowRows - bad);
    metrics.rowsRejected.add(bad);
    return true;
  }

  /**
   * Scores a batch; if ONNX Runtime fails on it and the policy keeps going, retries its rows one
   * at a time so only the rows that fail alone are rejected.
   */
  private void scoreIsolating(int[] rows, long windowStart) {
    try {
      scoreBatch(rows, windowStart);
    } catch (InferenceRunException e) {
      if (policy == ErrorPolicy.FAIL) {
        throw e;
      }
      if (rows.length == 1) {
        int r = rows[0];
        String message = e.getCause() == null ? e.getMessage() : String.valueOf(e.getCause().getMessage());
        rejectRow(r, windowStart, new RowProblem(RowProblem.INFERENCE_ERROR, "", "model run failed: " + message));
        return;
      }
      LOG.warn("partition {}: a batch of {} rows failed in ONNX Runtime ({}); retrying its rows one by one",
          partition, rows.length, e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
      for (int r : rows) {
        if (!rejected[r]) {
          scoreIsolating(new int[] {r}, windowStart);
        }
      }
    }
  }

  /** Applies the policy to one bad row: throw (fail), drop (skip) or keep as a dead-letter row. */
  private void rejectRow(int r, long windowStart, RowProblem problem) {
    if (policy == ErrorPolicy.FAIL) {
      throw reject(window[r], windowStart + r, problem);
    }
    rejected[r] = true;
    if (policy == ErrorPolicy.SKIP) {
      values[r] = null;
      return;
    }
    InternalRow row = window[r];
    StructType in = spec.inputSchema();
    Object[] v = new Object[width];
    for (int i = 0; i < in.size(); i++) {
      v[i] = row.isNullAt(i) ? null : row.get(i, in.fields()[i].dataType());
    }
    v[v.length - 3] = UTF8String.fromString(problem.code());
    v[v.length - 2] = UTF8String.fromString(problem.column());
    v[v.length - 1] = UTF8String.fromString(problem.message());
    values[r] = v;
  }

  /** @return window positions in the order to batch them: by token count when length-aware (stable), else as read */
  private int[] order() {
    if (lengthKey == null || windowRows <= batchSize) {
      int[] identity = new int[windowRows];
      Arrays.setAll(identity, i -> i);
      return identity;
    }
    lengthKey.tokenCounts(window, windowRows, tokenCounts);
    return java.util.stream.IntStream.range(0, windowRows).boxed()
        .sorted((a, b) -> Integer.compare(tokenCounts[a], tokenCounts[b]))
        .mapToInt(Integer::intValue).toArray();
  }

  private void scoreBatch(int[] candidates, long windowStart) {
    resetEncoders();
    int[] pass = spec.passthroughOrdinals();
    int[] rows = new int[candidates.length];
    int accepted = 0;
    for (int r : candidates) {
      InternalRow row = window[r];
      RowProblem problem = appendToAll(row);
      if (problem != null && RowProblem.BATCH_SHAPE.equals(problem.code()) && accepted > 0) {
        // A valid row whose free dimensions differ from this batch's: score the batch so far and
        // start a new one with this row (one tensor cannot hold rows of different shapes).
        runBatch(Arrays.copyOf(rows, accepted), windowStart);
        accepted = 0;
        resetEncoders();
        problem = appendToAll(row);
      }
      if (problem != null) {
        rejectRow(r, windowStart, problem);
        continue;
      }
      Object[] v = new Object[width];
      for (int p = 0; p < pass.length; p++) {
        int slot = policy == ErrorPolicy.DEAD_LETTER ? pass[p] : p;
        v[slot] = row.isNullAt(pass[p]) ? null : row.get(pass[p], spec.passthroughTypes()[p]);
      }
      values[r] = v;
      rows[accepted++] = r;
    }
    if (accepted > 0) {
      runBatch(accepted == rows.length ? rows : Arrays.copyOf(rows, accepted), windowStart);
    }
  }

  private void resetEncoders() {
    for (InputEncoder e : encoders) {
      e.reset();
    }
  }

  /** Appends {@code row} to every encoder, or to none: returns the first problem, or null. */
  private RowProblem appendToAll(InternalRow row) {
    for (int i = 0; i < encoders.size(); i++) {
      RowProblem problem = encoders.get(i).append(row);
      if (problem != null) {
        // Encoders before the failing one took the row: take it back from them too.
        for (int j = 0; j < i; j++) {
          encoders.get(j).dropLast();
        }
        return problem;
      }
    }
    return null;
  }

  /** Encodes the appended {@code rows} (window positions), runs the session and decodes into their slots. */
  private void runBatch(int[] rows, long windowStart) {
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      for (InputEncoder e : encoders) {
        feeds.putAll(e.tensors(rows.length));
      }
      if (poolingText != null) {
        metrics.textsTruncated.add(poolingText.truncatedRows());
      }
      long start = System.nanoTime();
      try (OrtSession.Result result = session.run(feeds, requestedOutputs)) {
        metrics.inferenceNanos.add(System.nanoTime() - start);
        metrics.batches.add(1);
        for (int i = 0; i < decoders.length; i++) {
          String name = spec.outputs().get(i).onnxName();
          Optional<OnnxValue> value = result.get(name);
          if (value.isEmpty()) {
            throw new IllegalStateException("ONNX Runtime returned no value for requested output '" + name + "'");
          }
          decoders[i].decode(value.get(), rows.length, values, rows, decoderOffsets[i], poolingText);
        }
      }
      if (LOG.isDebugEnabled()) {
        LOG.debug("partition {}: scored {} rows of window starting at row {}", partition, rows.length, windowStart);
      }
    } catch (OrtException | RuntimeException e) {
      throw new InferenceRunException("model " + spec.modelUri() + " (sha256 " + spec.shortSha() + ") failed on partition "
          + partition + ", " + rows.length + " rows of the window starting at row " + windowStart + ": " + e.getMessage(), e);
    } finally {
      for (OnnxTensor t : feeds.values()) {
        t.close();
      }
    }
  }

  private RowRejectedException reject(InternalRow row, long position, RowProblem problem) {
    String id = "";
    int[] pass = spec.passthroughOrdinals();
    if (pass.length > 0) {
      Object v = row.isNullAt(pass[0]) ? null : row.get(pass[0], spec.passthroughTypes()[0]);
      id = " (" + spec.outputSchema().fields()[0].name() + "=" + v + ")";
    }
    return new RowRejectedException("partition " + partition + ", row " + position + id + ": column '"
        + problem.column() + "': " + problem.message(), problem.column());
  }
}
