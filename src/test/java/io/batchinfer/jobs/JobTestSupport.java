package io.batchinfer.jobs;

import io.batchinfer.testing.Projects;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Generated iris-like input data, job configs and a way to run the CLI in-process. */
final class JobTestSupport {
  private JobTestSupport() {}

  static final StructType IRIS_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("sepal_length", DataTypes.DoubleType, false)
          .add("sepal_width", DataTypes.DoubleType, false)
          .add("petal_length", DataTypes.DoubleType, false)
          .add("petal_width", DataTypes.DoubleType, false)
          .add("day", DataTypes.StringType, false);

  /** Writes {@code rows} random flowers (fixed seed) as Parquet in {@code partitions} files. */
  static Path writeIrisLike(SparkSession spark, Path dir, int rows, int partitions, long seed) {
    Random random = new Random(seed);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      data.add(
          RowFactory.create(
              (long) i,
              4 + 4 * random.nextDouble(),
              2 + 2.5 * random.nextDouble(),
              1 + 6 * random.nextDouble(),
              0.1 + 2.4 * random.nextDouble(),
              i % 3 == 0 ? "2026-11-01" : "2026-11-02"));
    }
    Path path = dir.resolve("input");
    spark
        .createDataFrame(data, IRIS_SCHEMA)
        .coalesce(1)
        .repartition(partitions)
        .sortWithinPartitions("id")
        .write()
        .parquet(path.toString());
    return path;
  }

  /** A valid iris config reading {@code input} and writing {@code output}. */
  static String irisConfig(Path input, Path output) {
    return """
        job: {name: iris-test}
        input: {path: "%s"}
        model:
          path: "%s"
          batch_size: 16
        inputs:
          input: {columns: [sepal_length, sepal_width, petal_length, petal_width]}
        outputs:
          output:
            column: probabilities
            argmax: class_index
            labels: [setosa, versicolor, virginica]
        passthrough: [id, day]
        output: {path: "%s", mode: error}
        """
        .formatted(input, Projects.irisModel(), output);
  }

  static Path writeConfig(Path dir, String yaml) throws IOException {
    Path file = Files.createTempFile(dir, "job", ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** The outcome of one in-process CLI run. */
  record Run(int exitCode, String out, String err) {}

  static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        BatchInferenceJob.run(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
