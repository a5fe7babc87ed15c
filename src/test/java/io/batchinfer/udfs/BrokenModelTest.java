package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.model.Sha256;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The scoring loop's circuit breaker through the engine API, with real Spark and ONNX Runtime: a
 * model that fails on every input stops each task after a bounded number of calls, while a model
 * that fails on some rows still has exactly those rows isolated, and the counters add up.
 */
class BrokenModelTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  @TempDir Path tmp;

  private Dataset<Row> rows(int n, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < n; id++) {
      rows.add(RowFactory.create(id, List.of((float) id, 1f)));
    }
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  @ParameterizedTest
  @EnumSource(value = ErrorPolicy.class)
  void modelFailingOnEveryInputStopsEachTaskAfterABoundedNumberOfCalls(ErrorPolicy policy) {
    byte[] bytes = TestModels.allocationHungry("features", "y", 2);
    Path model = TestModels.write(bytes, tmp.resolve("hungry.onnx"));
    int batch = 256;
    InferencePlan plan =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("features", InputMapping.column("features"))
            .output("y", OutputMapping.toColumn("y"))
            .passthrough(List.of("id"))
            .batchSize(batch)
            .errorPolicy(policy)
            .plan(spark, SCHEMA);
    int partitions = 4;
    Dataset<Row> input = rows(20_000, partitions);
    InferencePlan.Scored scored = plan.apply(input);
    assertThatThrownBy(() -> scored.emitted().count())
        .rootCause()
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining(
            "model file:" + model + " (sha256 " + Sha256.hex(bytes) + ") fails on every input")
        .hasMessageContaining("ONNX Runtime's reason:")
        .hasMessageContaining("Failed to allocate memory")
        .hasMessageContaining("To reproduce on one row, run the model on partition ")
        .hasMessageContaining("--set 'input.filter=id = ");
    InferenceMetrics m = scored.metrics();
    // Each task makes at most its first batch plus max_consecutive_inference_errors calls (fail:
    // the batch and its first row alone), counted from failed attempts too; the input has 79
    // batches.
    long perTask =
        policy == ErrorPolicy.FAIL
            ? 2
            : 1 + BatchInference.MAX_CONSECUTIVE_INFERENCE_ERRORS_DEFAULT;
    assertThat(m.batches())
        .isBetween(policy == ErrorPolicy.FAIL ? 2L : perTask, partitions * perTask);
    assertThat(m.batchesFailed()).isEqualTo(m.batches());
    assertThat(m.batches()).isLessThanOrEqualTo(2L * ((20_000 + batch - 1) / batch));
  }

  @ParameterizedTest
  @EnumSource(
      value = ErrorPolicy.class,
      names = {"SKIP", "DEAD_LETTER"})
  void modelFailingOnSomeRowsStillIsolatesExactlyThoseRows(ErrorPolicy policy) {
    // Gather over a table of 10: an index outside [-10, 9] fails the whole batch in ONNX Runtime.
    Path model =
        TestModels.write(TestModels.lookup("idx", "value", 10), tmp.resolve("lookup.onnx"));
    StructType schema =
        new StructType().add("id", DataTypes.LongType, false).add("idx", DataTypes.LongType, false);
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 200; id++) {
      data.add(RowFactory.create(id, id == 17 || id == 18 || id == 150 ? 99L : id % 10));
    }
    // One partition in id order, batches of 16: rows 17 and 18 fall in batch 1 (16..31), row 150 in
    // batch 9 (144..159).
    Dataset<Row> input = spark.createDataFrame(data, schema).coalesce(1);
    InferencePlan.Scored scored =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("idx", InputMapping.column("idx"))
            .output("value", OutputMapping.toColumn("value"))
            .passthrough(List.of("id"))
            .batchSize(16)
            .errorPolicy(policy)
            .plan(spark, schema)
            .apply(input);
    List<Long> good =
        scored.scored().select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
    assertThat(good).hasSize(197).doesNotContain(17L, 18L, 150L);
    InferenceMetrics m = scored.metrics();
    assertThat(m.rowsRejected()).isEqualTo(3);
    // 13 batches (12 of 16 rows, one of 8), 2 of which fail; their 32 rows run alone, 3 of which
    // fail.
    assertThat(m.batches()).isEqualTo(13 + 32);
    assertThat(m.batchesFailed()).isEqualTo(2 + 3);
    assertThat(m.rowsRetriedAlone()).isEqualTo(32);
    assertThat(m.rejections())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.code()).isEqualTo("inference_error");
              assertThat(r.count()).isEqualTo(3);
              assertThat(r.example()).startsWith("partition 0, row 17 (id=17): model run failed:");
            });
    if (policy == ErrorPolicy.DEAD_LETTER) {
      assertThat(
              scored
                  .rejected()
                  .select("id")
                  .as(org.apache.spark.sql.Encoders.LONG())
                  .collectAsList())
          .containsExactlyInAnyOrder(17L, 18L, 150L);
    }
  }

  @Test
  void dataRejectionsNeverTripTheBreaker() {
    // Every row is NaN: rejected before any model call, whatever their number.
    Path model =
        TestModels.write(
            TestModels.linear("features", "y", new float[][] {{1}, {1}}, new float[] {0}),
            tmp.resolve("linear.onnx"));
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 1000; id++) {
      data.add(RowFactory.create(id, List.of(Float.NaN, 1f)));
    }
    InferencePlan.Scored scored =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("features", InputMapping.column("features"))
            .output("y", OutputMapping.toColumn("y"))
            .passthrough(List.of("id"))
            .batchSize(8)
            .errorPolicy(ErrorPolicy.SKIP)
            .maxConsecutiveInferenceErrors(1)
            .plan(spark, SCHEMA)
            .apply(spark.createDataFrame(data, SCHEMA).coalesce(1));
    assertThat(scored.scored().count()).isZero();
    assertThat(scored.metrics().rowsRejected()).isEqualTo(1000);
    assertThat(scored.metrics().batches()).isZero();
    assertThat(scored.metrics().rejections())
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.describe())
                    .startsWith(
                        "1,000 rows nan_value in features[0] (first: partition 0, row 0 (id=0): "));
  }
}
