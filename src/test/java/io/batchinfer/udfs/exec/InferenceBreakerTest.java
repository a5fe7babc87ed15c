package io.batchinfer.udfs.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtException.OrtErrorCode;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.ModelFailureException;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The breaker's decisions, fed directly with the failures {@code OrtSession.run} throws. */
class InferenceBreakerTest {
  private static final String SHA = "ab".repeat(32);
  private static final InferenceBreaker.RowRef ROW =
      new InferenceBreaker.RowRef("partition 3, row 0 (id=7)", "id = 7");

  private static InferenceBreaker breaker(ErrorPolicy policy, int maxConsecutive) {
    InferenceSpec spec =
        new InferenceSpec(
            "file:/models/m.onnx",
            SHA,
            SessionOptionsSpec.DEFAULT,
            8,
            true,
            List.of(),
            List.of(),
            new int[0],
            new DataType[0],
            new StructType(),
            List.of(),
            1,
            policy,
            new StructType(),
            maxConsecutive);
    return new InferenceBreaker(spec, 3);
  }

  private static OrtException alloc(long bytes) {
    return new OrtException(
        OrtErrorCode.ORT_FAIL, "Failed to allocate memory for requested buffer of size " + bytes);
  }

  @Test
  void tripsWhenEveryRowOfTheFirstFailedBatchFailsAloneTheSameWay() {
    InferenceBreaker b = breaker(ErrorPolicy.SKIP, 32);
    b.batchFailed(8, alloc(3200), ROW);
    for (int i = 0; i < 8; i++) {
      b.rowFailed(alloc(400), ROW);
    }
    assertThatThrownBy(() -> b.retried(alloc(400), ROW))
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining("model file:/models/m.onnx (sha256 " + SHA + ") fails on every input")
        .hasMessageContaining(
            "a batch of 8 rows and then on each of its 8 rows run alone, with the same error")
        .hasMessageContaining("errors.policy skip does not apply")
        .hasMessageContaining(
            "ONNX Runtime's reason: Failed to allocate memory for requested buffer of size 400")
        .hasMessageContaining(
            "To reproduce on one row, run the model on partition 3, row 0 (id=7) alone, e.g."
                + " --set 'input.filter=id = 7' --set model.batch_size=1 --set errors.policy=fail");
  }

  @Test
  void doesNotTripOnceARowWasScoredOrWhenTheErrorsDiffer() {
    InferenceBreaker scored = breaker(ErrorPolicy.SKIP, 32);
    scored.scored(8);
    scored.batchFailed(8, alloc(3200), ROW);
    for (int i = 0; i < 8; i++) {
      scored.rowFailed(alloc(400), ROW);
    }
    assertThatCode(() -> scored.retried(alloc(400), ROW)).doesNotThrowAnyException();

    InferenceBreaker mixed = breaker(ErrorPolicy.DEAD_LETTER, 32);
    mixed.batchFailed(2, alloc(800), ROW);
    mixed.rowFailed(alloc(400), ROW);
    OrtException other =
        new OrtException(OrtErrorCode.ORT_INVALID_ARGUMENT, "indices element out of data bounds");
    mixed.rowFailed(other, ROW);
    assertThatCode(() -> mixed.retried(other, ROW)).doesNotThrowAnyException();

    // A retry whose last row scored: a row was scored, so no trip either.
    InferenceBreaker healed = breaker(ErrorPolicy.SKIP, 32);
    healed.batchFailed(2, alloc(800), ROW);
    healed.rowFailed(alloc(400), ROW);
    healed.scored(1);
    assertThatCode(() -> healed.retried(null, ROW)).doesNotThrowAnyException();
  }

  @Test
  void tripsAfterMoreThanTheConfiguredFailuresInARowAndASuccessResetsTheCount() {
    InferenceBreaker b = breaker(ErrorPolicy.SKIP, 3);
    b.scored(100);
    for (int i = 0; i < 3; i++) {
      b.rowFailed(alloc(400), ROW);
    }
    b.scored(1);
    for (int i = 0; i < 3; i++) {
      b.rowFailed(alloc(400), ROW);
    }
    assertThatThrownBy(() -> b.rowFailed(alloc(400), ROW))
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining(
            "4 ONNX Runtime calls in a row failed after 101 rows had been scored, more than"
                + " errors.max_consecutive_inference_errors (3)")
        .hasMessageContaining("raise errors.max_consecutive_inference_errors.");

    InferenceBreaker fresh = breaker(ErrorPolicy.SKIP, 3);
    fresh.batchFailed(8, alloc(3200), ROW);
    fresh.rowFailed(alloc(400), ROW);
    fresh.rowFailed(alloc(400), ROW);
    assertThatThrownBy(() -> fresh.rowFailed(alloc(400), ROW))
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining(
            "fails on every input: in partition 3, 4 ONNX Runtime calls in a row failed");
  }

  @Test
  void failPolicyBlamesTheModelOnlyWhenTheFirstRowAloneFailsTheSameWayBeforeAnythingScored() {
    InferenceRunException batch =
        new InferenceRunException("model failed on partition 3, 8 rows", alloc(3200));
    InferenceBreaker b = breaker(ErrorPolicy.FAIL, 32);
    assertThat(b.failFast(batch, alloc(3200), 8, alloc(400), ROW))
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining("fails on every input it was given")
        .hasMessageContaining("ONNX Runtime's reason: Failed to allocate memory");
    assertThat(b.failFast(batch, alloc(3200), 8, null, ROW)).isSameAs(batch);
    b.scored(1);
    assertThat(b.failFast(batch, alloc(3200), 8, alloc(400), ROW)).isSameAs(batch);
  }

  @Test
  void errorKindsIgnoreNumbers() {
    assertThat(InferenceBreaker.kind(alloc(400))).isEqualTo(InferenceBreaker.kind(alloc(102_400)));
    assertThat(InferenceBreaker.kind(alloc(400)))
        .isNotEqualTo(
            InferenceBreaker.kind(
                new OrtException(OrtErrorCode.ORT_RUNTIME_EXCEPTION, alloc(400).getMessage())));
  }
}
