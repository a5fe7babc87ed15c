package io.batchinfer.jobs.submit;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@code spark-submit} command that {@code submit-scripts/submit.sh} runs: the script
 * parses nothing itself, it runs this class and executes (or, with {@code --print-command}, prints)
 * what it returns. Runs on the submitting machine before Spark starts; needs only the JDK and
 * picocli (relocated in the cluster jar).
 *
 * <p>Precedence: every setting the script would add is a default, passed as {@code --conf} only
 * when the user has not set that key in any form spark-submit reads ({@code --conf}, {@code
 * --properties-file}, {@code spark-defaults.conf}; see {@link SparkSettings}). The script never
 * uses spark-submit's own sizing options ({@code --executor-cores} and the like), which would beat
 * the user's {@code --conf}. Two settings are merged instead of defaulted, because the job cannot
 * run without the script's part: {@code spark.driver.extraJavaOptions} of a cluster-mode driver
 * (the Java 17 module flags are appended to the user's options) and {@code spark.files} (the config
 * is added to the user's files).
 *
 * <p>Output protocol (for the script): NUL-terminated fields, the {@link Action} name first, then
 * the command's arguments; for {@code PRINT}, one field with the shell-quoted command line.
 */
public final class SubmitCommand {
  /** Exit code for a bad command line (as the job's). */
  public static final int USAGE = 2;

  /** Exit code for a config file that is not there (as the job's "invalid config"). */
  public static final int INVALID = 3;

  /** Exit code asking the script to print its help text. */
  public static final int HELP = 64;

  static final String JOB_CLASS = "io.batchinfer.jobs.BatchInferenceJob";
  static final String SUBMIT_CLASS = "org.apache.spark.deploy.SparkSubmit";
  static final String EXECUTOR_CORES_DEFAULT = "2";
  static final String EXECUTOR_MEMORY_DEFAULT = "2g";
  static final String DRIVER_MEMORY_DEFAULT = "2g";
  static final String NUM_EXECUTORS_DEFAULT = "2";

  /** Heap of a submitting JVM that is not the driver (cluster mode). */
  static final String SUBMITTER_HEAP = "-Xmx512m";

  private static final String MODULE_FLAG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

  /** What the script does with the command. */
  public enum Action {
    /** exec the command. */
    RUN,
    /**
     * run it and turn a failed standalone cluster-mode driver (exit 0 in Spark 3.5) into exit 1.
     */
    RUN_STANDALONE_CLUSTER,
    /** print the command line, run nothing. */
    PRINT
  }

  /** Where the application runs. */
  enum Kind {
    LOCAL,
    STANDALONE,
    YARN,
    K8S
  }

  /** The command and what to do with it. */
  public record Plan(Action action, List<String> command) {
    /**
     * @return the command as one shell line, each argument quoted where the shell needs it
     */
    public String printable() {
      return String.join(" ", command.stream().map(SubmitValues::quote).toList());
    }
  }

  /** A command line this class refuses, with the exit code the script returns. */
  static final class SubmitException extends Exception {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    SubmitException(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }
  }

  private SubmitCommand() {}

  /** Entry point for submit.sh: the project root comes from {@code BATCHINFER_ROOT}. */
  public static void main(String[] args) {
    String root = System.getenv("BATCHINFER_ROOT");
    if (root == null) {
      System.err.println(
          "submit.sh: BATCHINFER_ROOT is not set (run this class through submit-scripts/submit.sh)");
      System.exit(USAGE);
    }
    System.exit(run(args, System.getenv(), Path.of(root), System.out, System.err));
  }

  /** Writes the plan for the script (see the class comment) and returns the exit code. */
  static int run(
      String[] args, Map<String, String> env, Path root, PrintStream out, PrintStream err) {
    try {
      Plan plan = plan(args, env, root);
      List<String> fields = new ArrayList<>();
      fields.add(plan.action().name());
      if (plan.action() == Action.PRINT) {
        fields.add(plan.printable());
      } else {
        fields.addAll(plan.command());
      }
      for (String f : fields) {
        out.write(f.getBytes(StandardCharsets.UTF_8));
        out.write(0);
      }
      out.flush();
      return 0;
    } catch (SubmitException e) {
      if (e.exitCode != HELP) {
        err.println("submit.sh: " + e.getMessage());
      }
      return e.exitCode;
    } catch (IOException e) {
      err.println("submit.sh: " + e);
      return USAGE;
    }
  }

  /**
   * Builds the command for {@code args} (submit.sh's arguments) in environment {@code env}.
   *
   * @param root the project checkout: {@code target/batchinfer-cluster.jar}, {@code
   *     target/spark-home/jars} (or the build folder {@code BATCHINFER_BUILD_DIR} names, e.g.
   *     {@code target/spark4})
   */
  static Plan plan(String[] argv, Map<String, String> env, Path root)
      throws SubmitException, IOException {
    SubmitArgs a = SubmitArgs.parse(argv);
    String master = a.master != null ? a.master : env.getOrDefault("SPARK_MASTER", "local[*]");
    Kind kind = kind(master);
    boolean cluster =
        switch (a.deployMode) {
          case "client" -> false;
          case "cluster" -> true;
          default ->
              throw new SubmitException(
                  USAGE, "--deploy-mode must be client or cluster, not '" + a.deployMode + "'");
        };
    if (kind == Kind.LOCAL && cluster) {
      throw new SubmitException(
          USAGE, "--deploy-mode cluster needs a cluster master (spark://, yarn, k8s://)");
    }
    if (a.config == null) {
      throw new SubmitException(USAGE, "missing CONFIG (see submit.sh --help)");
    }
    String config = a.config;
    // A config given as a URI (hdfs://, s3a://, ...) is read by the job through Hadoop wherever the
    // driver runs: passed as is, not shipped with --files.
    boolean remoteConfig = SubmitValues.isRemote(config);
    if (!remoteConfig && !Files.isRegularFile(Path.of(config))) {
      throw new SubmitException(INVALID, "config file not found: " + config);
    }
    if (a.propertiesFile != null && !Files.isRegularFile(a.propertiesFile)) {
      throw new SubmitException(USAGE, "--properties-file not found: " + a.propertiesFile);
    }
    // The build to submit (env.sh: BATCHINFER_SPARK=3.5 -> target/, 4 -> target/spark4/).
    Path build = root.resolve(env.getOrDefault("BATCHINFER_BUILD_DIR", "target"));
    String jar =
        a.jar != null
            ? a.jar
            : build
                .resolve(env.getOrDefault("BATCHINFER_CLUSTER_JAR", "batchinfer-cluster.jar"))
                .toString();
    if (!SubmitValues.isRemote(jar)
        && !jar.startsWith("local:")
        && !Files.isRegularFile(Path.of(jar.replaceFirst("^file:", "")))) {
      throw new SubmitException(USAGE, "application jar not found: " + jar);
    }

    boolean sparkHome = SubmitValues.notBlank(env.get("SPARK_HOME"));
    Path ownSparkHome = build.resolve("spark-home");
    Map<String, String> submitEnv = new LinkedHashMap<>(env);
    if (!sparkHome && kind == Kind.YARN) {
      // Spark's YARN client ships $SPARK_HOME/jars to the containers unless spark.yarn.jars or
      // spark.yarn.archive says where they are.
      submitEnv.put("SPARK_HOME", ownSparkHome.toString());
    }
    Map<String, String> userConf = new LinkedHashMap<>();
    for (String kv : a.conf) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new SubmitException(USAGE, "--conf expects KEY=VALUE, got '" + kv + "'");
      }
      userConf.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
    }
    SparkSettings user = SparkSettings.read(userConf, a.propertiesFile, submitEnv);

    Defaults d = new Defaults(user);
    Map<String, String> runtimeEnv = SubmitValues.runtimeEnvironment();
    runtimeEnv.forEach((name, value) -> d.set("spark.executorEnv." + name, value));
    d.set(
        "spark.driver.memory", env.getOrDefault("BATCHINFER_DRIVER_MEMORY", DRIVER_MEMORY_DEFAULT));
    String executorCores =
        SubmitValues.positive(env, "BATCHINFER_EXECUTOR_CORES", EXECUTOR_CORES_DEFAULT);
    String executorMemory = env.getOrDefault("BATCHINFER_EXECUTOR_MEMORY", EXECUTOR_MEMORY_DEFAULT);
    String numExecutors =
        env.get("BATCHINFER_NUM_EXECUTORS") == null
            ? null
            : SubmitValues.positive(env, "BATCHINFER_NUM_EXECUTORS", null);
    switch (kind) {
      case LOCAL -> {
        d.set("spark.driver.host", "127.0.0.1");
        d.set("spark.driver.bindAddress", "127.0.0.1");
      }
      case STANDALONE -> {
        d.set("spark.executor.cores", executorCores);
        d.set("spark.executor.memory", executorMemory);
        if (numExecutors != null && !user.isSet("spark.cores.max")) {
          // N executors of the cores each one really gets (the user's spark.executor.cores if set).
          String cores = user.get("spark.executor.cores").orElse(executorCores);
          int perExecutor =
              SubmitValues.parsePositive(
                  cores, "spark.executor.cores (" + user.source("spark.executor.cores") + ")");
          d.set("spark.cores.max", Integer.toString(Integer.parseInt(numExecutors) * perExecutor));
        }
      }
      case YARN, K8S -> {
        d.set("spark.executor.cores", executorCores);
        d.set("spark.executor.memory", executorMemory);
        if (!user.isTrue("spark.dynamicAllocation.enabled")) {
          d.set(
              "spark.executor.instances",
              numExecutors != null ? numExecutors : NUM_EXECUTORS_DEFAULT);
        }
      }
    }
    List<String> merged = new ArrayList<>();
    String configArg = config;
    if (cluster) {
      // The cluster starts the driver JVM: it needs the module flags and the ORT/DJL switches.
      String flags = driverOpts(env);
      String own = user.get("spark.driver.extraJavaOptions").orElse("");
      if (own.isBlank()) {
        merged.add("spark.driver.extraJavaOptions=" + flags);
      } else if (!own.contains(MODULE_FLAG)) {
        merged.add("spark.driver.extraJavaOptions=" + own.trim() + " " + flags);
      }
      switch (kind) {
        case STANDALONE -> {
          // Without it spark-submit exits 0 as soon as the driver is accepted, even if it then
          // fails.
          d.set("spark.standalone.submit.waitAppCompletion", "true");
          // Standalone does not ship --files to drivers: the path must be readable on the workers.
          if (!remoteConfig) {
            configArg = Path.of(config).toAbsolutePath().normalize().toString();
          }
        }
        case YARN -> {
          runtimeEnv.forEach((name, value) -> d.set("spark.yarn.appMasterEnv." + name, value));
          configArg = remoteConfig ? config : Path.of(config).getFileName().toString();
        }
        case K8S -> {
          runtimeEnv.forEach((name, value) -> d.set("spark.kubernetes.driverEnv." + name, value));
          configArg = remoteConfig ? config : Path.of(config).getFileName().toString();
          requireUploadPath(
              user,
              remoteConfig ? null : config,
              SubmitValues.isRemote(jar) || jar.startsWith("local:") ? null : jar);
        }
        default -> throw new IllegalStateException("cluster mode on " + kind);
      }
    }

    List<String> args =
        new ArrayList<>(
            List.of("--master", master, "--deploy-mode", a.deployMode, "--class", JOB_CLASS));
    if (a.propertiesFile != null) {
      args.addAll(List.of("--properties-file", a.propertiesFile.toString()));
    }
    d.values.forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
    userConf.forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
    merged.forEach(kv -> args.addAll(List.of("--conf", kv)));
    if (!remoteConfig) {
      // --files beats spark.files in spark-submit: keep the user's files too.
      String files =
          user.get("spark.files")
              .filter(SubmitValues::notBlank)
              .map(f -> f + "," + config)
              .orElse(config);
      args.addAll(List.of("--files", files));
    }
    args.add(jar);
    args.addAll(List.of("--config", configArg));
    args.addAll(a.jobArgs);

    List<String> command = new ArrayList<>();
    if (sparkHome) {
      command.add(Path.of(env.get("SPARK_HOME"), "bin", "spark-submit").toString());
    } else {
      Path jars = ownSparkHome.resolve("jars");
      if (!Files.isDirectory(jars)) {
        throw new SubmitException(
            USAGE, "set SPARK_HOME or run mvn package (" + jars + " is missing)");
      }
      if (kind == Kind.YARN) {
        command.addAll(List.of("env", "SPARK_HOME=" + ownSparkHome));
      }
      // SparkSubmit as a plain main. In client mode this JVM is the driver: the module flags, the
      // driver's heap and the project's log config. A wildcard classpath keeps the command line
      // short.
      command.add("java");
      command.addAll(List.of(driverOpts(env).split("\\s+")));
      if (cluster) {
        command.add(SUBMITTER_HEAP);
      } else {
        String memory = user.get("spark.driver.memory").orElse(d.values.get("spark.driver.memory"));
        command.add("-Xmx" + SubmitValues.heap(memory, user.source("spark.driver.memory")));
        command.add(
            "-Dlog4j2.configurationFile="
                + env.getOrDefault(
                    "BATCHINFER_LOG4J", root.resolve("conf/log4j2.properties").toString()));
      }
      StringBuilder cp = new StringBuilder(jars + "/*");
      for (String dir : List.of("HADOOP_CONF_DIR", "YARN_CONF_DIR")) {
        if (SubmitValues.notBlank(env.get(dir))) {
          cp.append(':').append(env.get(dir));
        }
      }
      command.addAll(List.of("-cp", cp.toString(), SUBMIT_CLASS));
    }
    command.addAll(args);
    Action action =
        a.print
            ? Action.PRINT
            : kind == Kind.STANDALONE && cluster ? Action.RUN_STANDALONE_CLUSTER : Action.RUN;
    return new Plan(action, List.copyOf(command));
  }

  /** The settings the script adds, each only where the user has not set it. */
  private static final class Defaults {
    final Map<String, String> values = new LinkedHashMap<>();
    final SparkSettings user;

    Defaults(SparkSettings user) {
      this.user = user;
    }

    void set(String key, String value) {
      if (!user.isSet(key)) {
        values.put(key, value);
      }
    }
  }

  static Kind kind(String master) throws SubmitException {
    if (master.equals("local") || master.startsWith("local[")) {
      return Kind.LOCAL;
    }
    if (master.startsWith("spark://")) {
      return Kind.STANDALONE;
    }
    if (master.equals("yarn")) {
      return Kind.YARN;
    }
    if (master.startsWith("k8s://")) {
      return Kind.K8S;
    }
    throw new SubmitException(
        USAGE, "--master must be local[*], spark://..., yarn or k8s://..., not '" + master + "'");
  }

  /** Kubernetes cluster mode uploads local files through spark.kubernetes.file.upload.path. */
  private static void requireUploadPath(SparkSettings user, String localConfig, String localJar)
      throws SubmitException {
    if (user.isSet("spark.kubernetes.file.upload.path")
        || (localConfig == null && localJar == null)) {
      return;
    }
    List<String> local = new ArrayList<>();
    if (localConfig != null) {
      local.add("the config " + localConfig);
    }
    if (localJar != null) {
      local.add("the application jar " + localJar);
    }
    throw new SubmitException(
        USAGE,
        "Kubernetes cluster mode must upload local files ("
            + String.join(", ", local)
            + ") for the driver pod: set --conf spark.kubernetes.file.upload.path=s3a://bucket/spark-uploads (any Hadoop"
            + " path the pods can read), or pass the config and --jar as remote URIs (s3a://..., or local:///... for a"
            + " file in the image).");
  }

  private static String driverOpts(Map<String, String> env) throws SubmitException {
    String opts = env.get("BATCHINFER_DRIVER_OPTS");
    if (!SubmitValues.notBlank(opts)) {
      throw new SubmitException(
          USAGE, "BATCHINFER_DRIVER_OPTS is not set (submit.sh sources submit-scripts/env.sh)");
    }
    return opts.trim().replaceAll("\\s+", " ");
  }
}
