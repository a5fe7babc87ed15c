package io.batchinfer.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Generates the committed text corpus {@code data/sentences/sentences.parquet}: real English
 * sentences for the text-embedding jobs and tests, taken from the usage examples in WordNet 3.0
 * glosses, as shipped by Debian's {@code wordnet-base} package.
 *
 * <p>Selection, fully deterministic: the {@code data.noun}, {@code data.verb}, {@code data.adj} and
 * {@code data.adv} files are read in that order, line by line; each quoted example of a gloss (the
 * {@code "..."} parts after {@code |}) is trimmed and its whitespace collapsed; examples of fewer
 * than {@value #MIN_WORDS} words or not starting with a letter are dropped, and so are repeats. Of
 * the remaining ~23,000, the {@value #ROWS} whose SHA-256 (of the UTF-8 text) sorts lowest are
 * kept, a hash-based sample that mixes parts of speech and does not depend on file order. They are
 * written in source order with {@code id} 1, 2, … . The text is verbatim WordNet: mostly
 * lower-case, without a final full stop.
 *
 * <p>Schema {@code id int64, text string}, both required (Spark reads them as nullable {@code long}
 * and {@code string}); one row group, snappy. After writing, the file is read back and compared,
 * and a digest of the content (SHA-256 of the lines {@code id TAB text LF}) is printed: that digest
 * is reproducible. The file's bytes are too, except for the order of the encoding list in the
 * footer, which parquet-mr takes from a {@code HashSet} of enums (identity hash codes, so it can
 * change from one JVM run to the next); the README's command pins it with {@code -XX:hashCode=2}.
 *
 * <p>Usage: {@code SentencesGenerator <wordnet-dir> [repoRoot [rows]]}, where {@code wordnet-dir}
 * is {@code usr/share/wordnet} of the unpacked package (or the unpacked package root). See {@code
 * data/sentences/README.md} for the full command. With {@code rows} other than {@value #ROWS} it
 * writes {@code data/sentences/sentences-<rows>.parquet} (the benchmark's larger corpus: the same
 * selection rule, so it contains the default file's sentences).
 */
public final class SentencesGenerator {

  /** Repository-relative output path. */
  static final String PARQUET_PATH = "data/sentences/sentences.parquet";

  /** Number of sentences kept. */
  static final int ROWS = 3000;

  /** Shortest example kept, in whitespace-separated words. */
  static final int MIN_WORDS = 6;

  /** WordNet data files, in reading order. */
  static final List<String> DATA_FILES = List.of("data.noun", "data.verb", "data.adj", "data.adv");

  static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message sentences {\n"
              + "  required int64 id;\n"
              + "  required binary text (STRING);\n"
              + "}");

  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  private SentencesGenerator() {}

  /** A kept sentence: its position in the source and its text. */
  record Sentence(int sourceOrder, String text, String sha256) {}

  /**
   * Extracts, selects and writes the sentences, then checks the file.
   *
   * @param args the WordNet directory, then optionally the repository root (default: the current
   *     directory)
   * @throws IOException on read or write failure
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: SentencesGenerator <wordnet-dir> [repoRoot]");
      System.exit(2);
    }
    Path wordnet = Path.of(args[0]);
    if (Files.isDirectory(wordnet.resolve("usr/share/wordnet"))) {
      wordnet = wordnet.resolve("usr/share/wordnet");
    }
    Path repoRoot = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
    int count = args.length > 2 ? Integer.parseInt(args[2]) : ROWS;
    String parquetPath =
        count == ROWS ? PARQUET_PATH : "data/sentences/sentences-" + count + ".parquet";

    for (String name : DATA_FILES) {
      Path file = wordnet.resolve(name);
      System.out.printf("read %s sha256=%s%n", file, sha256(Files.readAllBytes(file)));
    }
    List<String> candidates = extract(wordnet);
    List<String> rows = select(candidates, count);

    Path target = repoRoot.resolve(parquetPath);
    NioOutputFile.publish(
        target,
        tmp -> {
          write(rows, tmp);
          verify(rows, tmp);
        });
    byte[] bytes = Files.readAllBytes(target);
    System.out.printf("%d candidate examples, kept %d%n", candidates.size(), rows.size());
    System.out.printf(
        "wrote %s (%d rows, %d bytes, snappy) sha256=%s%n",
        parquetPath, rows.size(), bytes.length, sha256(bytes));
    System.out.printf("content sha256=%s%n", contentSha256(rows));
  }

  /** All distinct usable examples, in source order. */
  static List<String> extract(Path wordnet) throws IOException {
    Set<String> seen = new LinkedHashSet<>();
    for (String name : DATA_FILES) {
      // WordNet 3.0 data files are ASCII; Latin-1 never fails to decode.
      try (BufferedReader in =
          Files.newBufferedReader(wordnet.resolve(name), StandardCharsets.ISO_8859_1)) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          int bar = line.indexOf(" | ");
          if (line.startsWith("  ") || bar < 0) {
            continue; // licence header, or no gloss
          }
          Matcher m = QUOTED.matcher(line.substring(bar + 3));
          while (m.find()) {
            String text = m.group(1).trim().replaceAll("\\s+", " ");
            if (text.split(" ").length >= MIN_WORDS && Character.isLetter(text.charAt(0))) {
              seen.add(text);
            }
          }
        }
      }
    }
    return new ArrayList<>(seen);
  }

  /** The {@link #ROWS} candidates with the lowest SHA-256, in source order. */
  static List<String> select(List<String> candidates) {
    return select(candidates, ROWS);
  }

  /** The {@code rows} candidates with the lowest SHA-256, in source order. */
  static List<String> select(List<String> candidates, int rows) {
    if (candidates.size() < rows) {
      throw new IllegalStateException(
          "only "
              + candidates.size()
              + " candidate examples, need "
              + rows
              + ": is this the WordNet 3.0 dict directory?");
    }
    List<Sentence> all = new ArrayList<>(candidates.size());
    for (int i = 0; i < candidates.size(); i++) {
      String text = candidates.get(i);
      all.add(new Sentence(i, text, sha256(text.getBytes(StandardCharsets.UTF_8))));
    }
    all.sort(Comparator.comparing(Sentence::sha256));
    List<Sentence> kept = new ArrayList<>(all.subList(0, rows));
    kept.sort(Comparator.comparingInt(Sentence::sourceOrder));
    return kept.stream().map(Sentence::text).toList();
  }

  private static void write(List<String> rows, Path file) throws IOException {
    SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(new NioOutputFile(file))
            .withConf(new Configuration())
            .withType(SCHEMA)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .build()) {
      long id = 1;
      for (String text : rows) {
        writer.write(groups.newGroup().append("id", id++).append("text", text));
      }
    }
  }

  /** Reads the file back and fails unless every row is as written. */
  private static void verify(List<String> rows, Path file) throws IOException {
    org.apache.hadoop.fs.Path hadoopPath = new org.apache.hadoop.fs.Path(file.toUri());
    int n = 0;
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), hadoopPath)
            .withConf(new Configuration())
            .build()) {
      for (Group g = reader.read(); g != null; g = reader.read(), n++) {
        if (n >= rows.size()
            || g.getLong("id", 0) != n + 1
            || !g.getString("text", 0).equals(rows.get(n))) {
          throw new IllegalStateException("read-back mismatch at row " + n + ": " + g);
        }
      }
    }
    if (n != rows.size()) {
      throw new IllegalStateException("read back " + n + " rows, expected " + rows.size());
    }
    try (ParquetFileReader footer =
        ParquetFileReader.open(HadoopInputFile.fromPath(hadoopPath, new Configuration()))) {
      if (!footer.getFileMetaData().getSchema().equals(SCHEMA)) {
        throw new IllegalStateException("schema mismatch: " + footer.getFileMetaData().getSchema());
      }
    }
  }

  /** SHA-256 of the rows as {@code id TAB text LF} lines, independent of Parquet's encoding. */
  static String contentSha256(List<String> rows) {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      lines.append(i + 1).append('\t').append(rows.get(i)).append('\n');
    }
    return sha256(lines.toString().getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
