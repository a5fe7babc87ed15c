package io.batchinfer.jobs;

import io.batchinfer.udfs.Device;
import io.batchinfer.udfs.DeviceFallback;
import io.batchinfer.udfs.DeviceSettings;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import io.batchinfer.udfs.session.ProviderProbe;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batchinfer doctor}: checks, before a long run, that the machines can run ONNX Runtime on
 * the device a job asks for. Prints for this JVM (and with {@code --master}, for every executor,
 * from one task each) the Java, Spark, ONNX Runtime and tokenizer versions, the providers compiled
 * into the ONNX Runtime build, which of them initialise on which GPU ordinal, the GPU resources
 * Spark assigned, visible GPUs, CUDA libraries and the environment switches. Exits 1 when the
 * device of {@code --config} (default: only CPU is required) cannot work somewhere. Driver only;
 * the per-executor part ships {@link ProbeTask}.
 */
@Command(
    name = "batchinfer doctor",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Check that this machine (and with --master every executor) can run ONNX Runtime on the device a"
            + " job asks for: versions, providers compiled in and which initialise, GPUs, CUDA libraries, switches.",
    footer = {
      "",
      "Exit codes: 0 the device works everywhere checked, 1 it cannot work somewhere (or no executor"
          + " answered in time), 2 bad command line, 3 invalid config."
    })
final class DoctorCommand implements Callable<Integer> {
  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Also check every executor of this Spark master (spark://..., yarn, k8s://..., local[N]).")
  String master;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "Check the device this job config asks for (model.device, model.device_id, model.gpu_resource,"
              + " model.device_fallback); its spark: settings (e.g. GPU resources) apply to --master.")
  String config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override a config key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      description =
          "A Spark setting for the --master check, e.g. --conf spark.executor.resource.gpu.amount=1 (repeatable).")
  Map<String, String> sparkConf = new LinkedHashMap<>();

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "180",
      description = "Longest wait for the executors' answers (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  private PrintStream out = System.out;

  /**
   * Runs the doctor with {@code args} (after the word {@code doctor}) and returns the exit code.
   */
  static int run(PrintStream out, PrintStream err, String... args) {
    DoctorCommand doctor = new DoctorCommand();
    doctor.out = out;
    CommandLine cli = new CommandLine(doctor);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ValidationException v) {
            err.println(v.getMessage());
            return ExitCodes.INVALID;
          }
          e.printStackTrace(err);
          return ExitCodes.FAILED;
        });
    return cli.execute(args);
  }

  /** What to check, from {@code --config} or the defaults (CPU). */
  record Target(
      Device device,
      DeviceFallback fallback,
      int deviceId,
      String resource,
      Map<String, Object> spark) {}

  @Override
  public Integer call() {
    Target target = target();
    out.println(
        "batchinfer doctor: checking model.device "
            + target.device()
            + (target.device().usesGpu()
                ? " (model.device_fallback "
                    + target.fallback()
                    + ", GPU resource '"
                    + target.resource()
                    + "', model.device_id "
                    + target.deviceId()
                    + ")"
                : "")
            + (config == null ? " (no --config: only CPU is required)" : " from " + config));
    List<NodeReport> nodes = new ArrayList<>();
    NodeReport local = NodeReport.collect(target.resource(), target.deviceId());
    out.println();
    out.println("this JVM (driver):");
    local.describe().forEach(l -> out.println("  " + l));
    List<String> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    if (master == null) {
      nodes.add(local);
    } else {
      nodes.addAll(executors(target, problems));
      for (NodeReport n : nodes) {
        out.println();
        out.println("executor " + n.executorId() + ":");
        n.describe().forEach(l -> out.println("  " + l));
      }
    }
    for (NodeReport n : nodes) {
      verdict(target, n, problems, warnings);
    }
    out.println();
    warnings.forEach(w -> out.println("warning: " + w));
    problems.forEach(p -> out.println("PROBLEM: " + p));
    if (problems.isEmpty()) {
      out.println(
          "doctor: ok: model.device "
              + target.device()
              + " can run on "
              + (master == null ? "this machine" : nodes.size() + " executor(s)")
              + (warnings.isEmpty() ? "" : " (" + warnings.size() + " warning(s))")
              + ".");
      return ExitCodes.OK;
    }
    out.println(
        "doctor: "
            + problems.size()
            + " problem(s): model.device "
            + target.device()
            + " cannot work everywhere.");
    return ExitCodes.FAILED;
  }

  private Target target() {
    if (config == null) {
      return new Target(
          Device.CPU, DeviceFallback.FAIL, 0, DeviceSettings.GPU_RESOURCE_DEFAULT, Map.of());
    }
    JobConfig cfg =
        ConfigLoader.load(config, overrides, Variables.of(Map.of(), System::getenv)).config();
    // With models:, the first model that asks for a GPU decides what to probe (else the first).
    List<JobConfig.ModelEntry> entries = cfg.modelEntries();
    JobConfig.Model model = entries.isEmpty() ? cfg.model() : entries.get(0).model();
    for (JobConfig.ModelEntry e : entries) {
      String d = e.model().device();
      if (d != null && !"cpu".equalsIgnoreCase(d.trim())) {
        model = e.model();
        break;
      }
    }
    Problems problems = new Problems();
    Device device =
        Device.parse(model.device() == null ? ConfigKeys.DEVICE_DEFAULT : model.device());
    if (device == null) {
      problems.add(
          ConfigKeys.DEVICE
              + ": unknown value '"
              + model.device()
              + "'; expected one of "
              + ConfigKeys.DEVICES
              + "."
              + Problems.didYouMean(model.device(), ConfigKeys.DEVICES));
      device = Device.CPU;
    }
    DeviceConfig.check(model, device, problems);
    problems.throwIfAny(config);
    DeviceFallback fallback =
        model.deviceFallback() == null
            ? DeviceFallback.defaultFor(device)
            : DeviceFallback.parse(model.deviceFallback());
    return new Target(
        device,
        fallback,
        model.deviceId() == null ? 0 : model.deviceId(),
        model.gpuResource() == null ? DeviceSettings.GPU_RESOURCE_DEFAULT : model.gpuResource(),
        cfg.spark());
  }

  /** Judges one node: can the target device run where its tasks would be placed? */
  static void verdict(
      Target target, NodeReport node, List<String> problems, List<String> warnings) {
    String where = "executor " + node.executorId() + " on " + node.host();
    ProviderProbe.Result cpu = node.probe("CPU", -1);
    if (cpu == null || !cpu.ok()) {
      problems.add(
          where
              + ": ONNX Runtime cannot run even on CPU: "
              + (cpu == null ? "not probed" : cpu.detail()));
      return;
    }
    if (!target.device().usesGpu()) {
      return;
    }
    String provider = target.device() == Device.TENSORRT ? "TENSORRT" : "CUDA";
    List<Integer> ordinals = new ArrayList<>();
    for (String a : node.gpuResources().getOrDefault(target.resource(), List.of())) {
      try {
        ordinals.add(Integer.parseInt(a.trim()));
      } catch (NumberFormatException e) {
        problems.add(
            where
                + ": Spark assigned the '"
                + target.resource()
                + "' address '"
                + a
                + "', which is not a GPU"
                + " ordinal; make the discovery script print ordinals (0, 1, ...).");
      }
    }
    if (ordinals.isEmpty()) {
      ordinals.add(target.deviceId());
    }
    for (int ordinal : ordinals) {
      ProviderProbe.Result r = node.probe(provider, ordinal);
      if (r != null && r.ok()) {
        continue;
      }
      String why =
          provider
              + ":"
              + ordinal
              + " does not initialise: "
              + (r == null ? "not probed" : r.detail());
      if (target.device() == Device.AUTO || target.fallback() == DeviceFallback.CPU) {
        warnings.add(
            where + ": model.device " + target.device() + " will run on CPU there (" + why + ")");
      } else {
        problems.add(
            where
                + ": model.device "
                + target.device()
                + " cannot work ("
                + why
                + "). Set"
                + " model.device_fallback=cpu to run on CPU there, or fix the node (CUDA/cuDNN libraries, the GPU jar).");
      }
    }
  }

  /** Starts a Spark application on {@code --master} and collects one report per executor. */
  private List<NodeReport> executors(Target target, List<String> problems) {
    SparkConf conf = new SparkConf().setMaster(master).setAppName("batchinfer-doctor");
    RuntimeEnvironment.environment()
        .forEach((k, v) -> conf.setIfMissing("spark.executorEnv." + k, v));
    conf.setIfMissing("spark.scheduler.minRegisteredResourcesRatio", "1.0");
    conf.setIfMissing("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s");
    target.spark().forEach((k, v) -> conf.set(k, String.valueOf(v)));
    sparkConf.forEach(conf::set);
    // Started as a plain main (not through spark-submit), nothing ships this code to executors:
    // ship our jar.
    java.security.CodeSource source = DoctorCommand.class.getProtectionDomain().getCodeSource();
    if (!conf.contains("spark.jars")
        && source != null
        && source.getLocation().getPath().endsWith(".jar")) {
      conf.set("spark.jars", source.getLocation().toString());
    }
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int expected =
          Math.max(1, spark.sparkContext().statusTracker().getExecutorInfos().length - 1);
      int partitions = Math.max(2, jsc.defaultParallelism() * 2);
      List<Integer> seeds = IntStream.range(0, partitions).boxed().toList();
      jsc.setJobGroup("batchinfer-doctor", "batchinfer doctor: one probe per executor", true);
      Future<List<NodeReport>> answer =
          waiter.submit(
              () ->
                  jsc.parallelize(seeds, partitions)
                      .mapPartitions(new ProbeTask(target.resource(), target.deviceId()))
                      .collect());
      List<NodeReport> all;
      try {
        all = answer.get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        jsc.cancelJobGroup("batchinfer-doctor");
        problems.add(
            "no answer from the executors within "
                + timeoutSeconds
                + " s (--timeout): are executors"
                + " starting? The master may not have the cores, memory or GPUs the application asks for.");
        return List.of();
      } catch (ExecutionException e) {
        problems.add("the probe tasks failed: " + e.getCause());
        return List.of();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
      // One report per executor, its tasks' GPU addresses merged.
      Map<String, NodeReport> byExecutor = new LinkedHashMap<>();
      for (NodeReport r : all) {
        byExecutor.merge(r.executorId(), r, DoctorCommand::merge);
      }
      if (byExecutor.size() < expected) {
        problems.add(
            expected
                + " executor(s) registered but only "
                + byExecutor.size()
                + " ran a probe task: run the"
                + " doctor again when the cluster is idle.");
      }
      return new ArrayList<>(byExecutor.values());
    } finally {
      waiter.shutdownNow();
      spark.stop();
    }
  }

  private static NodeReport merge(NodeReport a, NodeReport b) {
    Map<String, List<String>> resources = new java.util.TreeMap<>();
    for (NodeReport r : List.of(a, b)) {
      r.gpuResources()
          .forEach(
              (k, v) ->
                  resources.merge(
                      k, v, (x, y) -> new ArrayList<>(new java.util.TreeSet<>(concat(x, y)))));
    }
    List<ProviderProbe.Result> probes = new ArrayList<>(a.probes());
    for (ProviderProbe.Result p : b.probes()) {
      if (probes.stream()
          .noneMatch(q -> q.provider().equals(p.provider()) && q.ordinal() == p.ordinal())) {
        probes.add(p);
      }
    }
    return new NodeReport(
        a.host(),
        a.executorId(),
        a.versions(),
        a.compiledProviders(),
        resources,
        a.visibleGpus(),
        a.cudaLibraries(),
        a.switches(),
        probes);
  }

  private static List<String> concat(List<String> x, List<String> y) {
    List<String> all = new ArrayList<>(x);
    all.addAll(y);
    return all;
  }

  /**
   * Shipped to executors: reports this executor (providers probed once per JVM) and holds the task
   * slot briefly, so that the job's tasks spread over every executor.
   */
  static final class ProbeTask implements FlatMapFunction<Iterator<Integer>, NodeReport> {
    private static final long serialVersionUID = 1L;
    private final String resource;
    private final int deviceId;

    ProbeTask(String resource, int deviceId) {
      this.resource = resource;
      this.deviceId = deviceId;
    }

    @Override
    public Iterator<NodeReport> call(Iterator<Integer> seeds) throws InterruptedException {
      NodeReport report = NodeReport.collect(resource, deviceId);
      Thread.sleep(500);
      return List.of(report).iterator();
    }
  }
}
