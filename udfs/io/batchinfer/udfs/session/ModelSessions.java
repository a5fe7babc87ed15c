package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.model.LocalModelCache;
import io.batchinfer.udfs.model.ModelArtifact;

/**
 * Opens an {@link OrtSession} for a planned model, whichever way it was distributed: from the
 * broadcast bytes, or by path from this node's model cache (distribution {@code files}; copied
 * there first if needed), so that ONNX Runtime resolves external data next to the graph. The caller
 * owns the returned session. Stateless.
 */
public final class ModelSessions {
  private ModelSessions() {}

  /** Opens a session for {@code model} with {@code options} (the caller closes both). */
  public static OrtSession open(
      OrtEnvironment env, ModelArtifact model, OrtSession.SessionOptions options)
      throws OrtException {
    if (model.files() == null) {
      return env.createSession(model.bytes(), options);
    }
    return env.createSession(LocalModelCache.materialize(model).toString(), options);
  }
}
