package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.session.SessionCache;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The job end to end: real Parquet in, real ONNX Runtime, real Parquet out. */
class BatchInferenceJobTest extends SparkTestBase {
  private static final String[] LABELS = {"setosa", "versicolor", "virginica"};

  @TempDir Path tmp;

  /**
   * 500 rows in 4 partitions (125 each): batch 1, 7 (divides neither 500 nor 125) and 1000 (larger
   * than a partition). The oracle runs every row alone through ONNX Runtime.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 7, 1000})
  void predictionsEqualDirectOnnxRuntime(int batchSize) throws Exception {
    Path input = writeIrisLike(spark, tmp, 500, 4, 42);
    Path output = tmp.resolve("out");
    Path conf = writeConfig(tmp, irisConfig(input, output));

    JobTestSupport.Run run =
        cli("--config", conf.toString(), "--set", "model.batch_size=" + batchSize);

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("rows_in=500 rows_out=500");
    Dataset<Row> in = spark.read().parquet(input.toString());
    List<Row> out = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    List<Row> expectedRows = in.orderBy("id").collectAsList();
    assertThat(out).hasSize(500);
    try (Oracle oracle = new Oracle(Projects.irisModel())) {
      for (int i = 0; i < out.size(); i++) {
        Row e = expectedRows.get(i);
        Row o = out.get(i);
        assertThat(o.<Long>getAs("id")).isEqualTo(e.<Long>getAs("id"));
        assertThat(o.<String>getAs("day")).isEqualTo(e.<String>getAs("day"));
        float[] features = {
          (float) e.getDouble(1),
          (float) e.getDouble(2),
          (float) e.getDouble(3),
          (float) e.getDouble(4)
        };
        float[] want = oracle.runRow("input", "output", features);
        List<Float> got = o.getList(o.fieldIndex("probabilities"));
        assertThat(got).hasSize(3);
        int best = 0;
        for (int k = 0; k < 3; k++) {
          assertThat(got.get(k)).isCloseTo(want[k], within(1e-6f));
          best = want[k] > want[best] ? k : best;
        }
        assertThat(o.<Integer>getAs("class_index")).isEqualTo(best);
        assertThat(o.<String>getAs("class_index_label")).isEqualTo(LABELS[best]);
      }
    }
  }

  @Test
  void emptyPartitionsAndEmptyInputGiveValidOutput() throws Exception {
    // 3 rows spread over 8 partitions: at least 5 partitions are empty.
    Path input = writeIrisLike(spark, tmp, 3, 8, 7);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli("--config", writeConfig(tmp, irisConfig(input, output)).toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(3);

    // A filter that keeps nothing: the output exists, is empty, and has the full schema.
    Path empty = tmp.resolve("empty");
    run =
        cli(
            "--config",
            writeConfig(tmp, irisConfig(input, empty)).toString(),
            "--set",
            "input.filter=id < 0");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("rows_in=0 rows_out=0");
    Dataset<Row> read = spark.read().parquet(empty.toString());
    assertThat(read.count()).isZero();
    assertThat(read.columns())
        .containsExactly("id", "day", "probabilities", "class_index", "class_index_label");
  }

  @Test
  void oneSessionPerJvmAcrossTasksAndJobs() throws Exception {
    SessionCache.closeAll();
    Path input = writeIrisLike(spark, tmp, 400, 8, 3);
    JobTestSupport.Run first =
        cli("--config", writeConfig(tmp, irisConfig(input, tmp.resolve("a"))).toString());
    JobTestSupport.Run second =
        cli("--config", writeConfig(tmp, irisConfig(input, tmp.resolve("b"))).toString());
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(second.exitCode()).as(second.err()).isZero();
    // 8 tasks per job, 2 jobs, one local executor JVM: one session in all.
    assertThat(first.out()).contains("sessions_created=1");
    assertThat(second.out()).contains("sessions_created=0");
    assertThat(SessionCache.sessionsCreated()).isEqualTo(1);
    assertThat(SessionCache.size()).isEqualTo(1);
  }

  @Test
  void partitionByWritesHiveStyleDirectories() throws Exception {
    Path input = writeIrisLike(spark, tmp, 30, 2, 5);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, irisConfig(input, output)).toString(),
            "--set",
            "output.partition_by=[day]",
            "--set",
            "output.compression=zstd");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(output.resolve("day=2026-11-01")).isDirectory();
    assertThat(output.resolve("day=2026-11-02")).isDirectory();
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(30);
  }

  @Test
  void inputPartitionsSpreadsASingleFileOverTasks() throws Exception {
    Path input = writeIrisLike(spark, tmp, 90, 1, 4);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, irisConfig(input, output)).toString(),
            "--set",
            "input.partitions=3");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=90 rows_out=90");
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(output)) {
      // One input file would make one task; three partitions write three files.
      assertThat(files.filter(f -> f.toString().endsWith(".parquet")).count()).isEqualTo(3);
    }
    assertThat(spark.read().parquet(output.toString()).select("id").distinct().count())
        .isEqualTo(90);
    JobTestSupport.Run bad =
        cli(
            "--config",
            writeConfig(tmp, irisConfig(input, tmp.resolve("o2"))).toString(),
            "--set",
            "input.partitions=0");
    assertThat(bad.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(bad.err()).contains("input.partitions: must be at least 1");
  }

  @Test
  void topKAgreesWithArgmaxAndProbabilities() throws Exception {
    Path input = writeIrisLike(spark, tmp, 60, 2, 8);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, irisConfig(input, output)).toString(),
            "--set",
            "outputs.output.top_k={k: 2, indices: top_i, scores: top_p}");
    assertThat(run.exitCode()).as(run.err()).isZero();
    for (Row r : spark.read().parquet(output.toString()).collectAsList()) {
      List<Float> p = r.getList(r.fieldIndex("probabilities"));
      List<Integer> top = r.getList(r.fieldIndex("top_i"));
      List<Float> scores = r.getList(r.fieldIndex("top_p"));
      assertThat(top).hasSize(2).first().isEqualTo(r.<Integer>getAs("class_index"));
      assertThat(scores.get(0)).isEqualTo(p.get(top.get(0)));
      assertThat(scores.get(1)).isEqualTo(p.get(top.get(1))).isLessThanOrEqualTo(scores.get(0));
    }
  }

  @Test
  void readsConfigGivenAsUri() throws Exception {
    Path input = writeIrisLike(spark, tmp, 10, 1, 1);
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("out")));
    JobTestSupport.Run run = cli("--config", conf.toUri().toString(), "--dry-run");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JobTestSupport.Run missing = cli("--config", "file:///no/such/job.yaml");
    assertThat(missing.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(missing.err()).contains("--config: file not found: /no/such/job.yaml");
  }

  @Test
  void dryRunPrintsPlanAndWritesNothing() throws Exception {
    Path input = writeIrisLike(spark, tmp, 10, 1, 1);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli("--config", writeConfig(tmp, irisConfig(input, output)).toString(), "--dry-run");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains(
            "input <- [sepal_length, sepal_width, petal_length, petal_width] as [?, 4] float32")
        .contains("batches of 16 rows")
        .contains("nothing was run");
    assertThat(output).doesNotExist();
  }
}
