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
 * before any inference runs, by opening every file's footer in a small parallel Spark job. A
 * footer read touches only the end of each file. Driver code; the check function is shipped to
 * executors.
 */
final class ParquetFooterCheck {
  private ParquetFooterCheck() {}

  /** A file that failed the check and why. */
  record Corrupt(String file, String reason) implements Serializable {}

  /** @return the corrupt files among {@code files}, in the order given */
  static List<Corrupt> findCorrupt(SparkSession spark, String[] files) {
    if (files.length == 0) {
      return List.of();
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    int slices = Math.max(1, Math.min(files.length, jsc.defaultParallelism() * 4));
    return jsc.parallelize(Arrays.asList(files), slices)
        .map(new CheckFooter(conf))
        .filter(c -> c != null)
        .collect();
  }

  /** Shipped to executors: opens one file's footer. */
  static final class CheckFooter implements Function<String, Corrupt> {
    private static final long serialVersionUID = 1L;
    private final SerializableConfiguration conf;

    CheckFooter(SerializableConfiguration conf) {
      this.conf = conf;
    }

    @Override
    public Corrupt call(String file) {
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf.value()))) {
        reader.getFooter();
        return null;
      } catch (IOException | RuntimeException e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        return new Corrupt(file, reason.length() > 300 ? reason.substring(0, 300) + "..." : reason);
      }
    }
  }
}
