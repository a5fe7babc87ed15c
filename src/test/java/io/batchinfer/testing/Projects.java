package io.batchinfer.testing;

import java.nio.file.Path;

/** Locations inside the project checkout, for tests that use committed models and data. */
public final class Projects {
  private Projects() {}

  /** @return the project root (surefire sets {@code batchinfer.project.dir}; else the working directory) */
  public static Path root() {
    return Path.of(System.getProperty("batchinfer.project.dir", ".")).toAbsolutePath().normalize();
  }

  /** @return the fp32 all-MiniLM-L6-v2 model the build unpacks (exact, batch-invariant: use it for oracle tests) */
  public static Path miniLm() {
    return existing(root().resolve("models/all-minilm-l6-v2/all-minilm-l6-v2.onnx"));
  }

  /** @return the tokenizer.json of all-MiniLM-L6-v2 */
  public static Path miniLmTokenizer() {
    return existing(root().resolve("models/all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json"));
  }

  /** @return the committed sentences corpus */
  public static Path sentences() {
    return existing(root().resolve("data/sentences/sentences.parquet"));
  }

  private static Path existing(Path p) {
    if (!java.nio.file.Files.exists(p)) {
      throw new IllegalStateException(p + " is missing; the build unpacks it (mvn generate-resources)");
    }
    return p;
  }

  /** @return the committed iris model */
  public static Path irisModel() {
    return root().resolve("models/iris/iris-logreg.onnx");
  }
}
