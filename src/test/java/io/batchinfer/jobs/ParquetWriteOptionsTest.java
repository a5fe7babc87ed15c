package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job writes float arrays without dictionary encoding (and everything else as Spark does):
 * checked in the footers of the files it wrote, with the column types unchanged.
 */
class ParquetWriteOptionsTest extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  void optionsNameEveryFloatOrDoubleArrayAtAnyDepthAndNothingElse() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("p", DataTypes.createArrayType(DataTypes.FloatType))
            .add("grid", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)))
            .add("tags", DataTypes.createArrayType(DataTypes.StringType))
            .add("ints", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("x", DataTypes.FloatType);
    assertThat(ParquetWriteOptions.plainFloatArrays(schema))
        .containsExactly(
            Map.entry("parquet.enable.dictionary#p.list.element", "false"),
            Map.entry("parquet.enable.dictionary#grid.list.element.list.element", "false"));
  }

  @Test
  void jobWritesProbabilitiesWithoutDictionaryAndLabelsWithIt() throws Exception {
    Path input = writeIrisLike(spark, tmp, 200, 1, 3);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli("--config", writeConfig(tmp, irisConfig(input, output)).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();

    Map<String, Set<Encoding>> encodings = new HashMap<>();
    List<Path> parts;
    try (Stream<Path> s = Files.walk(output)) {
      parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertThat(parts).isNotEmpty();
    for (Path part : parts) {
      try (ParquetFileReader r =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
        for (ColumnChunkMetaData c : r.getFooter().getBlocks().get(0).getColumns()) {
          encodings
              .computeIfAbsent(c.getPath().toDotString(), k -> new java.util.HashSet<>())
              .addAll(c.getEncodings());
        }
      }
    }
    assertThat(encodings.get("probabilities.list.element"))
        .doesNotContain(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY)
        .contains(Encoding.PLAIN);
    // Three label strings repeat: Spark's default dictionary encoding stays on for them.
    assertThat(encodings.get("class_index_label"))
        .containsAnyOf(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
    // Same type as before (Spark reads every Parquet column back as nullable).
    assertThat(spark.read().parquet(output.toString()).schema().apply("probabilities").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, true));
  }
}
