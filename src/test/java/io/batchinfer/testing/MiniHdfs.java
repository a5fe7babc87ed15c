package io.batchinfer.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for tests: Hadoop's in-process mini cluster (hadoop-client-minicluster at Spark's
 * Hadoop version), one NameNode and one DataNode in this JVM, every port an ephemeral one on
 * 127.0.0.1, storage under a test folder. It lives in the test JVM, so it cannot outlive it; {@link
 * #close()} shuts it down. The HDFS tests use it alone; {@code cluster.MiniYarnCluster} starts its
 * YARN on top of one.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  /** Starts a NameNode and one DataNode storing under {@code baseDir}. */
  public static MiniHdfs start(Path baseDir) throws IOException {
    Configuration conf = new Configuration();
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    conf.set("dfs.namenode.https-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.secondary.http-address", "127.0.0.1:0");
    // Small blocks are fine for test data; no replication beyond the single DataNode.
    conf.setInt("dfs.replication", 1);
    // Fail a client call to a dead cluster within seconds instead of retrying for minutes.
    conf.setInt("ipc.client.connect.max.retries", 2);
    conf.setInt("ipc.client.connect.max.retries.on.timeouts", 2);
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, baseDir.toFile()).numDataNodes(1).format(true).build();
    cluster.waitActive();
    return new MiniHdfs(cluster);
  }

  /**
   * @return the file system URI, {@code hdfs://127.0.0.1:port}
   */
  public String uri() {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  /**
   * @return a client of this cluster
   */
  public FileSystem fileSystem() throws IOException {
    return cluster.getFileSystem();
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
