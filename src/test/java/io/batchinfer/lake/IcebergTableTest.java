package io.batchinfer.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Iceberg tables as input and output, for real: Iceberg's Spark runtime with a Hadoop catalog
 * ({@code lake}) in a local warehouse folder. Every check reads back through Spark's catalog
 * ({@code spark.table}, the {@code snapshots} metadata table), never by listing files.
 */
@Tag("slow")
class IcebergTableTest {
  static final int ROWS = 300;
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-iceberg-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config(
                "spark.sql.extensions",
                "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
            .config("spark.sql.catalog.lake", "org.apache.iceberg.spark.SparkCatalog")
            .config("spark.sql.catalog.lake.type", "hadoop")
            .config("spark.sql.catalog.lake.warehouse", tmp.resolve("warehouse").toString())
            .config(
                "spark.sql.catalog.lake.metrics-reporter-impl", IcebergScanRecorder.class.getName())
            .getOrCreate();
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.db");
    // The source table has a column the job does not read (payload), to observe column pruning.
    LakeData.frame(spark, LakeData.rows(0, ROWS, 21), 2)
        .withColumn("payload", org.apache.spark.sql.functions.lit("x".repeat(50)))
        .writeTo("lake.db.events")
        .create();
    List<Row> segments = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      segments.add(org.apache.spark.sql.RowFactory.create(id, id % 4 == 0 ? "a" : "b"));
    }
    spark
        .createDataFrame(
            segments,
            new org.apache.spark.sql.types.StructType().add("id", "long").add("segment", "string"))
        .writeTo("lake.db.segments")
        .create();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static String config(String input, String output, String extra) throws Exception {
    return """
        job: {name: iceberg-test}
        input: {%s}
        model: {path: "%s", batch_size: 32}
        inputs: {x: {columns: [x1, x2]}}
        outputs: {y: {column: y}}
        passthrough: [id, day, x1, x2]
        output: {%s}
        report: {path: "%s"}
        %s
        """
        .formatted(
            input,
            model(),
            output,
            tmp.resolve("reports/" + System.nanoTime() + "/report.json"),
            extra);
  }

  private static Path model() throws Exception {
    Path m = tmp.resolve("linear.onnx");
    if (!Files.exists(m)) {
      Files.write(m, LakeData.model());
    }
    return m;
  }

  private static LakeData.Run run(String yaml, String... extra) throws Exception {
    Path file = Files.createTempFile(tmp, "job", ".yaml");
    Files.writeString(file, yaml);
    List<String> args = new ArrayList<>(List.of("--config", file.toString()));
    args.addAll(List.of(extra));
    return LakeData.cli(args.toArray(String[]::new));
  }

  private static long currentSnapshot(String table) {
    return spark
        .sql("SELECT snapshot_id FROM " + table + ".snapshots ORDER BY committed_at DESC LIMIT 1")
        .first()
        .getLong(0);
  }

  /**
   * @return y of every row of {@code day}, by id
   */
  private static Map<Long, List<Object>> day(String table, String day) {
    Map<Long, List<Object>> byId = new TreeMap<>();
    for (Row r :
        spark.table(table).where("day = '" + day + "'").select("id", "y").collectAsList()) {
      byId.put(r.getLong(0), r.getList(1));
    }
    return byId;
  }

  @Test
  void scoresIntoNewPartitionedTableThenRerunsOneDayWithOverwritePartitions() throws Exception {
    String table = "lake.db.scores";
    LakeData.Run first =
        run(
            config(
                "table: lake.db.events",
                "table: " + table + ", create: true, partition_by: [day], mode: append",
                "errors: {policy: dead-letter, dead_letter_table: lake.db.scores_rejected}"));

    assertThat(first.exitCode()).as(first.err()).isZero();
    long bad = LongStream.range(0, ROWS).filter(LakeData::bad).count();
    Map<Long, Row> scored = LakeData.checkScores(spark.table(table));
    assertThat(scored).hasSize((int) (ROWS - bad));
    assertThat(spark.table("lake.db.scores_rejected").count()).isEqualTo(bad);
    long snapshot1 = currentSnapshot(table);
    assertThat(first.out()).contains("output=table:" + table).contains("snapshot=" + snapshot1);
    assertThat(spark.sql("SELECT partition.day FROM " + table + ".partitions").count())
        .isEqualTo(3);

    Map<Long, List<Object>> day1Before = day(table, "2026-11-01");
    Map<Long, List<Object>> day3Before = day(table, "2026-11-03");
    LakeData.Run rerun =
        run(
            config(
                "sql: \"SELECT * FROM lake.db.events WHERE day = '${ds}'\"",
                "table: " + table + ", partition_by: [day], mode: overwrite-partitions",
                "errors: {policy: dead-letter, dead_letter_table: lake.db.scores_rejected}"),
            "--var",
            "ds=2026-11-02");

    assertThat(rerun.exitCode()).as(rerun.err()).isZero();
    long snapshot2 = currentSnapshot(table);
    assertThat(snapshot2).isNotEqualTo(snapshot1);
    assertThat(rerun.out()).contains("snapshot=" + snapshot2);
    assertThat(
            spark
                .sql(
                    "SELECT operation FROM "
                        + table
                        + ".snapshots WHERE snapshot_id = "
                        + snapshot2)
                .first()
                .getString(0))
        .isEqualTo("overwrite");
    // The rerun day holds each of its ids exactly once (checkScores fails on a duplicate); other
    // days are untouched.
    Map<Long, Row> after = LakeData.checkScores(spark.table(table));
    assertThat(after.keySet()).isEqualTo(scored.keySet());
    assertThat(day(table, "2026-11-01")).isEqualTo(day1Before);
    assertThat(day(table, "2026-11-03")).isEqualTo(day3Before);
    assertThat(spark.table("lake.db.scores_rejected").count()).isEqualTo(bad);
  }

  @Test
  void failedRunLeavesTheCurrentSnapshotUnchanged() throws Exception {
    String table = "lake.db.scores_failing";
    LakeData.Run ok =
        run(
            config(
                "table: lake.db.events, filter: \"NOT isnan(x2)\"",
                "table: " + table + ", create: true, partition_by: [day], mode: append",
                ""));
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    long snapshot = currentSnapshot(table);
    long rows = spark.table(table).count();

    // errors.policy fail: the first NaN row fails its task, so the Spark job fails mid-write.
    LakeData.Run failed =
        run(
            config(
                "table: lake.db.events",
                "table: " + table + ", mode: append",
                "errors: {policy: fail}"));

    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.err()).contains("column 'x2': value NaN is not a finite number");
    spark.sql("REFRESH TABLE " + table);
    assertThat(currentSnapshot(table)).isEqualTo(snapshot);
    assertThat(spark.table(table).count()).isEqualTo(rows);
  }

  @Test
  void sqlInputJoinsTwoTablesFilteredOnDs() throws Exception {
    Path out = tmp.resolve("joined");
    String sql =
        "SELECT e.id, e.day, e.x1, e.x2, s.segment FROM lake.db.events e JOIN lake.db.segments s"
            + " ON e.id = s.id WHERE e.day = '${ds}' AND s.segment = 'a'";
    LakeData.Run run =
        run(
            config("sql: \"" + sql + "\"", "path: \"" + out + "\"", "errors: {policy: skip}"),
            "--var",
            "ds=2026-11-03");

    assertThat(run.exitCode()).as(run.err()).isZero();
    // Expected by hand: day index id % 3 == 2 is 2026-11-03; segment 'a' is id % 4 == 0; NaN rows
    // skipped.
    List<Long> expected =
        LongStream.range(0, ROWS)
            .filter(id -> id % 3 == 2 && id % 4 == 0 && !LakeData.bad(id))
            .boxed()
            .toList();
    Map<Long, Row> scored = LakeData.checkScores(spark.read().parquet(out.toString()));
    assertThat(scored.keySet()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void tableInputReadsOnlyTheColumnsItNeeds() throws Exception {
    IcebergScanRecorder.SCANS.clear();
    Path out = tmp.resolve("pruned");
    LakeData.Run run =
        run(
            config(
                "table: lake.db.events, columns: [id, day, x1, x2], filter: \"day = '2026-11-01'\"",
                "path: \"" + out + "\"",
                "errors: {policy: skip}"));

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(spark.read().parquet(out.toString()).where("day != '2026-11-01'").count()).isZero();
    // Iceberg's own scan report: the job's scan projected the four columns (not payload) and
    // pushed the day filter into the table scan.
    List<org.apache.iceberg.metrics.ScanReport> scans =
        IcebergScanRecorder.SCANS.stream()
            .filter(r -> r.tableName().endsWith("db.events"))
            .toList();
    assertThat(scans).isNotEmpty();
    for (org.apache.iceberg.metrics.ScanReport scan : scans) {
      assertThat(scan.projectedFieldNames()).containsExactlyInAnyOrder("id", "day", "x1", "x2");
      // Iceberg's report hides literal values ("(date-29-days-ago)"), but names the predicate.
      assertThat(scan.filter().toString()).contains("ref(name=\"day\") ==");
    }
  }

  @Test
  void schemaMismatchWithAnExistingTableIsAConfigErrorAndWritesNothing() throws Exception {
    String table = "lake.db.narrow";
    spark.sql(
        "CREATE TABLE "
            + table
            + " (id BIGINT, day STRING, x1 FLOAT, x2 DOUBLE, score DOUBLE) USING iceberg");
    spark.sql("INSERT INTO " + table + " VALUES (1, '2026-11-01', 1.0, 2.0, 0.5)");
    long snapshot = currentSnapshot(table);

    LakeData.Run run =
        run(
            config(
                "table: lake.db.events",
                "table: " + table + ", mode: append",
                "errors: {policy: skip}"));

    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("output.table: table '" + table + "' cannot take the output")
        .contains(
            "column 'x1' is double in the output but float in the table (narrower: values would not fit)")
        .contains("output column 'y' (array<float>) is not in the table")
        .contains("table column 'score' (double) gets no value from the output")
        .contains("output schema: struct<")
        .contains("table schema:  struct<")
        .contains("Nothing was run or written.");
    assertThat(currentSnapshot(table)).isEqualTo(snapshot);
    assertThat(spark.table(table).count()).isEqualTo(1);
  }
}
