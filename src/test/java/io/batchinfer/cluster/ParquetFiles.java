package io.batchinfer.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes and reads Parquet with parquet-hadoop alone, so that cluster tests need no Spark session
 * in the test JVM: iris-like input data split into many files, and job output read back as rows.
 */
final class ParquetFiles {
  private ParquetFiles() {}

  /** The iris example's feature columns plus a unique {@code id}, all required. */
  static final MessageType IRIS_LIKE =
      MessageTypeParser.parseMessageType(
          """
      message iris_like {
        required int64 id;
        required double sepal_length;
        required double sepal_width;
        required double petal_length;
        required double petal_width;
      }""");

  /** One output row: its {@code id} and all its values as text (floats print exactly). */
  record IdRow(long id, String values) {}

  /**
   * Writes {@code files} Parquet files of {@code rowsPerFile} random flowers each (ids 0 .. files *
   * rowsPerFile - 1, fixed seed) into the new directory {@code dir}.
   */
  static Path writeIrisLike(Path dir, int files, int rowsPerFile, long seed) throws IOException {
    Files.createDirectories(dir);
    Configuration conf = new Configuration();
    SimpleGroupFactory groups = new SimpleGroupFactory(IRIS_LIKE);
    Random random = new Random(seed);
    long id = 0;
    for (int f = 0; f < files; f++) {
      org.apache.hadoop.fs.Path file =
          new org.apache.hadoop.fs.Path(dir.resolve(String.format("part-%05d.parquet", f)).toUri());
      try (ParquetWriter<Group> writer =
          ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
              .withConf(conf)
              .withType(IRIS_LIKE)
              .withCompressionCodec(CompressionCodecName.SNAPPY)
              .build()) {
        for (int r = 0; r < rowsPerFile; r++) {
          writer.write(
              groups
                  .newGroup()
                  .append("id", id++)
                  .append("sepal_length", 4 + 4 * random.nextDouble())
                  .append("sepal_width", 2 + 2.5 * random.nextDouble())
                  .append("petal_length", 1 + 6 * random.nextDouble())
                  .append("petal_width", 0.1 + 2.4 * random.nextDouble()));
        }
      }
    }
    return dir;
  }

  /** Reads every {@code *.parquet} file directly inside {@code dir} (a Spark output directory). */
  static List<IdRow> read(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
    Configuration conf = new Configuration();
    List<IdRow> rows = new ArrayList<>();
    for (Path f : files) {
      org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(f.toUri());
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
        for (Group g = reader.read(); g != null; g = reader.read()) {
          rows.add(new IdRow(g.getLong("id", 0), g.toString()));
        }
      }
    }
    return rows;
  }
}
