package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.SparkTestBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs a scheduler repeats: variables on the command line, idempotent daily partitions
 * (overwrite-partitions), and resume after a failure, with real Spark, ONNX Runtime and Parquet.
 */
class ScheduledRunsTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Nullable features, so one file can carry a bad row. */
  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("sepal_length", DataTypes.DoubleType, true)
          .add("sepal_width", DataTypes.DoubleType, true)
          .add("petal_length", DataTypes.DoubleType, true)
          .add("petal_width", DataTypes.DoubleType, true)
          .add("day", DataTypes.StringType, false);

  @TempDir Path tmp;

  /**
   * @return {@code count} flowers from id {@code firstId} (fixed seed per id), on {@code day};
   *     {@code badId} has a null
   */
  static List<Row> flowers(long firstId, int count, String day, long badId) {
    List<Row> rows = new ArrayList<>();
    for (long id = firstId; id < firstId + count; id++) {
      Random r = new Random(id * 31 + 7);
      Double sepalLength = id == badId ? null : 4 + 4 * r.nextDouble();
      rows.add(
          RowFactory.create(
              id,
              sepalLength,
              2 + 2.5 * r.nextDouble(),
              1 + 6 * r.nextDouble(),
              0.1 + 2.4 * r.nextDouble(),
              day));
    }
    return rows;
  }

  /** Writes {@code rows} as exactly one Parquet file at {@code file} (replacing it). */
  static void writeFile(SparkSession spark, List<Row> rows, Path file) {
    Path dir = file.resolveSibling(file.getFileName() + ".tmp");
    spark
        .createDataFrame(rows, SCHEMA)
        .coalesce(1)
        .write()
        .mode("overwrite")
        .parquet(dir.toString());
    try (Stream<Path> files = Files.list(dir);
        Stream<Path> all = Files.walk(dir)) {
      Path part =
          files
              .filter(
                  p ->
                      p.getFileName().toString().startsWith("part-")
                          && p.getFileName().toString().endsWith(".parquet"))
              .findFirst()
              .orElseThrow();
      Files.createDirectories(file.getParent());
      Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String[] args(Path conf, String... more) {
    String[] a = new String[2 + more.length];
    a[0] = "--config";
    a[1] = conf.toString();
    System.arraycopy(more, 0, a, 2, more.length);
    return a;
  }

  private List<Row> read(Path out) {
    return spark.read().parquet(out.toString()).orderBy("id").collectAsList();
  }

  private static JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  // --- variables and overwrite-partitions ---

  private Path dailyConfig(Path out, boolean resume) throws IOException {
    String yaml =
        irisConfig(tmp.resolve("in-${ds}"), out)
            .replace(
                "output: {path: \"" + out + "\", mode: error}",
                "output: {path: \""
                    + out
                    + "\", mode: overwrite-partitions, partition_by: [day], resume: "
                    + resume
                    + ", resume_chunk_files: 1}");
    return writeConfig(tmp, yaml);
  }

  private void writeDay(String day, long firstId, int count) {
    // Two files per day, so a resumable run has two chunks.
    writeFile(
        spark, flowers(firstId, count / 2, day, -1), tmp.resolve("in-" + day).resolve("a.parquet"));
    writeFile(
        spark,
        flowers(firstId + count / 2, count - count / 2, day, -1),
        tmp.resolve("in-" + day).resolve("b.parquet"));
  }

  @ParameterizedTest(name = "resume={0}")
  @ValueSource(booleans = {false, true})
  void rerunOfOneDayReplacesOnlyThatDay(boolean resume) throws Exception {
    Path out = tmp.resolve("out");
    Path conf = dailyConfig(out, resume);
    writeDay("2026-11-01", 0, 10);
    writeDay("2026-11-02", 10, 10);

    JobTestSupport.Run a = cli(args(conf, "--var", "ds=2026-11-01"));
    JobTestSupport.Run b = cli(args(conf, "--var", "ds=2026-11-02"));
    assertThat(a.exitCode()).as(a.err()).isZero();
    assertThat(b.exitCode()).as(b.err()).isZero();
    // Day A again, with different rows (a backfill after an upstream fix).
    writeDay("2026-11-01", 100, 6);
    JobTestSupport.Run again = cli(args(conf, "--var", "ds=2026-11-01"));
    assertThat(again.exitCode()).as(again.err()).isZero();

    List<Row> rows =
        spark
            .read()
            .parquet(out.toString())
            .selectExpr("id", "cast(day as string)")
            .orderBy("id")
            .collectAsList();
    assertThat(
            rows.stream().filter(r -> r.getString(1).equals("2026-11-01")).map(r -> r.getLong(0)))
        .containsExactly(100L, 101L, 102L, 103L, 104L, 105L);
    assertThat(
            rows.stream().filter(r -> r.getString(1).equals("2026-11-02")).map(r -> r.getLong(0)))
        .containsExactly(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
    assertThat(rows).hasSize(16);
    if (resume) {
      assertThat(again.out()).contains("chunks=2 chunks_skipped=0");
      assertThat(out.resolve(ResumeState.RESUME_DIR)).isEmptyDirectory();
    }
  }

  @Test
  void unknownVariableIsAnInvalidConfigNamingKeyAndFix() throws Exception {
    JobTestSupport.Run run = cli(args(dailyConfig(tmp.resolve("out"), false)));
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("input.path: unknown variable ${ds}; set it on the command line with --var ds=")
        .contains("Nothing was run or written.")
        .doesNotContain("\tat ");
  }

  @Test
  void overwritePartitionsNeedsPartitionByAndResumeNeedsAnOverwriteMode() throws Exception {
    Path in = tmp.resolve("in");
    writeFile(spark, flowers(0, 5, "d", -1), in.resolve("a.parquet"));
    Path conf = writeConfig(tmp, irisConfig(in, tmp.resolve("out")));
    JobTestSupport.Run run = cli(args(conf, "--set", "output.mode=overwrite-partitions"));
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "output.mode: 'overwrite-partitions' replaces only the partitions a run writes, so"
                + " it needs output.partition_by (e.g. --set output.partition_by=[day])");
    run = cli(args(conf, "--set", "output.resume=true", "--set", "output.resume_chunk_files=0"));
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains("output.resume: needs output.mode overwrite or overwrite-partitions")
        .contains("found 'error'")
        .contains("output.resume_chunk_files: must be at least 1 input file per chunk; found 0");
  }

  // --- resume ---

  /** Six files of 50 rows; the fifth (third chunk of two files) holds a row with a null feature. */
  private Path resumableInput() {
    Path in = tmp.resolve("in");
    for (int k = 0; k < 6; k++) {
      writeFile(
          spark,
          flowers(k * 50L, 50, "d", k == 4 ? 4 * 50 + 7 : -1),
          in.resolve("f0" + k + ".parquet"));
    }
    return in;
  }

  private static String[] resumeArgs(Path conf, Path summary) {
    return args(
        conf,
        "--set",
        "output.mode=overwrite",
        "--set",
        "output.resume=true",
        "--set",
        "output.resume_chunk_files=2",
        "--summary-json",
        summary.toString());
  }

  @Test
  void rerunAfterAFailureSkipsCommittedChunksAndEqualsAnUninterruptedRun() throws Exception {
    Path in = resumableInput();
    Path out = tmp.resolve("out");
    Path conf = writeConfig(tmp, irisConfig(in, out));

    JobTestSupport.Run failed = cli(resumeArgs(conf, tmp.resolve("s1.json")));
    assertThat(failed.exitCode()).as(failed.out()).isEqualTo(ExitCodes.FAILED);
    assertThat(failed.err()).contains("column 'sepal_length'");
    // Two chunks committed, nothing published: the output holds no data yet.
    try (Stream<Path> markers = Files.walk(out.resolve(ResumeState.RESUME_DIR))) {
      assertThat(markers.filter(p -> p.toString().endsWith(".done"))).hasSize(2);
    }
    try (Stream<Path> top = Files.list(out)) {
      assertThat(top.map(p -> p.getFileName().toString())).containsExactly("_batchinfer");
    }
    JsonNode failedReport = json(out.resolve("_batchinfer/report.json"));
    assertThat(failedReport.path("status").asText()).isEqualTo("failed");
    assertThat(failedReport.path("error").asText()).contains("sepal_length");
    JsonNode s1 = json(tmp.resolve("s1.json"));
    assertThat(s1.path("status").asText()).isEqualTo("failed");
    assertThat(s1.path("exit_code").asInt()).isEqualTo(ExitCodes.FAILED);
    assertThat(s1.path("report").asText())
        .isEqualTo(out.resolve("_batchinfer/report.json").toString());

    // The upstream fix: the bad file is rewritten in place; the rerun (an Airflow retry) resumes.
    writeFile(spark, flowers(200, 50, "d", -1), in.resolve("f04.parquet"));
    JobTestSupport.Run resumed = cli(resumeArgs(conf, tmp.resolve("s2.json")));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.out())
        .contains("rows_in=100 rows_out=100")
        .contains("chunks=3 chunks_skipped=2");
    JsonNode report = json(out.resolve("_batchinfer/report.json"));
    assertThat(report.path("resume").path("chunks_skipped").asInt()).isEqualTo(2);
    assertThat(report.path("resume").path("chunks_run").asInt()).isEqualTo(1);
    assertThat(report.path("resume").path("skipped_rows_out").asLong()).isEqualTo(200);
    assertThat(json(tmp.resolve("s2.json")).path("resume").path("chunks_skipped").asInt())
        .isEqualTo(2);
    assertThat(out.resolve(ResumeState.RESUME_DIR)).isEmptyDirectory();
    assertThat(out.resolve("_SUCCESS")).exists();

    Path reference = tmp.resolve("reference");
    JobTestSupport.Run plain = cli(args(conf, "--set", "output.path=" + reference));
    assertThat(plain.exitCode()).as(plain.err()).isZero();
    assertSameRows(read(out), read(reference));
  }

  @Test
  void aChunkWhoseFilesChangedIsDiscardedAndScoredAgain() throws Exception {
    Path in = resumableInput();
    Path out = tmp.resolve("out");
    Path conf = writeConfig(tmp, irisConfig(in, out));
    assertThat(cli(resumeArgs(conf, tmp.resolve("s1.json"))).exitCode())
        .isEqualTo(ExitCodes.FAILED);

    // Upstream rewrote the first chunk's second file (new rows) and fixed the bad one.
    writeFile(spark, flowers(1000, 50, "d", -1), in.resolve("f01.parquet"));
    writeFile(spark, flowers(200, 50, "d", -1), in.resolve("f04.parquet"));
    JobTestSupport.Run resumed = cli(resumeArgs(conf, tmp.resolve("s2.json")));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("chunks=3 chunks_skipped=1");
    JsonNode resume = json(out.resolve("_batchinfer/report.json")).path("resume");
    assertThat(resume.path("discarded")).hasSize(1);
    assertThat(resume.path("discarded").get(0).asText()).contains("the input changed");

    List<Long> ids =
        spark.read().parquet(out.toString()).select("id").as(Encoders.LONG()).collectAsList();
    assertThat(ids)
        .hasSize(300)
        .doesNotHaveDuplicates()
        .contains(1000L, 1049L)
        .doesNotContain(50L, 99L);
  }

  private static void assertSameRows(List<Row> got, List<Row> want) {
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      Row g = got.get(i);
      Row w = want.get(i);
      assertThat(g.<Long>getAs("id")).isEqualTo(w.<Long>getAs("id"));
      assertThat(g.<String>getAs("day")).isEqualTo(w.<String>getAs("day"));
      assertThat(g.<Integer>getAs("class_index")).isEqualTo(w.<Integer>getAs("class_index"));
      assertThat(g.<String>getAs("class_index_label"))
          .isEqualTo(w.<String>getAs("class_index_label"));
      List<Float> gp = g.getList(g.fieldIndex("probabilities"));
      List<Float> wp = w.getList(w.fieldIndex("probabilities"));
      for (int k = 0; k < wp.size(); k++) {
        assertThat(gp.get(k)).isCloseTo(wp.get(k), within(1e-6f));
      }
    }
  }
}
