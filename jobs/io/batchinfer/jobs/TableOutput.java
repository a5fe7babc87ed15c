package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.CreateTableWriter;
import org.apache.spark.sql.DataFrameWriterV2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: writes scored rows (or dead letters) to a catalog table through Spark's
 * DataFrameWriterV2, so the table format commits the write: an Iceberg table gets one snapshot per
 * write and a failed job commits nothing; a Delta table gets one version. {@code output.mode} maps
 * to {@code append()}, {@code overwrite(true)}, {@code overwritePartitions()} and {@code create()};
 * {@code output.create} creates a missing table with the output schema and {@code
 * output.partition_by}. A plain file-format table of the session catalog, which DataFrameWriterV2
 * cannot write, goes through {@link FileTableWrite}. The schema check runs at config time, before
 * any task. Stateless.
 */
final class TableOutput implements OutputWriter {
  private final JobPlan plan;
  private final OutputWriter paths;

  /**
   * @param paths writes whichever of the two outputs is a path ({@code output.path} with {@code
   *     errors.dead_letter_table}, or the reverse)
   */
  TableOutput(JobPlan plan, OutputWriter paths) {
    this.plan = plan;
    this.paths = paths;
  }

  @Override
  public void writeScored(Dataset<Row> scored) {
    if (plan.outputTable() != null) {
      write(scored, plan.outputTable());
    } else {
      paths.writeScored(scored);
    }
  }

  @Override
  public void writeRejected(Dataset<Row> rejected) {
    if (plan.deadLetterTable() != null) {
      write(rejected, plan.deadLetterTable());
    } else {
      paths.writeRejected(rejected);
    }
  }

  /**
   * @return the output.table target, or null when the output is a path
   */
  static Target outputTarget(JobConfig cfg, String modeName, List<String> partitionBy) {
    if (!TableInput.set(cfg.output().table())) {
      return null;
    }
    return new Target(
        ConfigKeys.OUTPUT_TABLE,
        cfg.output().table().trim(),
        modeName,
        Boolean.TRUE.equals(cfg.output().create()),
        format(cfg),
        partitionBy);
  }

  /**
   * @return the errors.dead_letter_table target, or null; partitioned like the output when the
   *     partition columns are input columns, so a rerun of a day replaces that day's dead letters
   */
  static Target deadLetterTarget(
      JobConfig cfg, String modeName, List<String> partitionBy, String[] inputColumns) {
    if (!TableInput.set(cfg.errors().deadLetterTable())) {
      return null;
    }
    return new Target(
        ConfigKeys.DEAD_LETTER_TABLE,
        cfg.errors().deadLetterTable().trim(),
        modeName,
        Boolean.TRUE.equals(cfg.output().create()),
        format(cfg),
        List.of(inputColumns).containsAll(partitionBy) ? partitionBy : List.of());
  }

  private static String format(JobConfig cfg) {
    return TableInput.set(cfg.output().format())
        ? cfg.output().format().trim().toLowerCase(Locale.ROOT)
        : null;
  }

  /**
   * One table to write.
   *
   * @param key the config key naming the table, for messages
   * @param table the table name as Spark resolves it ({@code catalog.namespace.table})
   * @param modeName output.mode as written in config
   * @param create create the table when it is missing
   * @param format the provider for a created table ({@code output.format}), or null for the
   *     catalog's default
   * @param partitionBy partition columns for a created table
   */
  record Target(
      String key,
      String table,
      String modeName,
      boolean create,
      String format,
      List<String> partitionBy) {}

  /**
   * Config-time checks that need no Spark: exactly one of output.path / output.table, the keys that
   * only apply to tables, and what table outputs do not support.
   */
  static void precheck(JobConfig cfg, Problems problems) {
    JobConfig.Output o = cfg.output();
    boolean path = TableInput.set(o.path());
    boolean table = TableInput.set(o.table());
    if (!path && !table) {
      problems.add(
          ConfigKeys.OUTPUT_PATH
              + ": missing; set output.path (Parquet files) or output.table (a catalog"
              + " table) (or pass --set output.path=...).");
    } else if (path && table) {
      problems.add("output: output.path and output.table are both set; set exactly one.");
    }
    if (!table && o.create() != null) {
      problems.add(
          ConfigKeys.OUTPUT_CREATE
              + ": applies to output.table only; remove it, or set output.table.");
    }
    if (!table && TableInput.set(o.format())) {
      problems.add(
          ConfigKeys.OUTPUT_FORMAT
              + ": applies to a table created by output.create only; remove it.");
    }
    if (table && Boolean.TRUE.equals(o.resume())) {
      problems.add(
          ConfigKeys.OUTPUT_RESUME
              + ": not supported with output.table: resume commits chunk by chunk into an output"
              + " folder, and a table takes one commit per run (Iceberg and Delta commit it"
              + " atomically: a failed run commits nothing, so rerun the whole run). Remove"
              + " output.resume, or write to output.path to resume in chunks.");
    }
    if (table && (cfg.report() == null || !TableInput.set(cfg.report().path()))) {
      problems.add(
          ConfigKeys.REPORT_PATH
              + ": missing; with output.table there is no output folder for the run"
              + " report, so set where it goes, e.g. report: {path: /reports/${ds}/report.json}.");
    }
    String dlPath = cfg.errors().deadLetterPath();
    String dlTable = cfg.errors().deadLetterTable();
    if (TableInput.set(dlPath) && TableInput.set(dlTable)) {
      problems.add(
          "errors: errors.dead_letter_path and errors.dead_letter_table are both set; set exactly one.");
    }
  }

  /** Checks that {@code t} can take rows of {@code schema}: existence, mode and schema. */
  static void validate(SparkSession spark, Target t, StructType schema, Problems problems) {
    boolean exists;
    try {
      exists = spark.catalog().tableExists(t.table());
    } catch (Exception e) {
      problems.add(
          t.key()
              + ": cannot look up table '"
              + t.table()
              + "': "
              + TableInput.firstLine(TableInput.message(e))
              + ". Check that its catalog is configured (spark: spark.sql.catalog.<name>...).");
      return;
    }
    if (!exists) {
      if (!t.create()) {
        problems.add(
            t.key()
                + ": table '"
                + t.table()
                + "' does not exist. Set output.create: true to create it with"
                + " the output schema"
                + (t.partitionBy().isEmpty() ? "" : " partitioned by " + t.partitionBy())
                + ", or create it first.");
      }
      return;
    }
    if ("error".equals(t.modeName())) {
      problems.add(
          t.key()
              + ": table '"
              + t.table()
              + "' exists and output.mode is 'error'. Pass --set"
              + " output.mode=append (or overwrite, overwrite-partitions), or choose another table.");
      return;
    }
    StructType tableSchema = spark.table(t.table()).schema();
    List<String> mismatches = mismatches(schema, tableSchema);
    if (!mismatches.isEmpty()) {
      problems.add(
          t.key()
              + ": table '"
              + t.table()
              + "' cannot take the output: "
              + String.join("; ", mismatches)
              + ".\n    output schema: "
              + schema.simpleString()
              + "\n    table schema:  "
              + tableSchema.simpleString()
              + "\n  Evolve the table (ALTER TABLE ... ADD COLUMN / widen the type), or write to a new table with"
              + " output.create: true.");
    }
  }

  /**
   * @return why a table of schema {@code table} cannot take rows of schema {@code out} (empty: it
   *     can)
   */
  static List<String> mismatches(StructType out, StructType table) {
    List<String> problems = new ArrayList<>();
    for (StructField f : out.fields()) {
      StructField tf = field(table, f.name());
      if (tf == null) {
        problems.add(
            "output column '"
                + f.name()
                + "' ("
                + f.dataType().simpleString()
                + ") is not in the table");
      } else if (!canWrite(f.dataType(), tf.dataType())) {
        problems.add(
            "column '"
                + f.name()
                + "' is "
                + f.dataType().simpleString()
                + " in the output but "
                + tf.dataType().simpleString()
                + " in the table"
                + (narrower(f.dataType(), tf.dataType())
                    ? " (narrower: values would not fit)"
                    : ""));
      } else if (!tf.nullable() && f.nullable()) {
        problems.add(
            "column '" + f.name() + "' is NOT NULL in the table but the output may hold nulls");
      }
    }
    for (StructField tf : table.fields()) {
      if (field(out, tf.name()) == null) {
        problems.add(
            "table column '"
                + tf.name()
                + "' ("
                + tf.dataType().simpleString()
                + ") gets no value from"
                + " the output");
      }
    }
    return problems;
  }

  /**
   * @return whether a value of type {@code from} can be stored in a column of type {@code to}
   *     without loss
   */
  static boolean canWrite(DataType from, DataType to) {
    if (from.sameType(to)) {
      return true;
    }
    List<DataType> integral =
        List.of(DataTypes.ByteType, DataTypes.ShortType, DataTypes.IntegerType, DataTypes.LongType);
    if (integral.contains(from) && integral.contains(to)) {
      return integral.indexOf(from) <= integral.indexOf(to);
    }
    if (from.equals(DataTypes.FloatType) && to.equals(DataTypes.DoubleType)) {
      return true;
    }
    if (from instanceof org.apache.spark.sql.types.ArrayType a
        && to instanceof org.apache.spark.sql.types.ArrayType b) {
      return canWrite(a.elementType(), b.elementType());
    }
    return false;
  }

  private static boolean narrower(DataType from, DataType to) {
    return canWrite(to, from);
  }

  private static StructField field(StructType s, String name) {
    for (StructField f : s.fields()) {
      if (f.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    return null;
  }

  /**
   * Writes {@code rows} to the table in one commit.
   *
   * @throws JobFailedException when the table appeared or vanished since validation
   */
  static void write(Dataset<Row> rows, Target t) {
    try {
      commit(rows, t);
    } catch (TableAlreadyExistsException | NoSuchTableException e) {
      throw new JobFailedException(
          t.key()
              + ": table '"
              + t.table()
              + "' changed while the job ran ("
              + e.getSimpleMessage()
              + "); nothing was written. Rerun the job.",
          e);
    }
  }

  private static void commit(Dataset<Row> rows, Target t)
      throws TableAlreadyExistsException, NoSuchTableException {
    SparkSession spark = rows.sparkSession();
    DataFrameWriterV2<Row> w = rows.writeTo(t.table());
    if (!spark.catalog().tableExists(t.table())) {
      CreateTableWriter<Row> c = w;
      if (t.format() != null) {
        c = c.using(t.format());
      }
      if (!t.partitionBy().isEmpty()) {
        Column first = functions.col(t.partitionBy().get(0));
        List<Column> rest = t.partitionBy().stream().skip(1).map(functions::col).toList();
        // CreateTableWriter.partitionedBy is Scala varargs without a Java overload.
        c = c.partitionedBy(first, scala.collection.JavaConverters.asScalaBuffer(rest).toSeq());
      }
      c.create();
      return;
    }
    if (!"error".equals(t.modeName()) && FileTableWrite.applies(spark, t.table())) {
      FileTableWrite.write(rows, t.table(), t.modeName());
      return;
    }
    switch (t.modeName()) {
      case "append" -> w.append();
      case "overwrite" -> w.overwrite(functions.lit(true));
      case "overwrite-partitions" -> w.overwritePartitions();
      default -> w.create(); // 'error': validated absent; fails if someone created it since
    }
  }

  /**
   * A table's state after a commit: an Iceberg snapshot id or a Delta version.
   *
   * @param format {@code iceberg} or {@code delta}
   * @param id the snapshot id (Iceberg) or version number (Delta)
   */
  record Version(String format, long id) {
    /**
     * @return the summary line's field: {@code snapshot=<id>} (Iceberg) or {@code version=<n>}
     *     (Delta)
     */
    String field() {
      return ("iceberg".equals(format) ? "snapshot=" : "version=") + id;
    }
  }

  /**
   * @return the table's current snapshot (Iceberg) or version (Delta); null for tables without
   *     versions
   */
  static Version version(SparkSession spark, String table) {
    try {
      List<Row> rows =
          spark
              .sql(
                  "SELECT snapshot_id FROM "
                      + table
                      + ".snapshots ORDER BY committed_at DESC LIMIT 1")
              .collectAsList();
      if (!rows.isEmpty()) {
        return new Version("iceberg", rows.get(0).getLong(0));
      }
    } catch (Exception e) {
      // not an Iceberg table
    }
    try {
      List<Row> rows =
          spark.sql("DESCRIBE HISTORY " + table + " LIMIT 1").select("version").collectAsList();
      if (!rows.isEmpty()) {
        return new Version("delta", rows.get(0).getLong(0));
      }
    } catch (Exception e) {
      // not a Delta table
    }
    return null;
  }

  /**
   * @return the dead-letter schema for an input schema: every input column plus the three error
   *     columns
   */
  static StructType deadLetterSchema(StructType input) {
    return input
        .add("_error_code", DataTypes.StringType)
        .add("_error_column", DataTypes.StringType)
        .add("_error_message", DataTypes.StringType);
  }
}
