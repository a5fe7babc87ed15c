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
 * Plain Hive-style tables of Spark's built-in session catalog ({@code USING parquet}, partitioned
 * by day, in a local warehouse folder, no table format): {@code input.table} with a filter, and
 * {@code output.table} created by the job, appended to, one day replaced with {@code
 * overwrite-partitions}, replaced whole with {@code overwrite}, and refused under {@code error}.
 * Every check reads back through Spark's catalog ({@code spark.table}).
 */
@Tag("slow")
class SessionCatalogTableTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-session-catalog-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.warehouse.dir", tmp.resolve("warehouse").toString())
            .getOrCreate();
    LakeData.frame(spark, LakeData.rows(0, 300, 41), 2)
        .write()
        .format("parquet")
        .partitionBy("day")
        .saveAsTable("default.events");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static LakeData.Run run(String input, String output, String... extra) throws Exception {
    Path model = tmp.resolve("linear.onnx");
    if (!Files.exists(model)) {
      Files.write(model, LakeData.model());
    }
    Path file = Files.createTempFile(tmp, "job", ".yaml");
    Files.writeString(
        file,
        """
        job: {name: session-catalog-test}
        input: {%s}
        model: {path: "%s", batch_size: 32}
        inputs: {x: {columns: [x1, x2]}}
        outputs: {y: {column: y}}
        passthrough: [id, day, x1, x2]
        output: {%s}
        errors: {policy: skip}
        report: {path: "%s"}
        """
            .formatted(
                input,
                model,
                output,
                tmp.resolve("reports/" + System.nanoTime() + "/report.json")));
    List<String> args = new ArrayList<>(List.of("--config", file.toString()));
    args.addAll(List.of(extra));
    return LakeData.cli(args.toArray(String[]::new));
  }

  private static Map<Long, List<Object>> day(String table, String day) {
    Map<Long, List<Object>> byId = new TreeMap<>();
    for (Row r :
        spark.table(table).where("day = '" + day + "'").select("id", "y").collectAsList()) {
      byId.put(r.getLong(0), r.getList(1));
    }
    return byId;
  }

  private static List<Long> good(long from, long to, int dayIndex) {
    return LongStream.range(from, to)
        .filter(id -> (dayIndex < 0 || id % 3 == dayIndex) && !LakeData.bad(id))
        .boxed()
        .toList();
  }

  @Test
  void createsAppendsReplacesOneDayAndOverwritesAParquetTable() throws Exception {
    String table = "default.scores";
    String days12 = "table: default.events, filter: \"day <> '2026-11-03'\"";
    LakeData.Run created =
        run(
            days12,
            "table: "
                + table
                + ", create: true, format: parquet, partition_by: [day], mode: error");
    assertThat(created.exitCode()).as(created.err()).isZero();
    assertThat(created.out()).contains("output=table:" + table);
    assertThat(
            spark
                .sql("DESCRIBE TABLE EXTENDED " + table)
                .where("col_name = 'Provider'")
                .collectAsList()
                .stream()
                .map(r -> r.getString(1))
                .toList())
        .containsExactly("parquet");
    assertThat(
            spark.sql("SHOW PARTITIONS " + table).collectAsList().stream()
                .map(r -> r.getString(0))
                .toList())
        .containsExactlyInAnyOrder("day=2026-11-01", "day=2026-11-02");

    // error: the table exists now; refused before any task, nothing written.
    LakeData.Run refused = run(days12, "table: " + table + ", mode: error");
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.err()).contains("output.table").contains(table);

    // append: day 3 joins.
    LakeData.Run appended =
        run(
            "table: default.events, filter: \"day = '2026-11-03'\"",
            "table: " + table + ", mode: append");
    assertThat(appended.exitCode()).as(appended.err()).isZero();
    Map<Long, Row> all = LakeData.checkScores(spark.table(table)); // fails on a duplicate id
    assertThat(all.keySet()).containsExactlyInAnyOrderElementsOf(good(0, 300, -1));

    // overwrite-partitions: day 2 from a new batch of events; days 1 and 3 untouched.
    LakeData.frame(spark, LakeData.rows(1000, 150, 42), 2)
        .write()
        .format("parquet")
        .partitionBy("day")
        .saveAsTable("default.events_late");
    Map<Long, List<Object>> day1 = day(table, "2026-11-01");
    Map<Long, List<Object>> day3 = day(table, "2026-11-03");
    LakeData.Run rerun =
        run(
            "table: default.events_late, filter: \"day = '${ds}'\"",
            "table: " + table + ", partition_by: [day], mode: overwrite-partitions",
            "--var",
            "ds=2026-11-02");
    assertThat(rerun.exitCode()).as(rerun.err()).isZero();
    assertThat(day(table, "2026-11-02").keySet()).containsExactlyElementsOf(good(1000, 1150, 1));
    assertThat(day(table, "2026-11-01")).isEqualTo(day1);
    assertThat(day(table, "2026-11-03")).isEqualTo(day3);
    assertThat(LakeData.checkScores(spark.table(table)))
        .hasSize(day1.size() + day3.size() + day(table, "2026-11-02").size());

    // overwrite: the whole table is replaced by one day.
    LakeData.Run overwritten =
        run(
            "table: default.events, filter: \"day = '2026-11-01'\"",
            "table: " + table + ", mode: overwrite");
    assertThat(overwritten.exitCode()).as(overwritten.err()).isZero();
    assertThat(LakeData.checkScores(spark.table(table)).keySet())
        .containsExactlyInAnyOrderElementsOf(good(0, 300, 0));
  }
}
