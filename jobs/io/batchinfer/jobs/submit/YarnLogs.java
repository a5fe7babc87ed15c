package io.batchinfer.jobs.submit;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.logaggregation.ContainerLogsRequest;
import org.apache.hadoop.yarn.logaggregation.filecontroller.LogAggregationFileController;
import org.apache.hadoop.yarn.logaggregation.filecontroller.LogAggregationFileControllerFactory;

/**
 * Prints the aggregated logs of a finished YARN application, in the format of {@code yarn logs
 * -applicationId ID}, for machines without a Hadoop installation: {@code
 * submit-scripts/yarn-logs.sh} runs it when there is no {@code yarn} command. Hadoop's own {@code
 * LogsCLI} is in Spark's {@code hadoop-client-api} jar but needs a library Spark's shaded Hadoop
 * client leaves out; this reads the same files through the same Hadoop classes ({@link
 * LogAggregationFileControllerFactory}, which picks the TFile or IFile format the cluster writes).
 *
 * <p>Runs on the submitting machine with the cluster's client config ({@code HADOOP_CONF_DIR}) and
 * Spark's jars on the classpath. Usage: {@code YarnLogs APPLICATION_ID [-log_files NAME[,NAME]...]
 * [-appOwner USER]}. Exit codes: 0 logs printed, 1 no aggregated logs (yet), 2 bad arguments.
 */
public final class YarnLogs {
  private YarnLogs() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args[0].startsWith("-")) {
      System.err.println(
          "usage: YarnLogs APPLICATION_ID [-log_files NAME[,NAME]...] [-appOwner USER]");
      System.exit(2);
    }
    ApplicationId app;
    try {
      app = ApplicationId.fromString(args[0]);
    } catch (IllegalArgumentException e) {
      System.err.println(
          "yarn-logs: not an application id: '" + args[0] + "' (expected application_<time>_<n>)");
      System.exit(2);
      return;
    }
    Set<String> logTypes = new LinkedHashSet<>();
    String owner = null;
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      if (a.equals("-log_files")) {
        while (i + 1 < rest.size() && !rest.get(i + 1).startsWith("-")) {
          logTypes.addAll(Arrays.asList(rest.get(++i).split(",")));
        }
      } else if (a.equals("-appOwner") && i + 1 < rest.size()) {
        owner = rest.get(++i);
      } else {
        System.err.println(
            "yarn-logs: unknown option '" + a + "' (this helper knows -log_files and -appOwner)");
        System.exit(2);
      }
    }
    YarnConfiguration conf = new YarnConfiguration();
    if (owner == null) {
      owner = UserGroupInformation.getCurrentUser().getShortUserName();
    }
    ContainerLogsRequest request = new ContainerLogsRequest();
    request.setAppId(app);
    request.setAppOwner(owner);
    request.setAppFinished(true);
    request.setLogTypes(logTypes);
    request.setBytes(Long.MAX_VALUE);
    boolean found;
    try {
      LogAggregationFileController controller =
          new LogAggregationFileControllerFactory(conf).getFileControllerForRead(app, owner);
      found = controller.readAggregatedLogs(request, System.out);
    } catch (IOException e) {
      found = false;
      System.err.println("yarn-logs: " + e.getMessage());
    }
    System.out.flush();
    if (!found) {
      System.err.println(
          "yarn-logs: no aggregated logs for "
              + app
              + " of user "
              + owner
              + " under "
              + conf.get(
                  YarnConfiguration.NM_REMOTE_APP_LOG_DIR,
                  YarnConfiguration.DEFAULT_NM_REMOTE_APP_LOG_DIR)
              + " (yet: YARN aggregates them after the application ends, if yarn.log-aggregation-enable is true)");
      System.exit(1);
    }
  }
}
