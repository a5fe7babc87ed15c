package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.model.ModelArtifact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link SessionOptionsSpec}'s threads and {@link OrtTuning} to ONNX Runtime session
 * options, and creates the session, through the executor-local optimised-model cache when one is
 * configured. Executor side (and the driver in local mode); stateless. The caller owns the options;
 * the session created belongs to {@link SessionCache}.
 */
final class SessionTuner {
  private static final Logger LOG = LoggerFactory.getLogger(SessionTuner.class);
  static final String INTRA_SPIN = "session.intra_op.allow_spinning";
  static final String INTER_SPIN = "session.inter_op.allow_spinning";

  private SessionTuner() {}

  /** Creates a session from prepared options. */
  interface Factory {
    OrtSession create(OrtEnvironment env, ModelArtifact model, OrtSession.SessionOptions options)
        throws OrtException;
  }

  /**
   * Options set up, how to create the session from them, and the settings in use (for the one log
   * line per session).
   */
  record Prepared(Factory factory, String describe) {
    OrtSession create(OrtEnvironment env, ModelArtifact model, OrtSession.SessionOptions options)
        throws OrtException {
      return factory.create(env, model, options);
    }
  }

  static Prepared apply(OrtSession.SessionOptions options, SessionOptionsSpec spec, String sha256)
      throws OrtException {
    OrtTuning t = spec.tuning();
    boolean global = t.globalThreadPool() && OrtRuntime.globalThreadPoolActive();
    if (global) {
      options.disablePerSessionThreads();
    } else {
      options.setIntraOpNumThreads(spec.intraOpThreads());
      options.setInterOpNumThreads(t.interOpThreads());
    }
    if (t.interOpThreads() > 1) {
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.PARALLEL);
    }
    String spin = t.spinning() ? "1" : "0";
    options.addConfigEntry(INTRA_SPIN, spin);
    options.addConfigEntry(INTER_SPIN, spin);
    options.setMemoryPatternOptimization(t.memoryPattern());
    options.setCPUArenaAllocator(t.cpuArena());
    String describe =
        "inter_op_threads="
            + t.interOpThreads()
            + ", spinning="
            + t.spinning()
            + ", global_thread_pool="
            + global
            + ", memory_pattern="
            + t.memoryPattern()
            + ", cpu_arena="
            + t.cpuArena()
            + ", optimization_level="
            + t.optimizationLevel();
    if (t.optimizedModelDir() == null) {
      options.setOptimizationLevel(t.optimizationLevel().ort());
      return prepared((env, model, o) -> ModelSessions.open(env, model, o), describe);
    }
    Path dir = Path.of(t.optimizedModelDir());
    Path cached = dir.resolve(sha256 + "-" + t.optimizationLevel() + ".onnx");
    if (Files.isRegularFile(cached)) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      return prepared(
          (env, model, o) -> env.createSession(cached.toString(), o),
          describe + ", optimized model from " + cached);
    }
    options.setOptimizationLevel(t.optimizationLevel().ort());
    Path tmp = dir.resolve(sha256 + "-" + t.optimizationLevel() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.createDirectories(dir);
      options.setOptimizedModelFilePath(tmp.toString());
    } catch (IOException e) {
      LOG.warn(
          "model.onnxruntime.optimized_model_dir {} is not writable ({}); optimising in memory",
          dir,
          e.toString());
      return prepared((env, model, o) -> ModelSessions.open(env, model, o), describe);
    }
    return prepared(
        (env, model, o) -> {
          OrtSession session = ModelSessions.open(env, model, o);
          try {
            // Atomic: concurrent executors on one host either see no file or a complete one.
            Files.move(
                tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } catch (IOException e) {
            LOG.warn("cannot store the optimised model in {} ({})", cached, e.toString());
            try {
              Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
              // best effort
            }
          }
          return session;
        },
        describe + ", optimized model saved to " + cached);
  }

  private static Prepared prepared(Factory factory, String describe) {
    return new Prepared(factory, describe);
  }
}
