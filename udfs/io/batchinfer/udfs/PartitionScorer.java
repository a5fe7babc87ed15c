package io.batchinfer.udfs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.InputEncoder;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.OutputDecoder;
import io.batchinfer.udfs.codec.RowProblem;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.session.SessionCache;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor side: the lazy iterator over one partition's scored rows. Pulls at most {@code
 * batch_size} input rows (copied, since Spark reuses row objects), encodes them, runs the shared
 * session, decodes, and hands out the output rows before pulling more: memory is O(batch), never
 * O(partition). Tensors and results are closed per batch; the session belongs to {@link
 * SessionCache}. Not thread-safe (one per task).
 */
final class PartitionScorer implements Iterator<InternalRow> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionScorer.class);

  private final Iterator<InternalRow> input;
  private final InferenceSpec spec;
  private final InferenceMetrics metrics;
  private final OrtSession session;
  private final List<InputEncoder> encoders;
  private final OutputDecoder[] decoders;
  private final int[] decoderOffsets;
  private final Set<String> requestedOutputs = new HashSet<>();
  private final int partition;
  private final int capacity;
  private final InternalRow[] batch;
  private final Object[][] values;

  private int batchRows;
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
    this.capacity = spec.batched() ? spec.batchSize() : 1;
    this.encoders = spec.inputs().stream().map(b -> b.newEncoder(capacity)).toList();
    List<OutputBinding> outputs = spec.outputs();
    this.decoders = new OutputDecoder[outputs.size()];
    this.decoderOffsets = new int[outputs.size()];
    int offset = spec.passthroughOrdinals().length;
    for (int i = 0; i < outputs.size(); i++) {
      decoders[i] = new OutputDecoder(outputs.get(i));
      decoderOffsets[i] = offset;
      offset += decoders[i].width();
      requestedOutputs.add(outputs.get(i).onnxName());
    }
    this.batch = new InternalRow[capacity];
    this.values = new Object[capacity][];
  }

  @Override
  public boolean hasNext() {
    if (emitted < batchRows) {
      return true;
    }
    return fillAndScore();
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    InternalRow row = new GenericInternalRow(values[emitted]);
    values[emitted] = null;
    batch[emitted] = null;
    emitted++;
    return row;
  }

  private boolean fillAndScore() {
    batchRows = 0;
    emitted = 0;
    for (InputEncoder e : encoders) {
      e.reset();
    }
    while (batchRows < capacity && input.hasNext()) {
      InternalRow row = input.next().copy();
      for (InputEncoder e : encoders) {
        RowProblem problem = e.append(row);
        if (problem != null) {
          throw reject(row, consumed, problem);
        }
      }
      batch[batchRows++] = row;
      consumed++;
    }
    if (batchRows == 0) {
      return false;
    }
    metrics.rowsIn.add(batchRows);
    score();
    metrics.rowsOut.add(batchRows);
    return true;
  }

  private void score() {
    int width = spec.outputSchema().size();
    int[] pass = spec.passthroughOrdinals();
    for (int r = 0; r < batchRows; r++) {
      Object[] v = new Object[width];
      for (int p = 0; p < pass.length; p++) {
        v[p] = batch[r].isNullAt(pass[p]) ? null : batch[r].get(pass[p], spec.passthroughTypes()[p]);
      }
      values[r] = v;
    }
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      for (InputEncoder e : encoders) {
        feeds.putAll(e.tensors(batchRows));
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
          decoders[i].decode(value.get(), batchRows, values, 0, decoderOffsets[i]);
        }
      }
      if (LOG.isDebugEnabled()) {
        LOG.debug("partition {}: scored rows [{}, {})", partition, consumed - batchRows, consumed);
      }
    } catch (OrtException | RuntimeException e) {
      throw new InferenceRunException("model " + spec.modelUri() + " (sha256 " + spec.shortSha() + ") failed on partition "
          + partition + ", rows [" + (consumed - batchRows) + ", " + consumed + "): " + e.getMessage(), e);
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
