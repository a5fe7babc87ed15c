package io.batchinfer.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the committed iris sample, {@code data/iris/iris.csv}, for the generators in this package
 * ({@link IrisModelGenerator}, {@link SampleDataGenerator}).
 *
 * <p>The file is strict on purpose: the header must be exactly {@link #HEADER}, ids must run 0..n-1
 * in file order, and species must be one of {@link #SPECIES}. A generator that silently accepted a
 * reordered or edited file would produce a model or Parquet file that no longer matches what {@code
 * models/README.md} and {@code data/README.md} document.
 */
final class IrisCsv {

  /** Repository-relative location of the CSV. */
  static final String CSV_PATH = "data/iris/iris.csv";

  /** The exact header line. */
  static final String HEADER = "id,sepal_length,sepal_width,petal_length,petal_width,species";

  /** Feature columns, in the order of the CSV, the Parquet file and the ONNX model input. */
  static final List<String> FEATURES =
      List.of("sepal_length", "sepal_width", "petal_length", "petal_width");

  /** Class labels; the list index is the class index of the ONNX model output. */
  static final List<String> SPECIES = List.of("setosa", "versicolor", "virginica");

  /**
   * One CSV row.
   *
   * @param id row number, 0-based, in file order
   * @param features the four measurements in {@link #FEATURES} order (centimetres)
   * @param species one of {@link #SPECIES}
   */
  record Row(long id, double[] features, String species) {}

  private IrisCsv() {}

  /**
   * Reads and validates {@code <repoRoot>/data/iris/iris.csv}.
   *
   * @param repoRoot the repository root
   * @return the rows in file order
   * @throws IOException if the file can't be read
   * @throws IllegalArgumentException naming the line, if the file is not in the expected format
   */
  static List<Row> read(Path repoRoot) throws IOException {
    Path csv = repoRoot.resolve(CSV_PATH);
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new IllegalArgumentException(
          CSV_PATH
              + ": expected header '"
              + HEADER
              + "' but found '"
              + (lines.isEmpty() ? "" : lines.get(0))
              + "'");
    }
    List<Row> rows = new ArrayList<>(lines.size() - 1);
    for (int i = 1; i < lines.size(); i++) {
      String[] cells = lines.get(i).split(",", -1);
      String where = CSV_PATH + " line " + (i + 1) + ": ";
      if (cells.length != 6) {
        throw new IllegalArgumentException(where + "expected 6 cells but found " + cells.length);
      }
      long id = Long.parseLong(cells[0]);
      if (id != rows.size()) {
        throw new IllegalArgumentException(
            where + "expected id " + rows.size() + " but found " + id);
      }
      double[] features = new double[FEATURES.size()];
      for (int f = 0; f < features.length; f++) {
        features[f] = Double.parseDouble(cells[1 + f]);
      }
      if (!SPECIES.contains(cells[5])) {
        throw new IllegalArgumentException(
            where + "species '" + cells[5] + "' is not one of " + SPECIES);
      }
      rows.add(new Row(id, features, cells[5]));
    }
    return rows;
  }
}
