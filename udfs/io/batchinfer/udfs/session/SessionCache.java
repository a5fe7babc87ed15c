package io.batchinfer.udfs.session;

import io.batchinfer.udfs.Device;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.model.ModelArtifact;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor JVM singleton: at most one {@link OrtSession} per (model sha256, {@link
 * SessionOptionsSpec}) per JVM, created lazily on first use and shared by every task of the JVM,
 * including tasks of later jobs that broadcast the same model.
 *
 * <p>Ownership: the cache owns each session and its {@code SessionOptions} and closes them once,
 * at JVM shutdown (or {@link #closeAll()}, for tests). Callers must never close a session they
 * got from here. {@link OrtSession#run} is thread-safe, so concurrent tasks share a session.
 *
 * <p>Thread-safe. Creation of a given key happens once even under concurrent first use.
 */
public final class SessionCache {
  private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);
  private static final Map<Key, CachedSession> SESSIONS = new ConcurrentHashMap<>();
  private static final AtomicLong CREATED = new AtomicLong();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(SessionCache::closeAll, "batchinfer-session-cache-close"));
  }

  private SessionCache() {}

  /** A cached session, the options it was built with (closed with it) and what it runs on. */
  public static final class CachedSession {
    private final OrtSession session;
    private final OrtSession.SessionOptions options;
    private final String provider;
    private final long createMillis;

    private CachedSession(OrtSession session, OrtSession.SessionOptions options, String provider, long createMillis) {
      this.session = session;
      this.options = options;
      this.provider = provider;
      this.createMillis = createMillis;
    }

    /** @return the shared session; owned by the cache, never close it */
    public OrtSession session() {
      return session;
    }

    /** @return the execution provider actually in use, e.g. {@code CPU} or {@code CUDA} */
    public String provider() {
      return provider;
    }

    /** @return how long creating the session took */
    public long createMillis() {
      return createMillis;
    }
  }

  private record Key(String sha256, SessionOptionsSpec options) {}

  /** The outcome of {@link #acquire}: the session and whether this call created it. */
  public record Lease(CachedSession cached, boolean created) {
    /** @return the shared session; do not close it */
    public OrtSession session() {
      return cached.session();
    }
  }

  /**
   * Returns the session for {@code sha256} and {@code options}, creating it from {@code model}
   * (only called on a miss, so a broadcast is only fetched when needed).
   *
   * @throws SessionCreationException when ONNX Runtime cannot create the session
   */
  public static Lease acquire(String sha256, SessionOptionsSpec options, Supplier<ModelArtifact> model) {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(options, "options");
    Key key = new Key(sha256, options);
    CachedSession existing = SESSIONS.get(key);
    if (existing != null) {
      return new Lease(existing, false);
    }
    boolean[] created = {false};
    CachedSession cached = SESSIONS.computeIfAbsent(key, k -> {
      created[0] = true;
      return create(model.get(), options);
    });
    return new Lease(cached, created[0]);
  }

  private static CachedSession create(ModelArtifact model, SessionOptionsSpec spec) {
    long start = System.nanoTime();
    OrtEnvironment env = OrtRuntime.environment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setIntraOpNumThreads(spec.intraOpThreads());
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      for (String library : spec.customOpLibraries()) {
        // Only libraries the config names explicitly (model.custom_op_libraries) are ever loaded.
        options.registerCustomOpLibrary(library);
      }
      String provider = addProvider(options, spec);
      OrtSession session = env.createSession(model.bytes(), options);
      long millis = (System.nanoTime() - start) / 1_000_000;
      CREATED.incrementAndGet();
      LOG.info("created ONNX Runtime session for {} sha256={} in {} ms, provider={}, threads={}",
          model.uri(), model.shortSha(), millis, provider, spec.intraOpThreads());
      return new CachedSession(session, options, provider, millis);
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw new SessionCreationException("cannot create an ONNX Runtime session for model " + model.uri()
          + " (sha256 " + model.shortSha() + ", device " + spec.device()
          + (spec.customOpLibraries().isEmpty() ? "" : ", model.custom_op_libraries " + spec.customOpLibraries())
          + "): " + e.getMessage(), e);
    }
  }

  private static String addProvider(OrtSession.SessionOptions options, SessionOptionsSpec spec) throws OrtException {
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    switch (spec.device()) {
      case CUDA:
        if (!available.contains(OrtProvider.CUDA)) {
          throw new SessionCreationException("model.device is cuda but this executor's ONNX Runtime offers only "
              + available + ". Build with -Pgpu (onnxruntime_gpu) and run on CUDA executors, or set model.device=auto"
              + " to fall back to CPU.", null);
        }
        options.addCUDA(spec.cudaDeviceId());
        return "CUDA";
      case AUTO:
        if (available.contains(OrtProvider.CUDA)) {
          try {
            options.addCUDA(spec.cudaDeviceId());
            return "CUDA";
          } catch (OrtException e) {
            LOG.warn("model.device=auto: CUDA provider present but unusable ({}); using CPU", e.getMessage());
          }
        }
        return "CPU";
      default:
        return "CPU";
    }
  }

  /** @return how many sessions this JVM has created since start (or the last {@link #closeAll()}) */
  public static long sessionsCreated() {
    return CREATED.get();
  }

  /** @return how many sessions are open in this JVM */
  public static int size() {
    return SESSIONS.size();
  }

  /** Closes every session and its options and resets the counter. Meant for JVM shutdown and tests. */
  public static synchronized void closeAll() {
    for (CachedSession c : SESSIONS.values()) {
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

  /** Thrown on the executor when a session cannot be created (bad device, corrupt bytes). */
  public static final class SessionCreationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SessionCreationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
