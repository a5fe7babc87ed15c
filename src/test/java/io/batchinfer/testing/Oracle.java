package io.batchinfer.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The independent reference for engine tests: runs a model directly through ONNX Runtime, one row
 * at a time, with no Spark and no batchinfer code involved. Owns its session; close it.
 */
public final class Oracle implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  public Oracle(Path model) throws Exception {
    this(Files.readAllBytes(model));
  }

  public Oracle(byte[] model) throws OrtException {
    session = env.createSession(model, new OrtSession.SessionOptions());
  }

  /**
   * Runs one float32 row {@code [1, n]} through {@code input} and returns output {@code [1, k]} row
   * 0.
   */
  public float[] runRow(String input, String output, float[] row) throws OrtException {
    try (OnnxTensor t = OnnxTensor.createTensor(env, new float[][] {row});
        OrtSession.Result r = session.run(Map.of(input, t))) {
      return ((float[][]) r.get(output).orElseThrow().getValue())[0];
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
