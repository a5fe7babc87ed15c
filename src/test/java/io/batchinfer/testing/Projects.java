package io.batchinfer.testing;

import java.nio.file.Path;

/** Locations inside the project checkout, for tests that use committed models and data. */
public final class Projects {
  private Projects() {}

  /** @return the project root (surefire sets {@code batchinfer.project.dir}; else the working directory) */
  public static Path root() {
    return Path.of(System.getProperty("batchinfer.project.dir", ".")).toAbsolutePath().normalize();
  }

  /** @return the committed iris model */
  public static Path irisModel() {
    return root().resolve("models/iris/iris-logreg.onnx");
  }
}
