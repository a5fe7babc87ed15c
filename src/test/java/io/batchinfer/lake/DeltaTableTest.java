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
 * Delta Lake tables as output (and a Delta path as input, {@code input.format: delta}), for real:
 * Delta's Spark module with its catalog as the session catalog, in a local warehouse folder. Each
 * check reads back through Spark's catalog ({@code spark.table}, {@code DESCRIBE HISTORY}).
 */
@Tag("slow")
class DeltaTableTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-delta-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .config("spark.sql.warehouse.dir", tmp.resolve("warehouse").toString())
            .getOrCreate();
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
        job: {name: delta-test}
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

  private static long version(String table) {
    return spark.sql("DESCRIBE HISTORY " + table + " LIMIT 1").select("version").first().getLong(0);
  }

  private static Map<Long, List<Object>> day(String table, String day) {
    Map<Long, List<Object>> byId = new TreeMap<>();
    for (Row r :
        spark.table(table).where("day = '" + day + "'").select("id", "y").collectAsList()) {
      byId.put(r.getLong(0), r.getList(1));
    }
    return byId;
  }

  @Test
  void appendsThenOverwritesOneDay() throws Exception {
    String table = "default.delta_scores";
    // Two batches of events as Delta tables by path, read with input.format: delta.
    String batch1 = tmp.resolve("events-1").toString();
    String batch2 = tmp.resolve("events-2").toString();
    LakeData.frame(spark, LakeData.rows(0, 240, 31), 2).write().format("delta").save(batch1);
    LakeData.frame(spark, LakeData.rows(240, 120, 32), 2).write().format("delta").save(batch2);
    String output =
        "table: " + table + ", create: true, format: delta, partition_by: [day], mode: append";

    LakeData.Run first = run("path: \"" + batch1 + "\", format: delta", output);
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).contains("output=table:" + table).contains("version=" + version(table));
    LakeData.Run second = run("path: \"" + batch2 + "\", format: delta", output);
    assertThat(second.exitCode()).as(second.err()).isZero();
    long v1 = version(table);
    assertThat(second.out()).contains("version=" + v1);
    assertThat(spark.sql("DESCRIBE HISTORY " + table).count()).isEqualTo(2); // create + one append
    long good = LongStream.range(0, 360).filter(id -> !LakeData.bad(id)).count();
    Map<Long, Row> scored = LakeData.checkScores(spark.table(table));
    assertThat(scored).hasSize((int) good);
    assertThat(spark.sql("DESCRIBE DETAIL " + table).select("partitionColumns").first().getList(0))
        .containsExactly("day");

    // Rerun one day from the first batch only: that day is replaced, the other days are untouched.
    Map<Long, List<Object>> day1Before = day(table, "2026-11-01");
    Map<Long, List<Object>> day3Before = day(table, "2026-11-03");
    LakeData.Run rerun =
        run(
            "path: \"" + batch1 + "\", format: delta, filter: \"day = '${ds}'\"",
            "table: " + table + ", partition_by: [day], mode: overwrite-partitions",
            "--var",
            "ds=2026-11-02");

    assertThat(rerun.exitCode()).as(rerun.err()).isZero();
    long v2 = version(table);
    assertThat(v2).isEqualTo(v1 + 1);
    assertThat(rerun.out()).contains("version=" + v2);
    Map<Long, Row> after = LakeData.checkScores(spark.table(table)); // fails on a duplicate id
    List<Long> expectedDay2 =
        LongStream.range(0, 240).filter(id -> id % 3 == 1 && !LakeData.bad(id)).boxed().toList();
    assertThat(day(table, "2026-11-02").keySet()).containsExactlyElementsOf(expectedDay2);
    assertThat(day(table, "2026-11-01")).isEqualTo(day1Before);
    assertThat(day(table, "2026-11-03")).isEqualTo(day3Before);
    assertThat(after).hasSize(day1Before.size() + expectedDay2.size() + day3Before.size());
  }
}
