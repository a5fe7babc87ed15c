package io.batchinfer.jobs;

import ai.onnxruntime.OrtEnvironment;
import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.session.ProviderProbe;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.collection.JavaConverters;

/**
 * What {@code batchinfer doctor} finds in one JVM (the driver, or an executor inside one of its
 * tasks): versions, the ONNX Runtime build and its compiled-in providers, which providers actually
 * initialise on which GPU ordinal, the GPU resources Spark assigned, visible GPUs, CUDA libraries
 * and the ONNX Runtime / DJL environment switches. Serializable (executors send it to the driver);
 * immutable. Provider probes are remembered per JVM, so tasks of one executor probe each ordinal
 * once.
 *
 * @param probes {@link ProviderProbe.Result}s: CPU, then CUDA and TensorRT per ordinal
 */
record NodeReport(
    String host,
    String executorId,
    Map<String, String> versions,
    List<String> compiledProviders,
    Map<String, List<String>> gpuResources,
    List<String> visibleGpus,
    List<String> cudaLibraries,
    Map<String, String> switches,
    List<ProviderProbe.Result> probes)
    implements Serializable {

  /** CUDA's environment switches the doctor prints after those of {@code runtime.properties}. */
  static final List<String> CUDA_SWITCHES = List.of("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH");

  private static final List<String> CUDA_LIBRARY_PREFIXES =
      List.of(
          "libcudart.so",
          "libcublas.so",
          "libcublasLt.so",
          "libcudnn.so",
          "libcufft.so",
          "libcurand.so",
          "libnvinfer.so");
  private static final Map<String, ProviderProbe.Result> PROBED = new ConcurrentHashMap<>();

  /**
   * Collects the report of this JVM.
   *
   * @param resourceName the Spark resource of GPUs ({@code model.gpu_resource})
   * @param defaultOrdinal the ordinal to probe when Spark assigned none and none is visible ({@code
   *     model.device_id})
   */
  static NodeReport collect(String resourceName, int defaultOrdinal) {
    TaskContext task = TaskContext.get();
    Map<String, List<String>> resources = new TreeMap<>();
    if (task != null) {
      for (Map.Entry<String, ResourceInformation> e :
          JavaConverters.mapAsJavaMap(task.resources()).entrySet()) {
        resources.put(e.getKey(), List.of(e.getValue().addresses()));
      }
    }
    List<String> visible = findVisibleGpus();
    TreeSet<Integer> ordinals = new TreeSet<>();
    for (String a : resources.getOrDefault(resourceName, List.of())) {
      try {
        ordinals.add(Integer.parseInt(a.trim()));
      } catch (NumberFormatException e) {
        // reported as assigned; the engine's message explains non-numeric addresses
      }
    }
    if (ordinals.isEmpty()) {
      for (String v : visible) {
        if (v.matches("/dev/nvidia\\d+")) {
          ordinals.add(Integer.parseInt(v.substring("/dev/nvidia".length())));
        }
      }
    }
    if (ordinals.isEmpty()) {
      ordinals.add(defaultOrdinal);
    }
    List<ProviderProbe.Result> probes = new ArrayList<>();
    probes.add(PROBED.computeIfAbsent("CPU", k -> ProviderProbe.probe(Device.CPU, -1)));
    for (int o : ordinals) {
      probes.add(PROBED.computeIfAbsent("CUDA:" + o, k -> ProviderProbe.probe(Device.CUDA, o)));
      probes.add(
          PROBED.computeIfAbsent("TENSORRT:" + o, k -> ProviderProbe.probe(Device.TENSORRT, o)));
    }
    SparkEnv env = SparkEnv.get();
    return new NodeReport(
        hostName(),
        env == null ? "none (no Spark)" : env.executorId(),
        readVersions(),
        readCompiledProviders(),
        resources,
        visible,
        findCudaLibraries(),
        readSwitches(),
        probes);
  }

  /**
   * @return the probe of {@code provider} ({@code CPU}, {@code CUDA}, {@code TENSORRT}) on {@code
   *     ordinal}
   */
  ProviderProbe.Result probe(String provider, int ordinal) {
    return probes.stream()
        .filter(p -> p.provider().equals(provider) && (ordinal < 0 || p.ordinal() == ordinal))
        .findFirst()
        .orElse(null);
  }

  /**
   * @return the ordinals probed for GPUs
   */
  List<Integer> probedOrdinals() {
    return probes.stream()
        .filter(p -> p.ordinal() >= 0)
        .map(ProviderProbe.Result::ordinal)
        .distinct()
        .toList();
  }

  /**
   * @return the report as indented text lines
   */
  List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add("node " + host + ", executor " + executorId);
    versions.forEach((k, v) -> lines.add("  " + k + ": " + v));
    lines.add("  providers compiled in: " + compiledProviders);
    lines.add(
        "  GPU resources assigned by Spark: " + (gpuResources.isEmpty() ? "none" : gpuResources));
    lines.add(
        "  visible GPUs: "
            + (visibleGpus.isEmpty() ? "none (no /dev/nvidia<N>, no nvidia-smi)" : visibleGpus));
    lines.add(
        "  CUDA libraries: "
            + (cudaLibraries.isEmpty()
                ? "none found (LD_LIBRARY_PATH, /usr/local/cuda/lib64," + " system library folders)"
                : cudaLibraries));
    StringBuilder sw = new StringBuilder();
    switches.forEach(
        (k, v) -> sw.append(sw.length() == 0 ? "" : ", ").append(k).append('=').append(v));
    lines.add("  switches: " + sw);
    lines.add("  providers that initialise (tiny in-memory model):");
    probes.forEach(p -> lines.add("    " + p.describe()));
    return lines;
  }

  private static Map<String, String> readVersions() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put(
        "java",
        System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ", "
            + System.getProperty("os.name")
            + " "
            + System.getProperty("os.arch")
            + ")");
    v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    String ort;
    try {
      ort = OrtRuntime.environment().getVersion();
    } catch (RuntimeException | LinkageError e) {
      ort = "does not load: " + e;
    }
    boolean gpuBuild =
        OrtEnvironment.class
                    .getClassLoader()
                    .getResource("ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so")
                != null
            || OrtEnvironment.class
                    .getClassLoader()
                    .getResource("ai/onnxruntime/native/win-x64/onnxruntime_providers_cuda.dll")
                != null;
    v.put(
        "onnxruntime",
        ort
            + (gpuBuild
                ? " (onnxruntime_gpu build: CUDA and TensorRT providers included)"
                : " (CPU build)"));
    v.put("tokenizers", tokenizersVersion());
    return v;
  }

  private static List<String> readCompiledProviders() {
    try {
      OrtRuntime.environment();
      return OrtEnvironment.getAvailableProviders().stream().map(Enum::name).sorted().toList();
    } catch (RuntimeException | LinkageError e) {
      return List.of();
    }
  }

  /**
   * DJL's tokenizers jar records {@code version=<rust tokenizers>-<DJL>} next to its native library
   * (kept when shaded).
   */
  private static String tokenizersVersion() {
    try (InputStream in =
        NodeReport.class.getClassLoader().getResourceAsStream("native/lib/tokenizers.properties")) {
      if (in == null) {
        return "not on the classpath";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      int dash = v.indexOf('-');
      return dash < 0
          ? v
          : "DJL "
              + v.substring(dash + 1)
              + " (HuggingFace tokenizers "
              + v.substring(0, dash)
              + ")";
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static List<String> findVisibleGpus() {
    List<String> found = new ArrayList<>();
    try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
      dev.map(Path::toString)
          .filter(p -> p.matches("/dev/nvidia\\d+"))
          .sorted()
          .forEach(found::add);
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    found.addAll(nvidiaSmi());
    return found;
  }

  /** {@code nvidia-smi -L} when it is on the PATH: one line per GPU; bounded to 10 s. */
  private static List<String> nvidiaSmi() {
    String path = System.getenv().getOrDefault("PATH", "");
    boolean present =
        Stream.of(path.split(File.pathSeparator))
            .anyMatch(d -> Files.isExecutable(Path.of(d, "nvidia-smi")));
    if (!present) {
      return List.of();
    }
    try {
      Process p = new ProcessBuilder("nvidia-smi", "-L").redirectErrorStream(true).start();
      List<String> lines = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return List.of("nvidia-smi -L did not answer within 10 s");
        }
        r.lines().filter(l -> !l.isBlank()).forEach(l -> lines.add("nvidia-smi: " + l.strip()));
      }
      return lines;
    } catch (IOException e) {
      return List.of("nvidia-smi -L failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  private static List<String> findCudaLibraries() {
    List<Path> dirs = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("LD_LIBRARY_PATH", "").split(File.pathSeparator)) {
      if (!d.isBlank()) {
        dirs.add(Path.of(d));
      }
    }
    for (String d :
        List.of("/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")) {
      dirs.add(Path.of(d));
    }
    TreeSet<String> found = new TreeSet<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        files.forEach(
            f -> {
              String name = f.getFileName().toString();
              if (CUDA_LIBRARY_PREFIXES.stream().anyMatch(name::startsWith)) {
                found.add(f.toString());
              }
            });
      } catch (IOException | RuntimeException e) {
        // unreadable folder: skip
      }
    }
    return List.copyOf(found);
  }

  private static Map<String, String> readSwitches() {
    Map<String, String> s = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(RuntimeEnvironment.environment().keySet());
    names.addAll(CUDA_SWITCHES);
    for (String name : names) {
      String v = System.getenv(name);
      s.put(name, v == null ? "(unset)" : v);
    }
    for (String name : RuntimeEnvironment.systemProperties().keySet()) {
      s.put("-D" + name, System.getProperty(name, "(unset)"));
    }
    return s;
  }
}
