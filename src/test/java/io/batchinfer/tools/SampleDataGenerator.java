package io.batchinfer.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Generates the committed sample input {@code data/iris/iris.parquet} from {@code
 * data/iris/iris.csv}, so the example jobs and tests have a real Parquet file to read that matches
 * the committed iris model ({@link IrisModelGenerator}).
 *
 * <p>The file is written with parquet-hadoop's {@link ExampleParquetWriter} rather than Spark: no
 * Spark startup, a single file rather than a directory of part files, and byte-for-byte
 * deterministic output (no timestamps; one row group; snappy). The schema is {@code id int64,
 * sepal_length double, sepal_width double, petal_length double, petal_width double, species
 * string}, all required; Spark reads it as {@code id long, … double, species string} (file sources
 * are read as nullable). Rows keep CSV order. After writing, the file is read back and compared
 * with the CSV.
 *
 * <p>The writer goes through a small {@code java.nio} {@link OutputFile}, not Hadoop's local file
 * system, which would also leave a {@code .iris.parquet.crc} side file.
 *
 * <p>Usage: {@code SampleDataGenerator [repoRoot]} (default: the current directory). See {@code
 * data/README.md} for the full command.
 */
public final class SampleDataGenerator {

  /** Repository-relative output path. */
  static final String PARQUET_PATH = "data/iris/iris.parquet";

  /** Parquet schema; field order and names match the CSV header. */
  static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message iris {\n"
              + "  required int64 id;\n"
              + "  required double sepal_length;\n"
              + "  required double sepal_width;\n"
              + "  required double petal_length;\n"
              + "  required double petal_width;\n"
              + "  required binary species (STRING);\n"
              + "}");

  private SampleDataGenerator() {}

  /**
   * Converts the CSV to Parquet and checks the result.
   *
   * @param args optional repository root (default: the current directory)
   * @throws IOException on read or write failure
   */
  public static void main(String[] args) throws IOException {
    Path repoRoot = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    List<IrisCsv.Row> rows = IrisCsv.read(repoRoot);
    Path target = repoRoot.resolve(PARQUET_PATH);
    NioOutputFile.publish(
        target,
        tmp -> {
          write(rows, tmp);
          verify(rows, tmp);
        });
    byte[] bytes = Files.readAllBytes(target);
    System.out.printf(
        "wrote %s (%d rows, %d bytes, snappy) sha256=%s%n",
        PARQUET_PATH, rows.size(), bytes.length, IrisModelGenerator.sha256(bytes));
    System.out.printf(
        "schema: %s%n", SCHEMA.toString().replace('\n', ' ').replaceAll(" +", " ").trim());
  }

  private static void write(List<IrisCsv.Row> rows, Path file) throws IOException {
    SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(new NioOutputFile(file))
            .withConf(new Configuration())
            .withType(SCHEMA)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .build()) {
      for (IrisCsv.Row row : rows) {
        Group g = groups.newGroup().append("id", row.id());
        for (int f = 0; f < IrisCsv.FEATURES.size(); f++) {
          g.append(IrisCsv.FEATURES.get(f), row.features()[f]);
        }
        writer.write(g.append("species", row.species()));
      }
    }
  }

  /** Reads the file back and fails unless every value equals the CSV's. */
  private static void verify(List<IrisCsv.Row> rows, Path file) throws IOException {
    org.apache.hadoop.fs.Path hadoopPath = new org.apache.hadoop.fs.Path(file.toUri());
    int n = 0;
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), hadoopPath)
            .withConf(new Configuration())
            .build()) {
      for (Group g = reader.read(); g != null; g = reader.read(), n++) {
        IrisCsv.Row expected = n < rows.size() ? rows.get(n) : null;
        boolean same =
            expected != null
                && g.getLong("id", 0) == expected.id()
                && g.getString("species", 0).equals(expected.species());
        for (int f = 0; same && f < IrisCsv.FEATURES.size(); f++) {
          same = g.getDouble(IrisCsv.FEATURES.get(f), 0) == expected.features()[f];
        }
        if (!same) {
          throw new IllegalStateException("read-back mismatch at row " + n + ": " + g);
        }
      }
    }
    if (n != rows.size()) {
      throw new IllegalStateException("read back " + n + " rows, expected " + rows.size());
    }
    // Opening the footer also checks that it is a single, complete Parquet file.
    try (ParquetFileReader footer =
        ParquetFileReader.open(HadoopInputFile.fromPath(hadoopPath, new Configuration()))) {
      if (!footer.getFileMetaData().getSchema().equals(SCHEMA)) {
        throw new IllegalStateException("schema mismatch: " + footer.getFileMetaData().getSchema());
      }
    }
  }
}
