package io.batchinfer.testing;

import java.nio.file.Path;

/** Locations inside the project checkout, for tests that use committed models and data. */
public final class Projects {
  private Projects() {}

  /**
   * @return the project root (surefire sets {@code batchinfer.project.dir}; else the working
   *     directory)
   */
  public static Path root() {
    return Path.of(System.getProperty("batchinfer.project.dir", ".")).toAbsolutePath().normalize();
  }

  /**
   * @return the Maven build directory of the build under test: {@code target/}, or {@code
   *     target/spark4/} under {@code -Pspark4} (surefire and failsafe set {@code
   *     batchinfer.build.dir})
   */
  public static Path buildDir() {
    String dir = System.getProperty("batchinfer.build.dir");
    return dir == null ? root().resolve("target") : Path.of(dir).toAbsolutePath().normalize();
  }

  /**
   * @return the cluster jar of the build under test ({@code batchinfer-cluster.jar} or {@code
   *     batchinfer-spark4-cluster.jar})
   */
  public static Path clusterJar() {
    return buildDir()
        .resolve(System.getProperty("batchinfer.cluster.jar", "batchinfer-cluster.jar"));
  }

  /**
   * @return the Spark line of the build under test, as {@code BATCHINFER_SPARK} spells it: {@code
   *     3.5} or {@code 4}
   */
  public static String sparkLine() {
    return System.getProperty("batchinfer.spark.line", "3.5");
  }

  /**
   * @return the Scala binary version of the build under test ({@code 2.12} or {@code 2.13})
   */
  public static String scalaBinaryVersion() {
    return System.getProperty("batchinfer.scala.binary.version", "2.12");
  }

  /**
   * @return the fp32 all-MiniLM-L6-v2 model the build unpacks (exact, batch-invariant: use it for
   *     oracle tests)
   */
  public static Path miniLm() {
    return existing(root().resolve("models/all-minilm-l6-v2/all-minilm-l6-v2.onnx"));
  }

  /**
   * @return the tokenizer.json of all-MiniLM-L6-v2
   */
  public static Path miniLmTokenizer() {
    return existing(root().resolve("models/all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json"));
  }

  /**
   * @return the committed sentences corpus
   */
  public static Path sentences() {
    return existing(root().resolve("data/sentences/sentences.parquet"));
  }

  private static Path existing(Path p) {
    if (!java.nio.file.Files.exists(p)) {
      throw new IllegalStateException(
          p + " is missing; the build unpacks it (mvn generate-resources)");
    }
    return p;
  }

  /**
   * @return the committed iris model
   */
  public static Path irisModel() {
    return root().resolve("models/iris/iris-logreg.onnx");
  }
}
