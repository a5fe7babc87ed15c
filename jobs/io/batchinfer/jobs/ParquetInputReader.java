package io.batchinfer.jobs;

import io.batchinfer.udfs.plan.Problems;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: reads a Parquet dataset ({@code input.path}), keeps {@code input.columns}, applies
 * {@code input.filter}, and opens every file's footer before scoring ({@link ParquetFooterCheck}):
 * a corrupt file is an error naming it, or is skipped when {@code input.ignore_corrupt_files} is
 * true. Spark's {@code ignoreCorruptFiles} is set as a read option on this input only, never on the
 * session, so other reads in the same session (a notebook, a caller's program) are not affected.
 * Driver only; one instance per job run (it keeps the file schema between the two steps).
 */
final class ParquetInputReader implements InputReader {
  /**
   * Spark's file-source read option (FileSourceOptions); per read, unlike
   * spark.sql.files.ignoreCorruptFiles.
   */
  static final String IGNORE_CORRUPT_OPTION = "ignoreCorruptFiles";

  private final JobConfig.Input config;

  /**
   * The file schema found by {@link #read}, reused by {@link #prepare} so the schema is inferred
   * once.
   */
  private StructType fileSchema;

  ParquetInputReader(JobConfig.Input config) {
    this.config = config;
  }

  @Override
  public Dataset<Row> read(SparkSession spark, Problems problems) {
    String path = config.path();
    if (path == null || path.isBlank()) {
      return null;
    }
    Dataset<Row> df;
    try {
      // Infer the schema even if some footers are corrupt; prepare() names them afterwards.
      df = readRaw(spark, true, null);
      fileSchema = df.schema();
    } catch (Exception e) {
      String msg =
          e instanceof AnalysisException a ? a.getSimpleMessage() : String.valueOf(e.getMessage());
      if (msg.contains("PATH_NOT_FOUND") || msg.contains("does not exist")) {
        problems.add(
            ConfigKeys.INPUT_PATH
                + ": no data at "
                + path
                + " (path does not exist). Point it at a Parquet"
                + " file or directory.");
      } else if (msg.contains("UNABLE_TO_INFER_SCHEMA") || msg.contains("Unable to infer schema")) {
        problems.add(
            ConfigKeys.INPUT_PATH
                + ": "
                + path
                + " holds no Parquet files (cannot infer a schema).");
      } else {
        problems.add(ConfigKeys.INPUT_PATH + ": cannot read Parquet at " + path + ": " + msg);
      }
      return null;
    }
    return shape(df, problems);
  }

  @Override
  public Input prepare(SparkSession spark, Dataset<Row> read, Problems problems) {
    ParquetFooterCheck.Footers footers = ParquetFooterCheck.check(spark, read.inputFiles());
    List<ParquetFooterCheck.Corrupt> corrupt = footers.corrupt();
    boolean ignore = Boolean.TRUE.equals(config.ignoreCorruptFiles());
    if (!corrupt.isEmpty() && !ignore) {
      StringBuilder files = new StringBuilder();
      for (ParquetFooterCheck.Corrupt c : corrupt.subList(0, Math.min(10, corrupt.size()))) {
        files.append("\n    ").append(c.file()).append(": ").append(c.reason());
      }
      problems.add(
          ConfigKeys.INPUT_PATH
              + ": "
              + corrupt.size()
              + " input file(s) are not readable Parquet (truncated"
              + " or corrupt):"
              + files
              + (corrupt.size() > 10 ? "\n    ..." : "")
              + "\n  Remove or repair them, or set "
              + ConfigKeys.IGNORE_CORRUPT_FILES
              + ": true to skip them (they are listed in the plan and the report).");
      return new Input(read, corrupt);
    }
    if (ignore) {
      return new Input(read, corrupt, footers.rows());
    }
    // Reading the schema tolerated corrupt footers; the run itself must not skip data silently:
    // read again, with the schema already known (no inference), without the option.
    Dataset<Row> strict = shape(readRaw(spark, false, fileSchema), problems);
    return new Input(strict, corrupt, footers.rows());
  }

  /**
   * Reads {@code input.path}; falls back to merging all readable footers when the one Spark picks
   * is corrupt.
   */
  private Dataset<Row> readRaw(SparkSession spark, boolean ignoreCorrupt, StructType schema) {
    DataFrameReader reader =
        TableInput.fileOptions(
            config, spark.read().option(IGNORE_CORRUPT_OPTION, Boolean.toString(ignoreCorrupt)));
    if (schema != null) {
      return reader.schema(schema).parquet(config.path());
    }
    try {
      return reader.parquet(config.path());
    } catch (Exception e) {
      if (!(e instanceof AnalysisException a
          && a.getSimpleMessage().contains("UNABLE_TO_INFER_SCHEMA"))) {
        throw e;
      }
      // Spark infers the schema from one footer; if that file is corrupt, merge all readable ones.
      return reader.option("mergeSchema", "true").parquet(config.path());
    }
  }

  private Dataset<Row> shape(Dataset<Row> df, Problems problems) {
    return shape(config, df, problems);
  }

  /**
   * @return {@code df} with {@code input.columns} and {@code input.filter} applied, or null
   *     (problems recorded); shared with {@link TableInput}
   */
  static Dataset<Row> shape(JobConfig.Input config, Dataset<Row> df, Problems problems) {
    List<String> available = Arrays.asList(df.columns());
    List<String> columns = config.columns();
    if (columns != null && !columns.isEmpty()) {
      boolean ok = true;
      for (int i = 0; i < columns.size(); i++) {
        if (!available.contains(columns.get(i))) {
          problems.add(
              ConfigKeys.INPUT_COLUMNS
                  + "["
                  + i
                  + "]: column '"
                  + columns.get(i)
                  + "' not found in input;"
                  + " available: "
                  + available
                  + "."
                  + Problems.didYouMean(columns.get(i), available));
          ok = false;
        }
      }
      if (!ok) {
        return null;
      }
      df =
          df.selectExpr(
              columns.stream().map(c -> "`" + c.replace("`", "``") + "`").toArray(String[]::new));
    }
    String filter = config.filter();
    if (filter != null && !filter.isBlank()) {
      try {
        df = df.filter(filter);
      } catch (Exception e) {
        String msg = e instanceof AnalysisException a ? a.getSimpleMessage() : e.getMessage();
        problems.add(
            ConfigKeys.INPUT_FILTER
                + ": not a valid SQL condition on the input: "
                + firstLine(msg)
                + ". Columns available: "
                + Arrays.asList(df.columns())
                + ".");
        return null;
      }
    }
    return df;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
