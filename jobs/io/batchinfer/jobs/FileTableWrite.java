package io.batchinfer.jobs;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Driver only: writes to an existing plain table of Spark's session catalog (a Hive-style table of
 * a file format: {@code USING parquet}, orc, csv, json, avro, text, or a Hive table), which Spark's
 * DataFrameWriterV2 refuses ("Cannot write into v1 table"). Such a write goes through {@code
 * insertInto}, with the output's columns put in the table's order (insertInto matches by position),
 * and the partition overwrite mode set for this write only: static for {@code overwrite} (the whole
 * table), dynamic for {@code overwrite-partitions} (only the partitions the run writes). Spark's
 * file commit protocol commits it: no snapshot, no version. Stateless.
 */
final class FileTableWrite {
  private static final Set<String> FILE_PROVIDERS =
      Set.of("parquet", "orc", "csv", "json", "avro", "text", "hive");
  static final String OVERWRITE_MODE_KEY = "spark.sql.sources.partitionOverwriteMode";

  private FileTableWrite() {}

  /**
   * @return whether {@code table} exists and is a plain file-format table of the session catalog
   *     (its {@code Provider} in {@code DESCRIBE TABLE EXTENDED} is a file format or hive)
   */
  static boolean applies(SparkSession spark, String table) {
    try {
      for (Row r : spark.sql("DESCRIBE TABLE EXTENDED " + table).collectAsList()) {
        if ("Provider".equals(r.getString(0)) && r.getString(1) != null) {
          return FILE_PROVIDERS.contains(r.getString(1).trim().toLowerCase(Locale.ROOT));
        }
      }
    } catch (RuntimeException e) {
      return false; // not resolvable this way: a catalog of its own (Iceberg, ...)
    }
    return false;
  }

  /**
   * Writes {@code rows} into the existing table {@code table}.
   *
   * @param modeName {@code append}, {@code overwrite} or {@code overwrite-partitions}
   */
  static void write(Dataset<Row> rows, String table, String modeName) {
    SparkSession spark = rows.sparkSession();
    Column[] columns =
        Arrays.stream(spark.table(table).schema().fieldNames())
            .map(functions::col)
            .toArray(Column[]::new);
    Dataset<Row> ordered = rows.select(columns);
    if ("append".equals(modeName)) {
      ordered.write().mode(SaveMode.Append).insertInto(table);
      return;
    }
    RuntimeConfig conf = spark.conf();
    String previous = conf.contains(OVERWRITE_MODE_KEY) ? conf.get(OVERWRITE_MODE_KEY) : null;
    conf.set(OVERWRITE_MODE_KEY, "overwrite-partitions".equals(modeName) ? "dynamic" : "static");
    // Spark 4 may have switched the session to the cloud commit protocol, which kept old partition
    // files under dynamic overwrite; the scope puts Spark's own protocol back for local and HDFS.
    try (ObjectStoreCommit.Scope commit = ObjectStoreCommit.open(spark, "", false)) {
      ordered.write().mode(SaveMode.Overwrite).insertInto(table);
    } finally {
      if (previous == null) {
        conf.unset(OVERWRITE_MODE_KEY);
      } else {
        conf.set(OVERWRITE_MODE_KEY, previous);
      }
    }
  }
}
