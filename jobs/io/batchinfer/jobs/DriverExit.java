package io.batchinfer.jobs;

import io.batchinfer.udfs.compat.SparkCompat;
import org.apache.spark.SparkUserAppException;

/**
 * Driver only. Ends the driver's {@code main} with an exit code in the way its launcher expects.
 *
 * <p>Everywhere but YARN cluster mode that is {@code System.exit(code)}. A YARN cluster-mode driver
 * runs inside Spark's ApplicationMaster, which reports the application's final status itself:
 * {@code System.exit(0)} there runs the AM's shutdown hook before it has reported success, so YARN
 * records the application as FAILED ("Shutdown hook called before final status was reported") and
 * runs it again. So there {@code main} returns normally for 0 and throws {@link
 * SparkUserAppException} for any other code, which the AM reports as the exit status.
 */
final class DriverExit {
  private DriverExit() {}

  /** Ends {@code main} with {@code code}; returns only in YARN cluster mode with code 0. */
  static void exit(int code) throws SparkUserAppException {
    if (isYarnClusterDriver()) {
      if (code != ExitCodes.OK) {
        throw SparkCompat.userAppExit(code);
      }
      return;
    }
    System.exit(code);
  }

  /**
   * @return true inside Spark's ApplicationMaster, which sets these for the user class
   */
  static boolean isYarnClusterDriver() {
    return "yarn".equals(System.getProperty("spark.master"))
        && "cluster".equals(System.getProperty("spark.submit.deployMode"));
  }
}
