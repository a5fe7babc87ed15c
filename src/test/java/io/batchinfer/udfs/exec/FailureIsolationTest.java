package io.batchinfer.udfs.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InferenceRunException;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.session.SessionCache;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Only ONNX Runtime's own failures in {@code session.run} are isolated into row rejections; a
 * failure in our decoding fails the task under every policy. Real Spark, real ONNX Runtime.
 */
class FailureIsolationTest extends SparkTestBase {
  /**
   * {@code value = table[idx]} with {@code table[i] = 10 i}, i < 10: ONNX Runtime fails a batch
   * holding an index >= 10.
   */
  private static final ModelArtifact LOOKUP =
      ModelLoader.fromBytes("lookup", TestModels.lookup("idx", "value", 10));

  /**
   * {@code y = x}, float32 {@code [?, ?]}: the class count is not in the metadata, so labels cannot
   * be checked on the driver.
   */
  private static final ModelArtifact SCORES =
      ModelLoader.fromBytes("scores", TestModels.identity("x", "y", TestModels.FLOAT, -1, -1));

  private static Dataset<Row> indices(long... bad) {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 40; id++) {
      long idx = id % 10;
      for (long b : bad) {
        idx = id == b ? 99 : idx;
      }
      rows.add(RowFactory.create(id, idx));
    }
    return spark
        .createDataFrame(
            rows, new StructType().add("id", DataTypes.LongType).add("idx", DataTypes.LongType))
        .coalesce(1);
  }

  @Test
  void ortFailureOnABatchRejectsOnlyTheRowsThatFailAlone() {
    InferencePlan.Scored scored =
        BatchInference.builder()
            .model(LOOKUP)
            .input("idx", InputMapping.column("idx"))
            .output("value", OutputMapping.toColumn("value"))
            .passthrough(List.of("id", "idx"))
            .batchSize(16)
            .errorPolicy(ErrorPolicy.SKIP)
            .score(indices(7, 30));
    List<Row> out = scored.scored().collectAsList();
    assertThat(out).extracting(r -> r.getLong(0)).hasSize(38).doesNotContain(7L, 30L);
    // table[i] = 10 i by construction of the model.
    assertThat(out).allSatisfy(r -> assertThat(r.getFloat(2)).isEqualTo(10f * r.getLong(1)));
    assertThat(scored.metrics().rowsRejected()).isEqualTo(2);
  }

  /**
   * A model with 3 classes mapped with 2 labels: rows whose best class is 2 cannot be labelled.
   * That is found while decoding (the metadata says {@code [?, ?]}), so it is not ONNX Runtime's
   * failure: before, skip and dead-letter turned it into a pile of {@code inference_error} rows.
   */
  @ParameterizedTest
  @EnumSource(ErrorPolicy.class)
  void decodingFailureFailsTheTaskUnderEveryPolicy(ErrorPolicy policy) {
    List<Row> rows = new ArrayList<>();
    for (int id = 0; id < 30; id++) {
      float[] x = {0.1f, 0.2f, 0.3f};
      x[id % 3] = 0.9f; // argmax = id % 3
      rows.add(RowFactory.create(id, x));
    }
    Dataset<Row> df =
        spark
            .createDataFrame(
                rows,
                new StructType()
                    .add("id", DataTypes.IntegerType)
                    .add("x", DataTypes.createArrayType(DataTypes.FloatType, false)))
            .coalesce(1);
    InferencePlan.Scored scored =
        BatchInference.builder()
            .model(SCORES)
            .input("x", InputMapping.column("x"))
            .output(
                "y", OutputMapping.none().withArgmax("best").withLabels(List.of("a", "b"), null))
            .passthrough(List.of("id"))
            .batchSize(8)
            .errorPolicy(policy)
            .score(df);
    assertThatThrownBy(() -> scored.emitted().collectAsList())
        .satisfies(
            e ->
                assertThat(causes(e))
                    .anySatisfy(
                        c ->
                            assertThat(c)
                                .isInstanceOf(InferenceRunException.class)
                                .hasMessageContaining(
                                    "model output 'y' has 3 classes but outputs.y.labels lists 2")));
  }

  /**
   * Unit level, through a real session: the runner reports ONNX Runtime's {@code session.run}
   * failure as the one retryable failure, and a failure of our own decoding code as a bug.
   */
  @Test
  void runnerSeparatesOrtFailuresFromOurBugs() {
    InferencePlan plan =
        BatchInference.builder()
            .model(LOOKUP)
            .input("idx", InputMapping.column("idx"))
            .output("value", OutputMapping.toColumn("value"))
            .passthrough(List.of("id"))
            .plan(spark, indices().schema());
    InferenceSpec spec = plan.spec();
    ScoringCounters counters = ScoringCounters.register(spark.sparkContext());
    BatchRunner runner =
        new BatchRunner(
            spec,
            counters,
            SessionCache.acquire(spec.sha256(), spec.session(), () -> LOOKUP).session(),
            4,
            1);

    runner.reset();
    assertThat(runner.append(new GenericInternalRow(new Object[] {0L, 3L}))).isNull();
    assertThat(runner.append(new GenericInternalRow(new Object[] {1L, 99L})))
        .isNull(); // valid long, bad index
    Object[][] values = {new Object[2], new Object[2]};
    assertThatThrownBy(() -> runner.run(new int[] {0, 1}, values, 0, 0))
        .isInstanceOf(ModelRunFailure.class)
        .hasMessageContaining("failed on partition 0, 2 rows");

    // A decoding bug: the caller gave no slot for the batch's second row.
    runner.reset();
    InternalRow good = new GenericInternalRow(new Object[] {2L, 4L});
    assertThat(runner.append(good)).isNull();
    assertThat(runner.append(good)).isNull();
    Object[][] missingSlot = {new Object[2], null};
    assertThatThrownBy(() -> runner.run(new int[] {0, 1}, missingSlot, 0, 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("batchinfer bug while encoding or decoding")
        .hasCauseInstanceOf(NullPointerException.class);
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> all = new ArrayList<>();
    for (Throwable t = e; t != null && !all.contains(t); t = t.getCause()) {
      all.add(t);
    }
    return all;
  }
}
