package io.batchinfer.udfs.exec;

import ai.onnxruntime.OrtException;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.codec.RowProblem;
import io.batchinfer.udfs.codec.TextEncoder;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.session.SessionCache;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
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
 * lengths, ranges) reject a row before its batch is built; a batch on which ONNX Runtime's {@code
 * session.run} fails is retried row by row so that one bad row never costs its batch. Any other
 * failure (an output contradicting the model's metadata, a bug in our encoding or decoding) fails
 * the task under every policy, with its stack trace. Every input row ends as an output row or a
 * rejection, and the metrics count both. The {@link InferenceBreaker} fails the task instead of
 * rejecting row after row when the model fails on every input, and {@link RejectionLog} keeps the
 * log to one line per rejection reason and task.
 */
final class PartitionScorer implements Iterator<InternalRow> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionScorer.class);

  private final Iterator<InternalRow> input;
  private final ScoringCounters metrics;
  private final BatchRunner runner;
  private final RowRejections rejections;
  private final InferenceBreaker breaker;
  private final RejectionLog log;
  private final TextEncoder lengthKey;
  private final int partition;
  private final int batchSize;
  private final InternalRow[] window;
  private final Object[][] values;
  private final int[] tokenCounts;
  private final boolean[] rejected;
  private final ErrorPolicy policy;

  /** The model's name in a chain ({@code models[i].name}), or null for a single model. */
  private final String label;

  /** Fields per emitted row (computed once: the dead-letter layout is built on each call). */
  private final int width;

  private final int[] passthrough;
  private final DataType[] passthroughTypes;

  private int windowRows;
  private int emitted;
  private long consumed;
  private boolean finished;

  PartitionScorer(
      Iterator<InternalRow> input,
      Broadcast<ModelArtifact> model,
      InferenceSpec spec,
      ScoringCounters metrics) {
    this.input = input;
    this.metrics = metrics;
    TaskContext task = TaskContext.get();
    this.partition = task == null ? -1 : task.partitionId();
    SessionCache.Lease lease = SessionCache.acquire(spec.sha256(), spec.session(), model::value);
    if (lease.created()) {
      metrics.sessionsCreated.add(1);
    }
    this.batchSize = spec.batched() ? spec.batchSize() : 1;
    this.policy = spec.errorPolicy();
    this.label = spec.label();
    this.width = spec.emittedSchema().size();
    this.passthrough = spec.passthroughOrdinals();
    this.passthroughTypes = spec.passthroughTypes();
    // Output columns follow the passthrough columns (or, under dead-letter, every input column).
    int firstOutput =
        policy == ErrorPolicy.DEAD_LETTER ? spec.inputSchema().size() : passthrough.length;
    this.runner = new BatchRunner(spec, metrics, lease.session(), batchSize, firstOutput);
    this.rejections = new RowRejections(spec, partition, width);
    this.breaker = new InferenceBreaker(spec, partition);
    this.log = new RejectionLog(partition);
    TextEncoder firstText = runner.firstText();
    int windowSize = batchSize;
    if (firstText != null && spec.lengthWindow() > 1 && batchSize > 1) {
      windowSize = Math.multiplyExact(batchSize, spec.lengthWindow());
      this.lengthKey = firstText;
    } else {
      this.lengthKey = null;
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
      if (!finished) {
        finished = true;
        log.finish(metrics.rejections);
      }
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
   * Scores a batch; if ONNX Runtime's {@code session.run} fails on it and the policy keeps going,
   * retries its rows one at a time so only the rows that fail alone are rejected, unless the
   * breaker trips. Nothing else is caught here: our own failures end the task.
   */
  private void scoreIsolating(int[] rows, long windowStart) {
    try {
      scoreBatch(rows, windowStart);
    } catch (ModelRunFailure f) {
      int first = rows[0];
      if (policy == ErrorPolicy.FAIL) {
        OrtException alone =
            f.rows > 1 && !breaker.anyScored() ? tryAlone(first, windowStart) : null;
        throw breaker.failFast(
            new InferenceRunException(f.getMessage(), f.getCause()),
            f.ort(),
            f.rows,
            alone,
            ref(first, windowStart));
      }
      if (rows.length == 1) {
        breaker.rowFailed(f.ort(), ref(first, windowStart));
        rejectRow(first, windowStart, inferenceError(f));
        return;
      }
      breaker.batchFailed(f.rows, f.ort(), ref(first, windowStart));
      log.batchFailed(f.rows, f.ortMessage());
      OrtException last = f.ort();
      for (int r : rows) {
        if (!rejected[r]) {
          metrics.rowsRetriedAlone.add(1);
          try {
            scoreBatch(new int[] {r}, windowStart);
            last = null;
          } catch (ModelRunFailure alone) {
            last = alone.ort();
            breaker.rowFailed(last, ref(r, windowStart));
            rejectRow(r, windowStart, inferenceError(alone));
          }
        }
      }
      breaker.retried(last, ref(first, windowStart));
    }
  }

  /**
   * Under fail: runs the first row of a failed batch alone once. @return its failure, or null if it
   * scored
   */
  private OrtException tryAlone(int r, long windowStart) {
    metrics.rowsRetriedAlone.add(1);
    try {
      scoreBatch(new int[] {r}, windowStart);
      return null;
    } catch (ModelRunFailure alone) {
      return alone.ort();
    }
  }

  private static RowProblem inferenceError(ModelRunFailure f) {
    return new RowProblem(RowProblem.INFERENCE_ERROR, "", "model run failed: " + f.ortMessage());
  }

  private InferenceBreaker.RowRef ref(int r, long windowStart) {
    return rejections.ref(window[r], windowStart + r);
  }

  /** Applies the policy to one bad row: throw (fail), drop (skip) or keep as a dead-letter row. */
  private void rejectRow(int r, long windowStart, RowProblem found) {
    RowProblem problem = labeled(found);
    Object[] deadLetter = rejections.reject(window[r], windowStart + r, problem);
    log.rejected(problem, () -> ref(r, windowStart).where());
    rejected[r] = true;
    values[r] = deadLetter;
  }

  /**
   * @return {@code problem} naming the model in a chain: column {@code <model>:<column>} (just
   *     {@code <model>} when no column applies), message prefixed {@code model '<model>': }
   */
  private RowProblem labeled(RowProblem problem) {
    if (label == null) {
      return problem;
    }
    String column = problem.column();
    return new RowProblem(
        problem.code(),
        column == null || column.isEmpty() ? label : label + ":" + column,
        "model '" + label + "': " + problem.message());
  }

  /**
   * @return window positions in the order to batch them: by token count when length-aware (stable),
   *     else as read
   */
  private int[] order() {
    if (lengthKey == null || windowRows <= batchSize) {
      int[] identity = new int[windowRows];
      Arrays.setAll(identity, i -> i);
      return identity;
    }
    lengthKey.tokenCounts(window, windowRows, tokenCounts);
    return IntStream.range(0, windowRows)
        .boxed()
        .sorted((a, b) -> Integer.compare(tokenCounts[a], tokenCounts[b]))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private void scoreBatch(int[] candidates, long windowStart) throws ModelRunFailure {
    runner.reset();
    int[] rows = new int[candidates.length];
    int accepted = 0;
    for (int r : candidates) {
      InternalRow row = window[r];
      RowProblem problem = runner.append(row);
      if (problem != null && RowProblem.BATCH_SHAPE.equals(problem.code()) && accepted > 0) {
        // A valid row whose free dimensions differ from this batch's: score the batch so far and
        // start a new one with this row (one tensor cannot hold rows of different shapes).
        runBatch(Arrays.copyOf(rows, accepted), windowStart);
        accepted = 0;
        runner.reset();
        problem = runner.append(row);
      }
      if (problem != null) {
        rejectRow(r, windowStart, problem);
        continue;
      }
      Object[] v = new Object[width];
      for (int p = 0; p < passthrough.length; p++) {
        int slot = policy == ErrorPolicy.DEAD_LETTER ? passthrough[p] : p;
        v[slot] =
            row.isNullAt(passthrough[p]) ? null : row.get(passthrough[p], passthroughTypes[p]);
      }
      values[r] = v;
      rows[accepted++] = r;
    }
    if (accepted > 0) {
      runBatch(accepted == rows.length ? rows : Arrays.copyOf(rows, accepted), windowStart);
    }
  }

  /**
   * Encodes the appended {@code rows} (window positions), runs the session and decodes into their
   * slots.
   */
  private void runBatch(int[] rows, long windowStart) throws ModelRunFailure {
    runner.run(rows, values, partition, windowStart);
    breaker.scored(rows.length);
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "partition {}: scored {} rows of window starting at row {}",
          partition,
          rows.length,
          windowStart);
    }
  }
}
