package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Error policies with real Spark, ONNX Runtime and Parquet: 1000 rows of which 10 (1%) are bad in
 * five ways; every row must end as an output row or a rejection, never lost.
 */
class ErrorPolicyTest extends SparkTestBase {
  private static final String IGNORE_CORRUPT_FILES_CONF = "spark.sql.files.ignoreCorruptFiles";
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.DoubleType, true), true)
          .add("note", DataTypes.StringType, true);

  /** Bad row k (k = 0..9) is id 5 + 100k; its kind is k % 5. */
  private static final String[] CODES = {
    "null_value", "shape_mismatch", "nan_value", "nan_value", "null_value"
  };

  /** Input and model, written once per class: every test only reads them. */
  @TempDir static Path shared;

  private static Path input;
  private static Path model;
  private static final Map<Long, Row> byId = new HashMap<>();
  @TempDir Path tmp;

  @BeforeAll
  static void data() {
    Random random = new Random(99);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 1000; id++) {
      Double[] f = {
        random.nextGaussian(), random.nextGaussian(), random.nextGaussian(), random.nextGaussian()
      };
      List<Double> features = Arrays.asList(f);
      if (id % 100 == 5) {
        switch ((int) (id / 100) % 5) {
          case 0 -> features = null;
          case 1 -> features = Arrays.asList(f[0], f[1], f[2]);
          case 2 -> f[1] = Double.NaN;
          case 3 -> f[3] = Double.POSITIVE_INFINITY;
          default -> f[2] = null;
        }
      }
      Row r = RowFactory.create(id, features, "row " + id);
      rows.add(r);
      byId.put(id, r);
    }
    input = shared.resolve("input");
    spark.createDataFrame(rows, SCHEMA).repartition(4).write().parquet(input.toString());
    model =
        TestModels.write(
            TestModels.linear(
                "features",
                "logits",
                new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}},
                new float[] {0.5f, -0.5f, 0}),
            shared.resolve("m.onnx"));
  }

  private String config(String errors) {
    return """
        input: {path: "%s"}
        model: {path: "%s", batch_size: 32}
        inputs: {features: {column: features}}
        outputs: {logits: {column: logits, argmax: cls}}
        passthrough: [id]
        output: {path: "%s"}
        %s
        """
        .formatted(input, model, tmp.resolve("out"), errors);
  }

  private JobTestSupport.Run run(String errors) throws IOException {
    return cli("--config", writeConfig(tmp, config(errors)).toString());
  }

  @Test
  void failPolicyStopsAtFirstBadRowNamingIdAndColumn() throws IOException {
    JobTestSupport.Run run = run("errors: {policy: fail}");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .containsPattern("partition \\d+, row \\d+ \\(id=\\d*5\\): column 'features")
        .doesNotContain("\tat ");
    // The aborted write's empty folder is removed: a rerun with output.mode error must not refuse
    // it.
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void skipPolicyCountsAndDropsBadRows() throws IOException {
    JobTestSupport.Run run = run("errors: {policy: skip}");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=1000 rows_out=990 rows_rejected=10");
    List<Long> ids =
        spark
            .read()
            .parquet(tmp.resolve("out").toString())
            .select("id")
            .as(org.apache.spark.sql.Encoders.LONG())
            .collectAsList();
    assertThat(ids).hasSize(990).doesNotHaveDuplicates().allMatch(id -> id % 100 != 5);
  }

  @Test
  void deadLetterKeepsOriginalValuesAndReasons() throws IOException {
    Path dead = tmp.resolve("dead");
    JobTestSupport.Run run =
        run("errors: {policy: dead-letter, dead_letter_path: \"" + dead + "\"}");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("rows_in=1000 rows_out=990 rows_rejected=10")
        .contains("dead_letter=" + dead);
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count()).isEqualTo(990);
    List<Row> rejected = spark.read().parquet(dead.toString()).collectAsList();
    assertThat(rejected).hasSize(10);
    assertThat(spark.read().parquet(dead.toString()).columns())
        .containsExactly(
            "id", "features", "note", "_error_code", "_error_column", "_error_message");
    for (Row r : rejected) {
      long id = r.getLong(0);
      assertThat(id % 100).isEqualTo(5);
      Row original = byId.get(id);
      // Original values survive, NaN and nulls included (compared as strings: NaN != NaN).
      assertThat(String.valueOf(r.isNullAt(1) ? null : r.getList(1)))
          .isEqualTo(String.valueOf(original.get(1)));
      assertThat(r.getString(2)).isEqualTo(original.getString(2));
      assertThat(r.getString(3)).isEqualTo(CODES[(int) (id / 100) % 5]);
      assertThat(r.getString(4)).startsWith("features");
      assertThat(r.getString(5)).isNotBlank();
    }
  }

  @Test
  void tooManyRejectionsFailBeforeWriting() throws IOException {
    Path dead = tmp.resolve("dead");
    JobTestSupport.Run run =
        run(
            "errors: {policy: dead-letter, dead_letter_path: \""
                + dead
                + "\", max_rejected_fraction: 0.005}");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains(
            "10 of 1000 rows (0.0100) were rejected, more than errors.max_rejected_fraction 0.005")
        .contains("nothing was written");
    assertThat(tmp.resolve("out")).doesNotExist();
    assertThat(dead).doesNotExist();
  }

  @Test
  void allNanInputUnderSkipIsAFailedEmptyRunUnlessExplicitlyAllowed() throws IOException {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 500; id++) {
      rows.add(RowFactory.create(id, Arrays.asList(Double.NaN, 1.0, 2.0, 3.0), "nan " + id));
    }
    Path nan = tmp.resolve("nan");
    spark.createDataFrame(rows, SCHEMA).repartition(2).write().parquet(nan.toString());
    Path report = tmp.resolve("report/report.json");
    Path summary = tmp.resolve("summary.json");
    String yaml =
        config("errors: {policy: skip}\nreport: {path: \"" + report + "\"}")
            .replace("input: {path: \"" + input + "\"}", "input: {path: \"" + nan + "\"}");
    Path conf = writeConfig(tmp, yaml);
    JobTestSupport.Run run = cli("--config", conf.toString(), "--summary-json", summary.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains(
            "batchinfer: job failed: empty run: all 500 input rows were rejected and none was"
                + " scored, so nothing was written. Why: 500 rows nan_value in features[0] (first: partition ")
        .contains("set errors.max_rejected_fraction: 1 if an empty result is acceptable");
    assertThat(run.out())
        .contains(
            "status=failed reason=empty_run rows_in=500 rows_out=0 rows_rejected=500 batches=0");
    assertThat(tmp.resolve("out")).doesNotExist();
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    var s = json.readTree(summary.toFile());
    assertThat(s.path("status").asText()).isEqualTo("failed");
    assertThat(s.path("reason").asText()).isEqualTo("empty_run");
    assertThat(s.path("rejections").get(0).path("code").asText()).isEqualTo("nan_value");
    assertThat(s.path("rejections").get(0).path("count").asLong()).isEqualTo(500);
    var r = json.readTree(report.toFile());
    assertThat(r.path("status").asText()).isEqualTo("failed");
    assertThat(r.path("reason").asText()).isEqualTo("empty_run");
    assertThat(r.path("error").asText()).startsWith("empty run: all 500 input rows were rejected");
    assertThat(r.path("rows").path("rejections").get(0).path("count").asLong()).isEqualTo(500);
    assertThat(r.path("batches").asLong()).isZero();
    assertThat(r.path("batches_failed").asLong()).isZero();

    run =
        cli(
            "--config",
            conf.toString(),
            "--set",
            "errors.max_rejected_fraction=1",
            "--set",
            "output.mode=overwrite");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("status=ok rows_in=500 rows_out=0 rows_rejected=500");
  }

  @Test
  void defaultRejectionBudgetUnderSkipIsATenthOfTheRows() throws IOException {
    // 1% bad rows pass under the default (skipPolicyCountsAndDropsBadRows); here the filter keeps
    // the 10 bad rows (id % 100 = 5) and 39 good ones (id < 40 but 5): 20% rejected, over 0.1.
    String yaml =
        config("errors: {policy: skip}")
            .replace(
                "input: {path: \"" + input + "\"}",
                "input: {path: \"" + input + "\", filter: \"id % 100 = 5 OR id < 40\"}");
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains(
            "10 of 49 rows (0.2041) were rejected, more than errors.max_rejected_fraction 0.1;"
                + " nothing was written.");
    assertThat(run.out()).contains("status=failed reason=too_many_rejected");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void allowNanLetsNanAndInfinityThrough() throws IOException {
    JobTestSupport.Run run = run("errors: {policy: skip, allow_nan: true}");
    assertThat(run.exitCode()).as(run.err()).isZero();
    // The 4 NaN/Infinity rows now reach the model; null and short rows are still rejected.
    assertThat(run.out()).contains("rows_in=1000 rows_out=994 rows_rejected=6");
  }

  @Test
  void failingBatchIsRetriedRowByRow() throws IOException {
    Path lookup =
        TestModels.write(TestModels.lookup("idx", "value", 10), tmp.resolve("lookup.onnx"));
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 200; id++) {
      rows.add(RowFactory.create(id, id == 17 || id == 18 || id == 150 ? 99L : id % 10));
    }
    Path in = tmp.resolve("idx");
    spark
        .createDataFrame(
            rows, new StructType().add("id", DataTypes.LongType).add("idx", DataTypes.LongType))
        .coalesce(2)
        .write()
        .parquet(in.toString());
    Path dead = tmp.resolve("dead");
    String yaml =
        """
        input: {path: "%s"}
        model: {path: "%s", batch_size: 16}
        inputs: {idx: {column: idx}}
        outputs: {value: {column: value}}
        passthrough: [id, idx]
        output: {path: "%s"}
        errors: {policy: dead-letter, dead_letter_path: "%s"}
        """
            .formatted(in, lookup, tmp.resolve("out"), dead);
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=200 rows_out=197 rows_rejected=3");
    for (Row r : spark.read().parquet(tmp.resolve("out").toString()).collectAsList()) {
      // table[i] = 10 i, by construction of the model.
      assertThat(r.getFloat(2)).isEqualTo(10f * r.getLong(1));
    }
    List<Row> bad = spark.read().parquet(dead.toString()).orderBy("id").collectAsList();
    assertThat(bad).extracting(r -> r.getLong(0)).containsExactly(17L, 18L, 150L);
    assertThat(bad)
        .allSatisfy(
            r -> {
              assertThat(r.<String>getAs("_error_code")).isEqualTo("inference_error");
              assertThat(r.<String>getAs("_error_message")).contains("model run failed");
            });
  }

  @Test
  void truncatedParquetFileIsNamedOrSkipped() throws IOException {
    // This test damages a file: it works on its own copy of the shared input.
    Path input = tmp.resolve("input");
    Files.createDirectories(input);
    try (Stream<Path> files = Files.list(ErrorPolicyTest.input)) {
      for (Path f : files.toList()) {
        Files.copy(f, input.resolve(f.getFileName()));
      }
    }
    Path victim;
    try (Stream<Path> files = Files.list(input)) {
      victim =
          files.filter(f -> f.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
    }
    long victimRows = spark.read().parquet(victim.toString()).count();
    byte[] bytes = Files.readAllBytes(victim);
    Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
    Files.deleteIfExists(victim.resolveSibling("." + victim.getFileName() + ".crc"));

    String sessionSetting = spark.conf().get(IGNORE_CORRUPT_FILES_CONF);
    String config =
        config("errors: {policy: skip}")
            .replace(ErrorPolicyTest.input.toString(), input.toString());
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, config).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("input.path: 1 input file(s) are not readable Parquet")
        .contains(victim.getFileName().toString())
        .contains("input.ignore_corrupt_files: true");

    String yaml =
        config.replace(
            "input: {path: \"" + input + "\"}",
            "input: {path: \"" + input + "\", ignore_corrupt_files: true}");
    run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("corrupt_files_skipped=1")
        .contains("rows_in=" + (1000 - victimRows));
    // Skipping is a read option of the job's input, not a session-wide setting left behind.
    assertThat(spark.conf().get(IGNORE_CORRUPT_FILES_CONF)).isEqualTo(sessionSetting);
    assertThatThrownBy(() -> spark.read().parquet(input.toString()).count())
        .hasStackTraceContaining(victim.getFileName().toString());
  }

  @Test
  void modelOutsideAllowedRootsIsRefused() throws IOException {
    Path elsewhere = Files.createDirectories(tmp.resolve("approved"));
    String yaml =
        config("")
            .replace("batch_size: 32}", "batch_size: 32, allowed_roots: [\"" + elsewhere + "\"]}");
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err()).contains("model.path: file:" + model + " is outside model.allowed_roots");
    yaml =
        config("errors: {policy: skip}")
            .replace(
                "batch_size: 32}",
                "batch_size: 32, allowed_roots: [\"" + model.getParent() + "\"]}");
    assertThat(cli("--config", writeConfig(tmp, yaml).toString()).exitCode()).isZero();
  }

  @Test
  void customOpLibrariesAreLoadedOnlyWhenNamed() throws IOException {
    // Without the key nothing is loaded (every other test here). With it, the library is loaded
    // into each session, so a missing one fails the job naming it.
    Path missing = tmp.resolve("libmissing_ops.so");
    String yaml =
        config("errors: {policy: skip}")
            .replace(
                "batch_size: 32}", "batch_size: 32, custom_op_libraries: [\"" + missing + "\"]}");
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains("cannot create an ONNX Runtime session")
        .contains("model.custom_op_libraries [" + missing + "]");
  }

  @Test
  void deadLettersArePartitionedAndReplacedPerDayUnderOverwritePartitions() throws IOException {
    Path days = tmp.resolve("days");
    spark
        .read()
        .parquet(input.toString())
        .withColumn(
            "day", org.apache.spark.sql.functions.expr("IF(id < 500, '2026-11-01', '2026-11-02')"))
        .write()
        .parquet(days.toString());
    Path out = tmp.resolve("daily");
    Path dead = tmp.resolve("daily-dead");
    String yaml =
        """
        input: {path: "%s", filter: "day = '${ds}'"}
        model: {path: "%s", batch_size: 32}
        inputs: {features: {column: features}}
        outputs: {logits: {column: logits}}
        passthrough: [id, day]
        output: {path: "%s", mode: overwrite-partitions, partition_by: [day]}
        errors: {policy: dead-letter, dead_letter_path: "%s"}
        """
            .formatted(days, model, out, dead);
    Path conf = writeConfig(tmp, yaml);
    for (String ds : List.of("2026-11-01", "2026-11-02", "2026-11-01")) {
      JobTestSupport.Run run = cli("--config", conf.toString(), "--var", "ds=" + ds);
      assertThat(run.exitCode()).as(run.err()).isZero();
      assertThat(run.out()).contains("rows_in=500 rows_out=495 rows_rejected=5");
    }
    // Each day exactly once, in the output and in the dead letters.
    assertThat(spark.read().parquet(out.toString()).groupBy("day").count().collectAsList())
        .extracting(r -> r.get(0) + "=" + r.getLong(1))
        .containsExactlyInAnyOrder("2026-11-01=495", "2026-11-02=495");
    assertThat(spark.read().parquet(dead.toString()).groupBy("day").count().collectAsList())
        .extracting(r -> r.get(0) + "=" + r.getLong(1))
        .containsExactlyInAnyOrder("2026-11-01=5", "2026-11-02=5");
  }

  @Test
  void deadLetterNeedsAPath() throws IOException {
    JobTestSupport.Run run = run("errors: {policy: dead-letter}");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("errors.dead_letter_path: missing; errors.policy is dead-letter");
    run = run("errors: {policy: dead_lettre}");
    assertThat(run.err())
        .contains("errors.policy: unknown value 'dead_lettre'")
        .contains("Did you mean 'dead-letter'?");
  }
}
