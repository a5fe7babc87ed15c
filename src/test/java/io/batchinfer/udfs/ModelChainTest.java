package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.model.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java API for several models in one pass ({@link BatchInferenceChain}): a chain (embed → head)
 * and an independent model (logreg) compared with ONNX Runtime called directly on each model in
 * turn, read once in one Spark stage, with the lineage columns and planning errors.
 */
class ModelChainTest extends SparkTestBase {
  private static final Path EMBED = Projects.root().resolve("models/iris-chain/iris-embed.onnx");
  private static final Path HEAD = Projects.root().resolve("models/iris-chain/iris-head.onnx");
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("sl", DataTypes.FloatType, false)
          .add("sw", DataTypes.FloatType, false)
          .add("pl", DataTypes.FloatType, false)
          .add("pw", DataTypes.FloatType, false);

  @TempDir Path tmp;

  private Dataset<Row> flowers(int rows, int partitions) {
    Random random = new Random(17);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      data.add(
          RowFactory.create(
              (long) i,
              4 + 4 * random.nextFloat(),
              2 + 2.5f * random.nextFloat(),
              1 + 6 * random.nextFloat(),
              0.1f + 2.4f * random.nextFloat()));
    }
    Path path = tmp.resolve("flowers");
    spark.createDataFrame(data, SCHEMA).repartition(partitions).write().parquet(path.toString());
    return spark.read().parquet(path.toString());
  }

  private static BatchInferenceChain.Builder chain(int batchSize) {
    return BatchInferenceChain.builder()
        .model(
            "embed",
            BatchInference.builder()
                .modelPath(EMBED.toString(), null)
                .batchSize(batchSize)
                .input("features", InputMapping.columns("sl", "sw", "pl", "pw"))
                .output("embedding", OutputMapping.toColumn("embedding")))
        .model(
            "head",
            BatchInference.builder()
                .modelPath(HEAD.toString(), null)
                .batchSize(batchSize)
                .input("embedding", InputMapping.column("embedding"))
                .output("probabilities", OutputMapping.toColumn("probs").withArgmax("cls")))
        .model(
            null, // named after the file: iris-logreg
            BatchInference.builder()
                .modelPath(Projects.irisModel().toString(), null)
                .batchSize(batchSize)
                .input("input", InputMapping.columns("sl", "sw", "pl", "pw"))
                .output("output", OutputMapping.toColumn("logreg_probs")))
        .passthrough(List.of("id"))
        .modelColumn("sha");
  }

  @Test
  void chainEqualsOnnxRuntimeRunModelByModel() throws Exception {
    Dataset<Row> in = flowers(200, 3);
    ChainPlan plan = chain(9).plan(spark, in.schema());
    InferencePlan.Scored scored = plan.apply(in);
    // One action only (orderBy would sample the input in a job of its own, scoring it twice).
    List<Row> out = new ArrayList<>(scored.scored().collectAsList());
    out.sort((a, b) -> Long.compare(a.getLong(0), b.getLong(0)));
    List<Row> rows = in.orderBy("id").collectAsList();

    assertThat(scored.scored().columns())
        .containsExactly(
            "id",
            "embedding",
            "probs",
            "cls",
            "logreg_probs",
            "sha_embed",
            "sha_head",
            "sha_iris-logreg");
    assertThat(plan.outputSchema().fieldNames()).containsExactly(scored.scored().columns());
    assertThat(out).hasSize(200);
    String[] shas = {
      Sha256.hex(Files.readAllBytes(EMBED)).substring(0, 12),
      Sha256.hex(Files.readAllBytes(HEAD)).substring(0, 12),
      Sha256.hex(Files.readAllBytes(Projects.irisModel())).substring(0, 12)
    };
    try (Oracle embed = new Oracle(EMBED);
        Oracle head = new Oracle(HEAD);
        Oracle logreg = new Oracle(Projects.irisModel())) {
      for (int i = 0; i < out.size(); i++) {
        Row r = rows.get(i);
        Row o = out.get(i);
        assertThat(o.getLong(0)).isEqualTo(r.getLong(0));
        float[] x = {r.getFloat(1), r.getFloat(2), r.getFloat(3), r.getFloat(4)};
        float[] e = embed.runRow("features", "embedding", x);
        float[] p = head.runRow("embedding", "probabilities", e);
        close(o.getList(1), e);
        close(o.getList(2), p);
        close(o.getList(4), logreg.runRow("input", "output", x));
        assertThat(o.getString(5)).isEqualTo(shas[0]);
        assertThat(o.getString(6)).isEqualTo(shas[1]);
        assertThat(o.getString(7)).isEqualTo(shas[2]);
      }
    }
    InferenceMetrics m = scored.metrics();
    assertThat(m.rowsIn()).isEqualTo(200);
    assertThat(m.rowsOut()).isEqualTo(200);
    assertThat(m.models()).hasSize(3);
    assertThat(m.models()).allSatisfy(x -> assertThat(x.rowsIn()).isEqualTo(200));
    assertThat(m.batches())
        .isEqualTo(m.models().stream().mapToLong(InferenceMetrics::batches).sum());
  }

  /** One read and one stage for all three models: no shuffle, every input row read once. */
  @Test
  void allModelsRunInOneStageOverOneScan() throws Exception {
    Dataset<Row> in = flowers(300, 3);
    InferencePlan.Scored scored = chain(64).plan(spark, in.schema()).apply(in);
    String lineage = scored.scored().rdd().toDebugString();
    assertThat(lineage.split("FileScanRDD", -1)).as(lineage).hasSize(2);
    assertThat(lineage).doesNotContain("Shuffled");

    AtomicLong stages = new AtomicLong();
    AtomicLong recordsRead = new AtomicLong();
    AtomicLong shuffled = new AtomicLong();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onStageCompleted(SparkListenerStageCompleted done) {
            stages.incrementAndGet();
            recordsRead.addAndGet(done.stageInfo().taskMetrics().inputMetrics().recordsRead());
            shuffled.addAndGet(
                done.stageInfo().taskMetrics().shuffleWriteMetrics().recordsWritten());
          }
        };
    spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    spark.sparkContext().addSparkListener(listener);
    try {
      scored.scored().write().parquet(tmp.resolve("out").toString());
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertThat(stages.get()).isEqualTo(1);
    assertThat(recordsRead.get()).isEqualTo(300);
    assertThat(shuffled.get()).isZero();
    assertThat(scored.metrics().rowsIn()).isEqualTo(300);
    assertThat(scored.metrics().sessionsCreated()).isLessThanOrEqualTo(3);
  }

  @Test
  void describeListsTheModelsInOrder() {
    ChainPlan plan = chain(16).plan(spark, SCHEMA);
    assertThat(plan.describe())
        .startsWith("chain:    3 models in one pass, in order: embed -> head -> iris-logreg\n")
        .contains("--- models[1] head: reads input columns and [embedding of embed]");
    assertThat(plan.models())
        .extracting(InferencePlan::name)
        .containsExactly("embed", "head", "iris-logreg");
  }

  @Test
  void planningErrorsNameTheModelAndKey() {
    BatchInferenceChain.Builder backwards =
        BatchInferenceChain.builder()
            .model(
                "head",
                BatchInference.builder()
                    .modelPath(HEAD.toString(), null)
                    .input("embedding", InputMapping.column("embedding"))
                    .output("probabilities", OutputMapping.toColumn("probs")))
            .model(
                "embed",
                BatchInference.builder()
                    .modelPath(EMBED.toString(), null)
                    .input("features", InputMapping.columns("sl", "sw", "pl", "pw"))
                    .output("embedding", OutputMapping.toColumn("embedding")));
    assertThatThrownBy(() -> backwards.plan(spark, SCHEMA))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "models[0].inputs.embedding.column (model 'head'): column 'embedding' is written by a"
                + " later model, 'embed' (models[1].outputs.embedding.column)");

    BatchInferenceChain.Builder mixed =
        BatchInferenceChain.builder()
            .model(
                "a",
                BatchInference.builder()
                    .modelPath(EMBED.toString(), null)
                    .input("features", InputMapping.columns("sl", "sw", "pl", "pw"))
                    .output("embedding", OutputMapping.toColumn("e")))
            .model(
                "b",
                BatchInference.builder()
                    .modelPath(HEAD.toString(), null)
                    .errorPolicy(ErrorPolicy.SKIP)
                    .input("embedding", InputMapping.column("e"))
                    .output("probabilities", OutputMapping.toColumn("sl")));
    assertThatThrownBy(() -> mixed.plan(spark, SCHEMA))
        .hasMessageContaining(
            "models[1].errors.policy (model 'b'): skip differs from models[0]'s fail; a chain has one"
                + " error policy.")
        .hasMessageContaining(
            "models[1].outputs.probabilities.column (model 'b'): column 'sl' is an input column;");
  }

  @Test
  void singleModelPlanGetsOneModelColumn() throws Exception {
    Dataset<Row> in = flowers(20, 1);
    InferencePlan single =
        BatchInference.builder()
            .modelPath(Projects.irisModel().toString(), null)
            .input("input", InputMapping.columns("sl", "sw", "pl", "pw"))
            .output("output", OutputMapping.toColumn("probs"))
            .passthrough(List.of("id"))
            .plan(spark, in.schema());
    assertThatThrownBy(() -> ChainPlan.of(single, "probs"))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining(
            "output.model_column: column 'probs' is already an output column; choose another"
                + " name.");
    ChainPlan plan = ChainPlan.of(single, "model");
    assertThat(plan.outputSchema().fieldNames()).containsExactly("id", "probs", "model");
    String sha = Sha256.hex(Files.readAllBytes(Projects.irisModel())).substring(0, 12);
    assertThat(plan.apply(in).scored().collectAsList())
        .hasSize(20)
        .allSatisfy(r -> assertThat(r.getString(2)).isEqualTo(sha));
    assertThat(ChainPlan.of(single, null).apply(in).scored().columns())
        .containsExactly("id", "probs");
  }

  /** ONNX Runtime failures inside a chain name the model: rows failing alone, a broken model. */
  @Test
  void inferenceErrorsAndBrokenModelsNameTheModel() {
    Path lookup =
        TestModels.write(TestModels.lookup("idx", "value", 10), tmp.resolve("lookup.onnx"));
    StructType schema =
        new StructType().add("id", DataTypes.LongType, false).add("idx", DataTypes.LongType, false);
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 100; id++) {
      data.add(RowFactory.create(id, id == 17 || id == 60 ? 99L : id % 10));
    }
    Dataset<Row> input = spark.createDataFrame(data, schema).coalesce(1);
    InferencePlan.Scored scored =
        BatchInferenceChain.builder()
            .model(
                "table",
                BatchInference.builder()
                    .modelPath(lookup.toString(), null)
                    .input("idx", InputMapping.column("idx"))
                    .output("value", OutputMapping.toColumn("value"))
                    .batchSize(16)
                    .errorPolicy(ErrorPolicy.DEAD_LETTER))
            .passthrough(List.of("id"))
            .plan(spark, schema)
            .apply(input);
    scored.emitted().persist();
    try {
      List<Row> bad = scored.rejected().orderBy("id").collectAsList();
      assertThat(bad).extracting(r -> r.getLong(0)).containsExactly(17L, 60L);
      assertThat(bad)
          .allSatisfy(
              r -> {
                assertThat(r.<String>getAs("_error_code")).isEqualTo("inference_error");
                assertThat(r.<String>getAs("_error_column")).isEqualTo("table");
                assertThat(r.<String>getAs("_error_message"))
                    .startsWith("model 'table': model run failed: ");
              });
      assertThat(scored.scored().count()).isEqualTo(98);
    } finally {
      scored.emitted().unpersist();
    }

    byte[] hungry = TestModels.allocationHungry("features", "y", 2);
    Path broken = TestModels.write(hungry, tmp.resolve("hungry.onnx"));
    StructType arrays =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 50; id++) {
      rows.add(RowFactory.create(id, List.of((float) id, 1f)));
    }
    InferencePlan.Scored failing =
        BatchInferenceChain.builder()
            .model(
                null,
                BatchInference.builder()
                    .modelPath(broken.toString(), null)
                    .input("features", InputMapping.column("features"))
                    .output("y", OutputMapping.toColumn("y")))
            .plan(spark, arrays)
            .apply(spark.createDataFrame(rows, arrays).coalesce(1));
    assertThatThrownBy(() -> failing.scored().count())
        .rootCause()
        .isInstanceOf(ModelFailureException.class)
        .hasMessageContaining(
            "model 'hungry' (file:"
                + broken
                + ", sha256 "
                + Sha256.hex(hungry)
                + ") fails on every input");
  }

  private static void close(List<Float> got, float[] want) {
    assertThat(got).hasSize(want.length);
    for (int k = 0; k < want.length; k++) {
      assertThat(got.get(k)).isCloseTo(want[k], within(1e-6f));
    }
  }
}
