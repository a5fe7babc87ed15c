package io.batchinfer.jobs;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Finds input files that are not readable Parquet (truncated, corrupt footer, not Parquet at all)
 * before any inference runs, by opening every file's footer in a small parallel Spark job. A footer
 * read touches only the end of each file. The footers' row counts come with it for free, so the
 * progress line's total needs no separate count of the input. Driver code; the check function is
 * shipped to executors.
 */
final class ParquetFooterCheck {
  private ParquetFooterCheck() {}

  /** A file that failed the check and why. */
  record Corrupt(String file, String reason) implements Serializable {}

  /**
   * One file's outcome: its row count from the footer, or why it is not readable (then rows is 0).
   */
  record Checked(String file, long rows, String reason) implements Serializable {}

  /**
   * What the check found.
   *
   * @param corrupt the unreadable files, in the order given
   * @param rows the row count of all readable files, from their footers
   */
  record Footers(List<Corrupt> corrupt, long rows) {}

  /**
   * @return the corrupt files among {@code files}, in the order given
   */
  static List<Corrupt> findCorrupt(SparkSession spark, String[] files) {
    return check(spark, files).corrupt();
  }

  /** Opens every footer of {@code files} (one small Spark job); see {@link Footers}. */
  static Footers check(SparkSession spark, String[] files) {
    if (files.length == 0) {
      return new Footers(List.of(), 0);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf =
        new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    int slices = Math.max(1, Math.min(files.length, jsc.defaultParallelism() * 4));
    List<Checked> all =
        jsc.parallelize(Arrays.asList(files), slices).map(new CheckFooter(conf)).collect();
    long rows = 0;
    List<Corrupt> corrupt = new java.util.ArrayList<>();
    for (Checked c : all) {
      if (c.reason() == null) {
        rows += c.rows();
      } else {
        corrupt.add(new Corrupt(c.file(), c.reason()));
      }
    }
    return new Footers(List.copyOf(corrupt), rows);
  }

  /** Shipped to executors: opens one file's footer. */
  static final class CheckFooter implements Function<String, Checked> {
    private static final long serialVersionUID = 1L;
    private final SerializableConfiguration conf;

    CheckFooter(SerializableConfiguration conf) {
      this.conf = conf;
    }

    @Override
    public Checked call(String file) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf.value()))) {
        long rows = 0;
        for (org.apache.parquet.hadoop.metadata.BlockMetaData block :
            reader.getFooter().getBlocks()) {
          rows += block.getRowCount();
        }
        return new Checked(file, rows, null);
      } catch (IOException | RuntimeException e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        return new Checked(
            file, 0, reason.length() > 300 ? reason.substring(0, 300) + "..." : reason);
      }
    }
  }
}
