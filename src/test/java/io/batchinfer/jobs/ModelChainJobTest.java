package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.model.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code models:} through the job: the committed chain example (embed → head, plus the independent
 * logreg) on real Parquet, compared with ONNX Runtime called directly on each model in turn; the
 * lineage columns; the report and summary; dead letters naming the model that rejected a row.
 */
class ModelChainJobTest extends SparkTestBase {
  static final Path EMBED = Projects.root().resolve("models/iris-chain/iris-embed.onnx");
  static final Path HEAD = Projects.root().resolve("models/iris-chain/iris-head.onnx");
  static final Path EXAMPLE = Projects.root().resolve("conf/examples/iris-chain.yaml");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void chainAndIndependentModelEqualOnnxRuntimeRunOneAfterTheOther() throws Exception {
    Path input = writeIrisLike(spark, tmp, 300, 3, 11);
    Path output = tmp.resolve("out");
    Path summary = tmp.resolve("summary.json");
    JobTestSupport.Run run =
        cli(
            "--config",
            EXAMPLE.toString(),
            "--set",
            "input.path=" + input,
            "--set",
            "output.path=" + output,
            "--set",
            "passthrough=[id]",
            "--set",
            "models[0].model.batch_size=7",
            "--summary-json",
            summary.toString());

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    String embedSha = sha(EMBED);
    String headSha = sha(HEAD);
    String logregSha = sha(Projects.irisModel());
    assertThat(run.out())
        .contains("rows_in=300 rows_out=300 rows_rejected=0")
        .contains(
            "models=embed:"
                + embedSha.substring(0, 12)
                + ",head:"
                + headSha.substring(0, 12)
                + ",logreg:"
                + logregSha.substring(0, 12));
    List<Row> in = spark.read().parquet(input.toString()).orderBy("id").collectAsList();
    List<Row> out = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    assertThat(out).hasSize(300);
    assertThat(spark.read().parquet(output.toString()).columns())
        .containsExactly(
            "id",
            "embedding",
            "head_probabilities",
            "head_class",
            "head_species",
            "logreg_probabilities",
            "logreg_class",
            "logreg_species",
            "model_sha_embed",
            "model_sha_head",
            "model_sha_logreg");
    try (Oracle embed = new Oracle(EMBED);
        Oracle head = new Oracle(HEAD);
        Oracle logreg = new Oracle(Projects.irisModel())) {
      for (int i = 0; i < out.size(); i++) {
        Row e = in.get(i);
        Row o = out.get(i);
        assertThat(o.<Long>getAs("id")).isEqualTo(e.<Long>getAs("id"));
        float[] features = {
          (float) e.getDouble(1),
          (float) e.getDouble(2),
          (float) e.getDouble(3),
          (float) e.getDouble(4)
        };
        float[] embedding = embed.runRow("features", "embedding", features);
        float[] probs = head.runRow("embedding", "probabilities", embedding);
        float[] logregProbs = logreg.runRow("input", "output", features);
        assertFloats(o.getList(o.fieldIndex("embedding")), embedding);
        assertFloats(o.getList(o.fieldIndex("head_probabilities")), probs);
        assertFloats(o.getList(o.fieldIndex("logreg_probabilities")), logregProbs);
        assertThat(o.<Integer>getAs("head_class")).isEqualTo(argmax(probs));
        assertThat(o.<Integer>getAs("logreg_class")).isEqualTo(argmax(logregProbs));
        assertThat(o.<String>getAs("model_sha_embed")).isEqualTo(embedSha.substring(0, 12));
        assertThat(o.<String>getAs("model_sha_head")).isEqualTo(headSha.substring(0, 12));
        assertThat(o.<String>getAs("model_sha_logreg")).isEqualTo(logregSha.substring(0, 12));
      }
    }
    JsonNode report = JSON.readTree(output.resolve("_batchinfer/report.json").toFile());
    assertThat(report.path("models")).hasSize(3);
    assertThat(report.path("models").get(0).path("name").asText()).isEqualTo("embed");
    assertThat(report.path("models").get(0).path("sha256").asText()).isEqualTo(embedSha);
    assertThat(report.path("models").get(1).path("sha256").asText()).isEqualTo(headSha);
    assertThat(report.path("models").get(2).path("sha256").asText()).isEqualTo(logregSha);
    assertThat(report.path("models").get(1).path("distribution").asText()).isEqualTo("broadcast");
    assertThat(report.path("models").get(1).path("device").asText()).isEqualTo("cpu");
    assertThat(report.path("models").get(2).path("model_column").asText())
        .isEqualTo("model_sha_logreg");
    assertThat(Files.readString(output.resolve("_batchinfer/report.html")))
        .contains("models (in order)")
        .contains("head: ")
        .contains(headSha);
    JsonNode s = JSON.readTree(summary.toFile());
    assertThat(s.path("models")).hasSize(3);
    assertThat(s.path("models").get(1).path("name").asText()).isEqualTo("head");
    assertThat(s.path("rows_in").asLong()).isEqualTo(300);
  }

  @Test
  void dryRunShowsTheChainInOrder() throws Exception {
    Path input = writeIrisLike(spark, tmp, 10, 1, 3);
    JobTestSupport.Run run =
        cli(
            "--config",
            EXAMPLE.toString(),
            "--set",
            "input.path=" + input,
            "--set",
            "output.path=" + tmp.resolve("never"),
            "--set",
            "passthrough=[id]",
            "--dry-run");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out())
        .contains("chain:    3 models in one pass, in order: embed -> head -> logreg")
        .contains("--- models[1] head: reads input columns and [embedding of embed]")
        .contains("--- models[2] logreg: reads input columns\n")
        .contains("lineage:  column model_sha_head = " + sha(HEAD).substring(0, 12));
    assertThat(run.out().indexOf("models[0] embed"))
        .isLessThan(run.out().indexOf("models[1] head"));
    assertThat(Files.exists(tmp.resolve("never"))).isFalse();
  }

  /**
   * Under dead-letter: a null feature is rejected by the first model, a NaN in the column only the
   * last model reads by that model; every row is written once, each model runs once (rows_in counts
   * each input row once, which a recomputed first model would double).
   */
  @Test
  void deadLettersNameTheModelThatRejectedTheRow() throws Exception {
    Path conf = dirtyConfig();
    Path output = tmp.resolve("out");
    Path dead = tmp.resolve("dead");
    JobTestSupport.Run run =
        cli(
            "--config",
            conf.toString(),
            "--set",
            "output.path=" + output,
            "--set",
            "errors.policy=dead-letter",
            "--set",
            "errors.dead_letter_path=" + dead,
            "--set",
            "errors.max_rejected_fraction=0.5");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    // 6 null sepal_length (ids 3, 13, ..., 53) rejected by embed; NaN petal_width_2 on ids 4, 19,
    // 34, 49, none of them null, rejected by logreg.
    assertThat(run.out()).contains("rows_in=60 rows_out=50 rows_rejected=10");
    List<Row> bad = spark.read().parquet(dead.toString()).orderBy("id").collectAsList();
    assertThat(bad).hasSize(10);
    assertThat(spark.read().parquet(dead.toString()).columns())
        .containsExactly(
            "id",
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "petal_width_2",
            "_error_code",
            "_error_column",
            "_error_message");
    for (Row r : bad) {
      long id = r.<Long>getAs("id");
      if (id % 10 == 3) {
        assertThat(r.<String>getAs("_error_code")).isEqualTo("null_value");
        assertThat(r.<String>getAs("_error_column")).startsWith("embed:");
        assertThat(r.<String>getAs("_error_message")).startsWith("model 'embed': ");
      } else {
        assertThat(id % 15).isEqualTo(4);
        assertThat(r.<String>getAs("_error_code")).isEqualTo("nan_value");
        assertThat(r.<String>getAs("_error_column")).startsWith("logreg:");
        assertThat(r.<String>getAs("_error_message")).startsWith("model 'logreg': ");
      }
    }
    List<Row> good = spark.read().parquet(output.toString()).collectAsList();
    assertThat(good).hasSize(50);
    assertThat(good)
        .allSatisfy(
            r -> {
              assertThat(r.<Long>getAs("id") % 10).isNotEqualTo(3);
              assertThat(r.<Long>getAs("id") % 15).isNotEqualTo(4);
            });
  }

  /**
   * 60 flowers in 2 files with an extra column petal_width_2 (what logreg reads instead of
   * petal_width): sepal_length null on ids 3, 13, ..., 53 (rejected by embed, the first model),
   * petal_width_2 NaN on ids 4, 19, 34, 49 (rejected by logreg, the last).
   *
   * @return the example config reading them
   */
  private Path dirtyConfig() throws Exception {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("sepal_length", DataTypes.DoubleType, true)
            .add("sepal_width", DataTypes.DoubleType, false)
            .add("petal_length", DataTypes.DoubleType, false)
            .add("petal_width", DataTypes.DoubleType, false)
            .add("petal_width_2", DataTypes.DoubleType, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Double sepalLength = i % 10 == 3 ? null : 5.0 + (i % 7) * 0.2;
      double pw2 = i % 15 == 4 ? Double.NaN : 0.2 + (i % 5) * 0.4;
      rows.add(
          RowFactory.create((long) i, sepalLength, 3.0, 1.5 + (i % 4), 0.2 + (i % 5) * 0.4, pw2));
    }
    Path input = tmp.resolve("in");
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(input.toString());
    String yaml =
        Files.readString(EXAMPLE)
            .replace(
                "input: {columns: [sepal_length, sepal_width, petal_length, petal_width]}",
                "input: {columns: [sepal_length, sepal_width, petal_length, petal_width_2]}")
            .replace("passthrough: [id, species]", "passthrough: [id]")
            .replace("path: data/iris/iris.parquet", "path: \"" + input + "\"")
            .replace("models/", Projects.root() + "/models/");
    return writeConfig(tmp, yaml);
  }

  @Test
  void skippedRowsAreCountedPerModel() throws Exception {
    Path summary = tmp.resolve("summary.json");
    JobTestSupport.Run run =
        cli(
            "--config",
            dirtyConfig().toString(),
            "--set",
            "output.path=" + tmp.resolve("out"),
            "--set",
            "errors.policy=skip",
            "--set",
            "errors.max_rejected_fraction=0.5",
            "--summary-json",
            summary.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("rows_in=60 rows_out=50 rows_rejected=10");
    JsonNode rejections = JSON.readTree(summary.toFile()).path("rejections");
    assertThat(rejections).hasSize(2);
    assertThat(rejections.get(0).path("column").asText()).isEqualTo("embed:sepal_length");
    assertThat(rejections.get(0).path("count").asLong()).isEqualTo(6);
    assertThat(rejections.get(0).path("example").asText()).contains("model 'embed': ");
    assertThat(rejections.get(1).path("column").asText()).isEqualTo("logreg:petal_width_2");
    assertThat(rejections.get(1).path("count").asLong()).isEqualTo(4);
  }

  @Test
  void failMessageNamesTheModel() throws Exception {
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli("--config", dirtyConfig().toString(), "--set", "output.path=" + output);
    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains("column 'embed:sepal_length': model 'embed': ");
  }

  @Test
  void resumableRunScoresTheChainChunkByChunk() throws Exception {
    Path input = writeIrisLike(spark, tmp, 90, 3, 21);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            EXAMPLE.toString(),
            "--set",
            "input.path=" + input,
            "--set",
            "output.path=" + output,
            "--set",
            "passthrough=[id]",
            "--set",
            "output.resume=true",
            "--set",
            "output.resume_chunk_files=1");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("rows_in=90 rows_out=90").contains("chunks=3 chunks_skipped=0");
    List<Row> out = spark.read().parquet(output.toString()).collectAsList();
    assertThat(out).hasSize(90);
    String headSha = sha(HEAD).substring(0, 12);
    assertThat(out)
        .allSatisfy(r -> assertThat(r.<String>getAs("model_sha_head")).isEqualTo(headSha));
  }

  @Test
  void singleModelGetsOneModelColumn() throws Exception {
    Path input = writeIrisLike(spark, tmp, 20, 2, 5);
    Path output = tmp.resolve("out");
    Path conf = writeConfig(tmp, JobTestSupport.irisConfig(input, output));
    JobTestSupport.Run run = cli("--config", conf.toString(), "--set", "output.model_column=model");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).doesNotContain("models=");
    List<Row> out = spark.read().parquet(output.toString()).collectAsList();
    assertThat(out).hasSize(20);
    String sha = sha(Projects.irisModel()).substring(0, 12);
    assertThat(out).allSatisfy(r -> assertThat(r.<String>getAs("model")).isEqualTo(sha));
  }

  static String sha(Path file) throws Exception {
    return Sha256.hex(Files.readAllBytes(file));
  }

  private static void assertFloats(List<Float> got, float[] want) {
    assertThat(got).hasSize(want.length);
    for (int k = 0; k < want.length; k++) {
      assertThat(got.get(k)).isCloseTo(want[k], within(1e-6f));
    }
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int k = 1; k < v.length; k++) {
      best = v[k] > v[best] ? k : best;
    }
    return best;
  }
}
