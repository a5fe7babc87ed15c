package io.batchinfer.udfs.exec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.codec.InputEncoder;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.OutputDecoder;
import io.batchinfer.udfs.codec.RowProblem;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.codec.TextEncoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Executor side: one task's encoders and decoders around the shared session. Rows are appended to
 * every encoder (or to none, when one rejects the row); {@link #run} encodes the appended rows,
 * runs the session and decodes each requested output into the rows' slots. Tensors and results are
 * closed per batch; the session belongs to the session cache. Not thread-safe (one per task).
 *
 * <p>Failures are sorted by whose they are: ONNX Runtime's in {@code session.run} become a {@link
 * ModelRunFailure} (the caller may isolate the bad rows); an output that contradicts the model's
 * metadata or the mapping becomes an {@link InferenceRunException} naming the output; any other
 * exception from our encoding or decoding code is a bug and becomes an {@link
 * IllegalStateException} with its cause, and the caller never retries either of those.
 */
final class BatchRunner {
  private final InferenceSpec spec;
  private final ScoringCounters metrics;
  private final OrtSession session;
  private final List<InputEncoder> encoders = new ArrayList<>();
  private final TextEncoder firstText;
  private final OutputDecoder[] decoders;
  private final int[] decoderOffsets;
  private final Set<String> requestedOutputs = new HashSet<>();

  /**
   * @param firstOutputSlot the index in an emitted row's values where the first output field goes
   */
  BatchRunner(
      InferenceSpec spec,
      ScoringCounters metrics,
      OrtSession session,
      int batchSize,
      int firstOutputSlot) {
    this.spec = spec;
    this.metrics = metrics;
    this.session = session;
    spec.inputs().forEach(b -> encoders.add(b.newEncoder(batchSize)));
    TextEncoder first = null;
    for (TextBinding t : spec.texts()) {
      TextEncoder e = (TextEncoder) t.newEncoder(batchSize);
      encoders.add(e);
      first = first == null ? e : first;
    }
    this.firstText = first;
    List<OutputBinding> outputs = spec.outputs();
    this.decoders = new OutputDecoder[outputs.size()];
    this.decoderOffsets = new int[outputs.size()];
    int offset = firstOutputSlot;
    for (int i = 0; i < outputs.size(); i++) {
      decoders[i] = new OutputDecoder(outputs.get(i));
      decoderOffsets[i] = offset;
      offset += decoders[i].width();
      requestedOutputs.add(outputs.get(i).onnxName());
    }
  }

  /**
   * @return the first text input's encoder (its token counts order length-aware windows), or null
   */
  TextEncoder firstText() {
    return firstText;
  }

  /** Empties every encoder for a new batch. */
  void reset() {
    for (InputEncoder e : encoders) {
      e.reset();
    }
  }

  /** Appends {@code row} to every encoder, or to none: returns the first problem, or null. */
  RowProblem append(InternalRow row) {
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

  /**
   * Encodes the {@code rows.length} appended rows, runs the session and decodes into {@code
   * values[rows[r]]}.
   *
   * @param partition the task's partition, for messages
   * @param windowStart the position of the window's first row in the partition, for messages
   * @throws ModelRunFailure when ONNX Runtime fails inside {@code session.run}
   */
  void run(int[] rows, Object[][] values, int partition, long windowStart) throws ModelRunFailure {
    Map<String, OnnxTensor> feeds = new HashMap<>();
    String where =
        spec.describeModel(spec.shortSha())
            + " failed on partition "
            + partition
            + ", "
            + rows.length
            + " rows of the window starting at row "
            + windowStart;
    try {
      for (InputEncoder e : encoders) {
        feeds.putAll(e.tensors(rows.length));
      }
      if (firstText != null) {
        metrics.textsTruncated.add(firstText.truncatedRows());
      }
      long start = System.nanoTime();
      OrtSession.Result result;
      // Every call counts, failed ones too (batches_failed says how many of them failed).
      metrics.batches.add(1);
      try {
        result = session.run(feeds, requestedOutputs);
      } catch (OrtException e) {
        metrics.inferenceNanos.add(System.nanoTime() - start);
        metrics.batchesFailed.add(1);
        throw new ModelRunFailure(where, rows.length, e);
      }
      try (result) {
        metrics.inferenceNanos.add(System.nanoTime() - start);
        for (int i = 0; i < decoders.length; i++) {
          String name = spec.outputs().get(i).onnxName();
          Optional<OnnxValue> value = result.get(name);
          if (value.isEmpty()) {
            throw new OutputDecoder.OutputShapeException(
                "ONNX Runtime returned no value for requested output '" + name + "'");
          }
          decoders[i].decode(value.get(), rows.length, values, rows, decoderOffsets[i], firstText);
        }
      }
    } catch (OrtException | OutputDecoder.OutputShapeException e) {
      // ONNX Runtime failing outside session.run (creating a tensor, reading a result), or an
      // output
      // that contradicts the model's metadata: no single row is to blame, so no retry.
      throw new InferenceRunException(where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "batchinfer bug while encoding or decoding " + where + ": " + e, e);
    } finally {
      for (OnnxTensor t : feeds.values()) {
        t.close();
      }
    }
  }
}
