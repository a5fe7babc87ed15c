package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: the input when it is not a Parquet path: a catalog table ({@code input.table}, any
 * table Spark's catalogs resolve: the session catalog, Iceberg catalogs, Delta), a query ({@code
 * input.sql}; {@code ${var}} variables are substituted when the config loads) or a path in another
 * format ({@code input.path} with {@code input.format}). Spark plans the read lazily, so the column
 * selection and {@code input.filter} applied afterwards prune columns and push filters down as for
 * Parquet paths. Stateless.
 */
final class TableInput implements InputReader {
  static final String PARQUET = "parquet";

  /**
   * Spark's {@code binaryFile} source (lower-cased as {@code input.format} is): one row per file,
   * {@code path, modificationTime, length, content}, for image inputs.
   */
  static final String BINARY_FILE = "binaryfile";

  /**
   * Formats {@code input.format} accepts; delta needs Delta Lake on the classpath (run-local.sh has
   * it).
   */
  static final List<String> FORMATS =
      List.of(PARQUET, "orc", "json", "csv", "delta", "iceberg", BINARY_FILE);

  private final JobConfig.Input config;

  TableInput(JobConfig.Input config) {
    this.config = config;
  }

  @Override
  public Dataset<Row> read(SparkSession spark, Problems problems) {
    Dataset<Row> df = read(config, spark, problems);
    return df == null ? null : ParquetInputReader.shape(config, df, problems);
  }

  /** Tables and queries have no files to check: the rows are read as planned. */
  @Override
  public Input prepare(SparkSession spark, Dataset<Row> read, Problems problems) {
    return new Input(read, List.of());
  }

  /**
   * @return whether the input is read here rather than as a Parquet path
   */
  static boolean handles(JobConfig.Input in) {
    return set(in.table()) || set(in.sql()) || (set(in.format()) && !PARQUET.equals(format(in)));
  }

  /** Config-time checks that need no Spark: exactly one source, a known format. */
  static void validate(JobConfig.Input in, Problems problems) {
    List<String> sources = new ArrayList<>();
    if (set(in.path())) {
      sources.add(ConfigKeys.INPUT_PATH);
    }
    if (set(in.table())) {
      sources.add(ConfigKeys.INPUT_TABLE);
    }
    if (set(in.sql())) {
      sources.add(ConfigKeys.INPUT_SQL);
    }
    if (sources.isEmpty()) {
      problems.add(
          ConfigKeys.INPUT_PATH
              + ": missing; set one of input.path (files), input.table (a catalog table)"
              + " or input.sql (a query) (or pass --set input.path=...).");
    } else if (sources.size() > 1) {
      problems.add(
          "input: "
              + String.join(" and ", sources)
              + " are both set; set exactly one of input.path,"
              + " input.table, input.sql.");
    }
    if (set(in.format())) {
      if (!FORMATS.contains(format(in))) {
        problems.add(
            ConfigKeys.INPUT_FORMAT
                + ": unknown format '"
                + in.format()
                + "'; expected one of "
                + FORMATS
                + "."
                + Problems.didYouMean(in.format(), FORMATS));
      } else if (!set(in.path())) {
        problems.add(
            ConfigKeys.INPUT_FORMAT
                + ": applies to input.path only; a table or query has its own format."
                + " Remove input.format.");
      }
    }
    if (!set(in.path()) && (in.recursive() != null || set(in.filePattern()))) {
      problems.add(
          (in.recursive() != null ? ConfigKeys.INPUT_RECURSIVE : ConfigKeys.INPUT_FILE_PATTERN)
              + ": applies to input.path only (files); remove it for input.table or input.sql.");
    }
    if ((set(in.table()) || set(in.sql())) && Boolean.TRUE.equals(in.ignoreCorruptFiles())) {
      problems.add(
          ConfigKeys.IGNORE_CORRUPT_FILES
              + ": applies to Parquet paths only; remove it for input.table or"
              + " input.sql.");
    }
  }

  /**
   * @return the input as read (before input.columns / input.filter), or null after adding a problem
   *     naming the key
   */
  static Dataset<Row> read(JobConfig.Input in, SparkSession spark, Problems problems) {
    if (set(in.table())) {
      try {
        return spark.table(in.table().trim());
      } catch (Exception e) {
        String msg = message(e);
        if (msg.contains("TABLE_OR_VIEW_NOT_FOUND")
            || msg.contains("not found")
            || msg.contains("NoSuchTable")) {
          problems.add(
              ConfigKeys.INPUT_TABLE
                  + ": table '"
                  + in.table()
                  + "' not found."
                  + tablesNear(spark, in.table())
                  + " Check the name (catalog.namespace.table) and that its catalog is configured under spark:.");
        } else {
          problems.add(
              ConfigKeys.INPUT_TABLE
                  + ": cannot read table '"
                  + in.table()
                  + "': "
                  + firstLine(msg));
        }
        return null;
      }
    }
    if (set(in.sql())) {
      try {
        return spark.sql(in.sql());
      } catch (Exception e) {
        problems.add(ConfigKeys.INPUT_SQL + ": the query does not run: " + firstLine(message(e)));
        return null;
      }
    }
    String format = format(in);
    try {
      var reader = spark.read().format(format);
      if ("csv".equals(format)) {
        reader = reader.option("header", "true").option("inferSchema", "true");
      }
      reader = fileOptions(in, reader);
      return reader.load(in.path());
    } catch (Exception e) {
      String msg = message(e);
      if (msg.contains("PATH_NOT_FOUND")
          || msg.contains("does not exist")
          || msg.contains("is not a Delta table")) {
        problems.add(
            ConfigKeys.INPUT_PATH
                + ": no "
                + format
                + " data at "
                + in.path()
                + " ("
                + firstLine(msg)
                + ").");
      } else {
        problems.add(
            ConfigKeys.INPUT_PATH
                + ": cannot read "
                + format
                + " (input.format) at "
                + in.path()
                + ": "
                + firstLine(msg));
      }
      return null;
    }
  }

  /**
   * @return how the plan names the input
   */
  static String describe(JobConfig.Input in) {
    if (set(in.table())) {
      return "table " + in.table().trim();
    }
    if (set(in.sql())) {
      String q = in.sql().trim().replaceAll("\\s+", " ");
      return "sql: " + (q.length() > 120 ? q.substring(0, 117) + "..." : q);
    }
    return in.path() + (handles(in) ? " (" + format(in) + ")" : "");
  }

  private static String tablesNear(SparkSession spark, String table) {
    int dot = table.trim().lastIndexOf('.');
    if (dot <= 0) {
      return "";
    }
    String namespace = table.trim().substring(0, dot);
    try {
      List<String> names =
          spark
              .sql("SHOW TABLES IN " + namespace)
              .select("tableName")
              .as(org.apache.spark.sql.Encoders.STRING())
              .collectAsList();
      return " Tables in "
          + namespace
          + ": "
          + names
          + "."
          + Problems.didYouMean(table.trim().substring(dot + 1), names);
    } catch (Exception e) {
      return " Namespace " + namespace + " cannot be listed (" + firstLine(message(e)) + ").";
    }
  }

  /**
   * @return {@code reader} with {@code input.recursive} (Spark's {@code recursiveFileLookup}) and
   *     {@code input.file_pattern} ({@code pathGlobFilter}) applied; shared with {@link
   *     ParquetInputReader}
   */
  static org.apache.spark.sql.DataFrameReader fileOptions(
      JobConfig.Input in, org.apache.spark.sql.DataFrameReader reader) {
    if (Boolean.TRUE.equals(in.recursive())) {
      reader = reader.option("recursiveFileLookup", "true");
    }
    if (set(in.filePattern())) {
      reader = reader.option("pathGlobFilter", in.filePattern().trim());
    }
    return reader;
  }

  private static String format(JobConfig.Input in) {
    return set(in.format()) ? in.format().trim().toLowerCase(Locale.ROOT) : PARQUET;
  }

  static boolean set(String s) {
    return s != null && !s.isBlank();
  }

  static String message(Exception e) {
    return e instanceof AnalysisException a ? a.getSimpleMessage() : String.valueOf(e.getMessage());
  }

  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
