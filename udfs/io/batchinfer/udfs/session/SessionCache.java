package io.batchinfer.udfs.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import io.batchinfer.udfs.model.LocalModelCache;
import io.batchinfer.udfs.model.ModelArtifact;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor JVM singleton: at most one {@link OrtSession} per (model sha256, {@link
 * SessionOptionsSpec}, device, GPU ordinal) per JVM, created lazily on first use and shared by
 * every task of the JVM placed on that device, including tasks of later jobs that use the same
 * model. Two GPUs in one executor get a session each; every task on one GPU shares its session.
 *
 * <p>Placement: {@link DeviceResolver} gives each task a device and ordinal (from Spark's GPU
 * resources). When the GPU provider cannot be used and the fallback is {@code cpu}, the key is
 * served by the executor's CPU session for the model (shared with every other fallen-back GPU key)
 * and {@link CachedSession#fallbackReason()} says why; with fallback {@code fail} the task fails
 * with a message naming the provider, the ordinal and the config keys.
 *
 * <p>Ownership: the cache owns each session and its {@code SessionOptions} and closes them once, at
 * JVM shutdown (or {@link #closeAll()}, for tests). Callers must never close a session they got
 * from here. {@link OrtSession#run} is thread-safe, so concurrent tasks share a session.
 *
 * <p>Thread-safe. Hits are lock-free; creation of any session happens under one lock, once.
 */
public final class SessionCache {
  private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);
  private static final Map<Key, CachedSession> SESSIONS = new ConcurrentHashMap<>();
  private static final AtomicLong CREATED = new AtomicLong();
  private static final Object CREATE_LOCK = new Object();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(SessionCache::closeAll, "batchinfer-session-cache-close"));
  }

  private SessionCache() {}

  /** A cached session, the options it was built with (closed with it) and what it runs on. */
  public static final class CachedSession {
    private final OrtSession session;
    private final OrtSession.SessionOptions options;
    private final String provider;
    private final int ordinal;
    private final String fallbackReason;
    private final long createMillis;

    private CachedSession(
        OrtSession session,
        OrtSession.SessionOptions options,
        String provider,
        int ordinal,
        String fallbackReason,
        long createMillis) {
      this.session = session;
      this.options = options;
      this.provider = provider;
      this.ordinal = ordinal;
      this.fallbackReason = fallbackReason;
      this.createMillis = createMillis;
    }

    /**
     * @return the shared session; owned by the cache, never close it
     */
    public OrtSession session() {
      return session;
    }

    /**
     * @return the execution provider actually in use: {@code CPU}, {@code CUDA} or {@code TENSORRT}
     */
    public String provider() {
      return provider;
    }

    /**
     * @return the GPU ordinal the session runs on, -1 on CPU; for a fallback to CPU, the ordinal
     *     the task was assigned (see {@link #fallbackReason()})
     */
    public int ordinal() {
      return ordinal;
    }

    /**
     * @return why a GPU placement runs on CPU instead, or null when it runs where it was placed
     */
    public String fallbackReason() {
      return fallbackReason;
    }

    /**
     * @return how long creating the session took
     */
    public long createMillis() {
      return createMillis;
    }

    /**
     * A view of this CPU session for a GPU placement that fell back; keeps the assigned ordinal for
     * reports.
     */
    private CachedSession asFallback(int assignedOrdinal, String reason) {
      return new CachedSession(session, null, provider, assignedOrdinal, reason, 0);
    }
  }

  private record Key(String sha256, SessionOptionsSpec options, Device device, int ordinal) {}

  /** The outcome of {@link #acquire}: the session and whether this call created it. */
  public record Lease(CachedSession cached, boolean created) {
    /**
     * @return the shared session; do not close it
     */
    public OrtSession session() {
      return cached.session();
    }
  }

  /**
   * Returns the session for {@code sha256} and {@code options} on the current task's placement
   * ({@link DeviceResolver#forCurrentTask}), creating it from {@code model} (only called on a miss,
   * so a broadcast is only fetched when needed).
   *
   * @throws SessionCreationException when ONNX Runtime cannot create the session
   */
  public static Lease acquire(
      String sha256, SessionOptionsSpec options, Supplier<ModelArtifact> model) {
    return acquire(sha256, options, DeviceResolver.forCurrentTask(options), model);
  }

  /**
   * Returns the session for {@code sha256} and {@code options} on {@code placement}, creating it
   * from {@code model} on a miss.
   *
   * @throws SessionCreationException when ONNX Runtime cannot create the session
   */
  public static Lease acquire(
      String sha256,
      SessionOptionsSpec options,
      Placement placement,
      Supplier<ModelArtifact> model) {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(options, "options");
    Key key = new Key(sha256, options, placement.device(), placement.ordinal());
    CachedSession existing = SESSIONS.get(key);
    if (existing != null) {
      return new Lease(existing, false);
    }
    synchronized (CREATE_LOCK) {
      existing = SESSIONS.get(key);
      if (existing != null) {
        return new Lease(existing, false);
      }
      ModelArtifact artifact = model.get();
      CachedSession cached;
      boolean created = true;
      if (placement.device() == Device.CPU) {
        cached = create(artifact, options, placement);
      } else {
        try {
          cached = create(artifact, options, placement);
        } catch (SessionCreationException e) {
          if (options.gpu().fallback() != DeviceFallback.CPU) {
            throw e;
          }
          String reason =
              placement.describe()
                  + " unusable: "
                  + e.getMessage().replace(gpuHint(placement), "").strip();
          LOG.warn("model.device_fallback=cpu: {}; running on CPU", reason);
          Key cpuKey = new Key(sha256, options, Device.CPU, -1);
          CachedSession cpu = SESSIONS.get(cpuKey);
          if (cpu == null) {
            cpu = create(artifact, options, Placement.CPU);
            SESSIONS.put(cpuKey, cpu);
          } else {
            created = false;
          }
          cached = cpu.asFallback(placement.ordinal(), reason);
        }
      }
      SESSIONS.put(key, cached);
      return new Lease(cached, created);
    }
  }

  private static CachedSession create(
      ModelArtifact model, SessionOptionsSpec spec, Placement placement) {
    long start = System.nanoTime();
    OrtEnvironment env = OrtRuntime.environment(spec);
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    String provider =
        placement.device() == Device.CPU
            ? "CPU"
            : placement.device() == Device.TENSORRT ? "TENSORRT" : "CUDA";
    try {
      SessionTuner.Prepared tuned = SessionTuner.apply(options, spec, model.sha256());
      // ONNX Runtime would print every failed run natively on stderr (one line per row when a batch
      // is retried row by row). Each failure reaches the engine as an OrtException and is logged
      // there once, with a count (see the scorer's RejectionLog), so the session logs only fatal
      // errors.
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      for (String library : spec.customOpLibraries()) {
        // Only libraries the config names explicitly (model.custom_op_libraries) are ever loaded.
        options.registerCustomOpLibrary(library);
      }
      addProvider(options, spec, placement, model);
      OrtSession session = tuned.create(env, model, options);
      long millis = (System.nanoTime() - start) / 1_000_000;
      CREATED.incrementAndGet();
      LOG.info(
          "created ONNX Runtime session for {} sha256={} in {} ms, provider={}, ordinal={}, threads={}, model {}, {}",
          model.uri(),
          model.shortSha(),
          millis,
          provider,
          placement.ordinal(),
          spec.intraOpThreads(),
          model.distribution(),
          tuned.describe());
      return new CachedSession(session, options, provider, placement.ordinal(), null, millis);
    } catch (OrtException | RuntimeException e) {
      options.close();
      if (e instanceof SessionCreationException s) {
        throw s;
      }
      String where =
          placement.device() == Device.CPU
              ? ""
              : provider
                  + " provider on GPU ordinal "
                  + placement.ordinal()
                  + " (from "
                  + placement.source()
                  + "), ";
      throw new SessionCreationException(
          "cannot create an ONNX Runtime session for model "
              + model.uri()
              + " (sha256 "
              + model.shortSha()
              + ", "
              + where
              + "model.device "
              + spec.device()
              + (spec.customOpLibraries().isEmpty()
                  ? ""
                  : ", model.custom_op_libraries " + spec.customOpLibraries())
              + "): "
              + String.valueOf(e.getMessage()).strip()
              + gpuHint(placement),
          e);
    }
  }

  private static String gpuHint(Placement placement) {
    return placement.device() == Device.CPU
        ? ""
        : ". Check the executor with `batchinfer doctor`; set"
            + " model.device_fallback=cpu (or model.device=auto) to run on CPU where the GPU cannot be used.";
  }

  private static void addProvider(
      OrtSession.SessionOptions options,
      SessionOptionsSpec spec,
      Placement placement,
      ModelArtifact model)
      throws OrtException {
    if (placement.device() == Device.CPU) {
      return;
    }
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    OrtProvider needed =
        placement.device() == Device.TENSORRT ? OrtProvider.TENSOR_RT : OrtProvider.CUDA;
    String name = placement.device() == Device.TENSORRT ? "TensorRT" : "CUDA";
    if (!available.contains(needed)) {
      throw new SessionCreationException(
          "model.device is "
              + spec.device()
              + " but this executor's ONNX Runtime"
              + " build has no "
              + name
              + " provider (GPU ordinal "
              + placement.ordinal()
              + " from "
              + placement.source()
              + "; providers compiled in: "
              + available
              + "). Build with -Pgpu (onnxruntime_gpu) and run on CUDA"
              + " executors, or set model.device_fallback=cpu (or model.device=auto) to run on CPU.",
          null);
    }
    if (placement.device() == Device.TENSORRT) {
      ProviderOptions.addTensorrt(
          options,
          placement.ordinal(),
          spec.gpu().tensorrt(),
          spec.gpu().cuda(),
          LocalModelCache.cacheDir(spec.gpu().cacheDir()).resolve("tensorrt-engines"));
    } else {
      ProviderOptions.addCuda(options, placement.ordinal(), spec.gpu().cuda());
    }
    // ONNX Runtime appends its CPU provider after these: nodes the GPU provider cannot run stay on
    // CPU.
  }

  /**
   * @return how many sessions this JVM has created since start (or the last {@link #closeAll()})
   */
  public static long sessionsCreated() {
    return CREATED.get();
  }

  /**
   * @return how many distinct sessions are open in this JVM
   */
  public static int size() {
    Set<OrtSession> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
    SESSIONS.values().forEach(c -> distinct.add(c.session()));
    return distinct.size();
  }

  /**
   * Closes every session and its options and resets the counter. Meant for JVM shutdown and tests.
   */
  public static void closeAll() {
    synchronized (CREATE_LOCK) {
      for (CachedSession c : SESSIONS.values()) {
        if (c.options == null) {
          continue; // a fallback view of a CPU session, closed through its own entry
        }
        try {
          c.session().close();
        } catch (OrtException | RuntimeException e) {
          LOG.warn("closing an ONNX Runtime session failed: {}", e.toString());
        }
        c.options.close();
      }
      SESSIONS.clear();
      CREATED.set(0);
    }
  }

  /** Thrown on the executor when a session cannot be created (bad device, corrupt bytes). */
  public static final class SessionCreationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SessionCreationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
