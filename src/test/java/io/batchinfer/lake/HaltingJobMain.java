package io.batchinfer.lake;

import io.batchinfer.jobs.BatchInferenceJob;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * Test main for a job killed mid-write: runs {@link BatchInferenceJob} on a local[1] session (Spark
 * settings from {@code -Dspark.*} system properties) and halts the JVM, like {@code kill -9} (no
 * shutdown hooks, no cleanup, no job commit) as soon as {@code args[0]} write tasks have committed
 * to the S3A magic committer under {@code args[1]} (one {@code .pendingset} file each under {@code
 * __magic}) and before the job commits.
 *
 * <p>Usage: {@code HaltingJobMain <committed tasks> <output path> <job args...>}
 */
public final class HaltingJobMain {
  private HaltingJobMain() {}

  public static void main(String[] args) {
    int haltAfter = Integer.parseInt(args[0]);
    SparkSession spark =
        SparkSession.builder().config(new SparkConf()).master("local[1]").getOrCreate();
    spark
        .sparkContext()
        .addSparkListener(
            new Halter(
                haltAfter,
                new Path(args[1], "__magic"),
                spark.sparkContext().hadoopConfiguration()));
    int code =
        BatchInferenceJob.run(System.out, System.err, Arrays.copyOfRange(args, 2, args.length));
    System.err.println(
        "HaltingJobMain: the job ended (exit "
            + code
            + ") before "
            + haltAfter
            + " tasks committed");
    System.exit(code == 0 ? 99 : code);
  }

  /** Halts the JVM once enough tasks have committed under the magic path. */
  static final class Halter extends SparkListener {
    private final int haltAfter;
    private final Path magic;
    private final Configuration conf;

    Halter(int haltAfter, Path magic, Configuration conf) {
      this.haltAfter = haltAfter;
      this.magic = magic;
      this.conf = conf;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
      int committed = pendingSets();
      if (committed >= haltAfter) {
        System.err.println("HaltingJobMain: halting after " + committed + " committed write tasks");
        System.err.flush();
        Runtime.getRuntime().halt(137);
      }
    }

    private int pendingSets() {
      try {
        FileSystem fs = magic.getFileSystem(conf);
        if (!fs.exists(magic)) {
          return 0;
        }
        int n = 0;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(magic, true);
        while (it.hasNext()) {
          n += it.next().getPath().getName().endsWith(".pendingset") ? 1 : 0;
        }
        return n;
      } catch (IOException e) {
        return 0;
      }
    }
  }
}
