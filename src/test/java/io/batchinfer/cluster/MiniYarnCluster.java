package io.batchinfer.cluster;

import io.batchinfer.testing.MiniHdfs;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * Hadoop's own YARN (a ResourceManager and one NodeManager) and HDFS (a NameNode and one DataNode),
 * in this JVM, for tests that submit to {@code --master yarn}. Containers (the Spark application
 * master, executors, cluster-mode drivers) are real JVMs the NodeManager starts.
 *
 * <p>Clients find it through {@link #confDir()}: a {@code HADOOP_CONF_DIR} with {@code
 * core-site.xml} (HDFS as default file system) and {@code yarn-site.xml}. Every daemon binds to
 * 127.0.0.1 on a free port; the NodeManager offers {@code nodeMemoryMb} and 4 vcores, containers
 * are sized in steps of 256 MB, and finished containers' logs are aggregated to HDFS ({@code
 * /tmp/logs}, what {@code yarn logs} reads) and also kept locally ({@link #containerLogDirs()}).
 *
 * <p>Processes: {@link #close()} stops YARN (the NodeManager kills its containers) and HDFS, then
 * kills any container JVM still alive (also from a JVM shutdown hook, so a SIGTERM of the test JVM
 * cleans up). If the test JVM is killed outright, nothing here can run; the other processes end by
 * themselves: every YARN client (spark-submit, the application masters, which read the
 * yarn-site.xml Spark ships) gives up on the gone ResourceManager after 30 connection attempts
 * ({@code yarn.resourcemanager.connect.max-wait.ms} 30 s at 1 s intervals, each with 3 IPC retries:
 * about 2 minutes; measured: a cluster-mode spark-submit ended 100-160 s after the test JVM was
 * killed), and executors end with their driver.
 */
public final class MiniYarnCluster implements AutoCloseable {
  public static final String HOST = "127.0.0.1";

  /** The YARN daemons' name; it is part of their work dir, where containers run. */
  private static final String YARN_NAME = "batchinfer-mini-yarn";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path baseDir;
  private final Path confDir;
  private MiniHdfs hdfs;
  private MiniYARNCluster yarn;
  private Configuration conf;
  private final Thread shutdownHook = new Thread(this::close, "mini-yarn-cluster-close");
  private volatile boolean closed;

  private MiniYarnCluster(Path baseDir) {
    this.baseDir = baseDir;
    this.confDir = baseDir.resolve("hadoop-conf");
  }

  /**
   * Starts HDFS under {@code baseDir} (emptied first) and YARN under Hadoop's test data dir ({@code
   * target/test/data/batchinfer-mini-yarn/} of the working directory), and writes {@link
   * #confDir()} into {@code baseDir}.
   */
  public static MiniYarnCluster start(Path baseDir, int nodeMemoryMb) throws Exception {
    MiniYarnCluster c = new MiniYarnCluster(baseDir);
    Runtime.getRuntime().addShutdownHook(c.shutdownHook);
    try {
      c.startDaemons(nodeMemoryMb);
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  private void startDaemons(int nodeMemoryMb) throws Exception {
    deleteRecursively(baseDir);
    Files.createDirectories(confDir);
    hdfs = MiniHdfs.start(baseDir.resolve("hdfs"));
    String defaultFs = hdfs.uri();

    YarnConfiguration y = new YarnConfiguration();
    y.set("fs.defaultFS", defaultFs);
    y.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, true);
    for (String key :
        List.of(
            YarnConfiguration.RM_ADDRESS,
            YarnConfiguration.RM_SCHEDULER_ADDRESS,
            YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS,
            YarnConfiguration.RM_ADMIN_ADDRESS,
            YarnConfiguration.RM_WEBAPP_ADDRESS)) {
      y.set(key, HOST + ":" + freePort());
    }
    y.set(YarnConfiguration.RM_BIND_HOST, HOST);
    y.set(YarnConfiguration.NM_BIND_HOST, HOST);
    y.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, nodeMemoryMb);
    y.setInt(YarnConfiguration.NM_VCORES, 4);
    y.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
    y.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, nodeMemoryMb);
    y.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    y.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.9f);
    // Containers run $JAVA_HOME/bin/java: give them this JVM's Java, as a real NodeManager's
    // environment would.
    // (Not SPARK_LOCAL_IP: the NodeManager appends admin values to the container's own, making it
    // "127.0.0.1:127.0.0.1"; clients pass it as spark.executorEnv / spark.yarn.appMasterEnv.)
    y.set(
        YarnConfiguration.NM_ADMIN_USER_ENV,
        "MALLOC_ARENA_MAX=2,JAVA_HOME=" + System.getProperty("java.home"));
    // The capacity scheduler's queues (Hadoop's capacity-scheduler.xml is not on this classpath).
    y.set("yarn.scheduler.capacity.root.queues", "default");
    y.set("yarn.scheduler.capacity.root.default.capacity", "100");
    y.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    y.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    y.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    y.set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5");
    y.set("yarn.scheduler.capacity.node-locality-delay", "-1");
    y.setBoolean(YarnConfiguration.LOG_AGGREGATION_ENABLED, true);
    y.set(YarnConfiguration.NM_REMOTE_APP_LOG_DIR, "/tmp/logs");
    y.setInt(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC, 600);
    // Clients (including the application masters, which read the yarn-site.xml Spark ships) give up
    // on a ResourceManager that is gone after 30 s instead of 15 minutes.
    y.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_MAX_WAIT_MS, 30_000);
    y.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, 1_000);
    y.setInt("ipc.client.connect.max.retries", 3);
    y.setInt("ipc.client.connect.max.retries.on.timeouts", 3);

    // Its work dir (NodeManager local and log dirs, so the containers' working dirs) contains
    // YARN_NAME.
    yarn = new MiniYARNCluster(YARN_NAME, 1, 1, 1);
    yarn.init(y);
    yarn.start();
    if (!yarn.waitForNodeManagersToConnect(START_TIMEOUT.toMillis())) {
      throw new IllegalStateException("the NodeManager did not register within " + START_TIMEOUT);
    }
    conf = new Configuration(yarn.getConfig());
    writeConf("core-site.xml", coreSite(defaultFs));
    writeConf("yarn-site.xml", conf);
    try (FileSystem fs = FileSystem.newInstance(conf)) {
      fs.mkdirs(new org.apache.hadoop.fs.Path("/tmp/logs"));
      fs.setPermission(
          new org.apache.hadoop.fs.Path("/tmp/logs"),
          new org.apache.hadoop.fs.permission.FsPermission((short) 01777));
    }
  }

  private Configuration coreSite(String defaultFs) {
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", defaultFs);
    core.setInt("ipc.client.connect.max.retries", 3);
    return core;
  }

  private void writeConf(String name, Configuration c) throws IOException {
    try (OutputStream out = Files.newOutputStream(confDir.resolve(name))) {
      c.writeXml(out);
    }
  }

  /**
   * @return a {@code HADOOP_CONF_DIR} for clients of this cluster
   */
  public Path confDir() {
    return confDir;
  }

  /**
   * @return a new client configuration of this cluster (HDFS, YARN)
   */
  public Configuration configuration() {
    return new Configuration(conf);
  }

  /**
   * @return a new HDFS client; the caller closes it
   */
  public FileSystem fileSystem() throws IOException {
    return FileSystem.newInstance(conf);
  }

  /**
   * @return the NodeManager's local log dirs: {@code <app id>/<container id>/{stdout,stderr}}
   */
  public List<Path> containerLogDirs() {
    List<Path> dirs = new ArrayList<>();
    for (String d :
        yarn.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
      dirs.add(Path.of(d.replaceFirst("^file:", "")));
    }
    return dirs;
  }

  /**
   * Stops YARN and HDFS, then kills whatever container JVM (a descendant of this JVM) is still
   * alive. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook
    }
    List<ProcessHandle> containers =
        ProcessHandle.current()
            .descendants()
            .filter(h -> h.info().commandLine().orElse("").contains(YARN_NAME))
            .toList();
    if (yarn != null) {
      yarn.stop();
    }
    if (hdfs != null) {
      hdfs.close();
    }
    for (ProcessHandle h : containers) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : containers) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("MiniYarnCluster: pid " + h.pid() + " did not exit after SIGKILL");
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
