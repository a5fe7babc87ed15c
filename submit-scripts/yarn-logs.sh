#!/usr/bin/env bash
# Print the aggregated logs of a finished YARN application: in cluster mode, the driver's output
# (its summary line included) is the stdout of the application master's container.
#
#   submit-scripts/yarn-logs.sh APPLICATION_ID [yarn logs options]
#   submit-scripts/yarn-logs.sh application_1764500000000_0001 -log_files stdout | grep '^batchinfer: job='
#
# Runs `yarn logs -applicationId APPLICATION_ID ...` when a `yarn` command is on the PATH. Without a
# Hadoop installation it runs io.batchinfer.jobs.submit.YarnLogs (same output; options -log_files and
# -appOwner) on the Spark jars (SPARK_HOME/jars, else target/spark-home/jars built by mvn package),
# with HADOOP_CONF_DIR (or YARN_CONF_DIR) as config. Exit 1 when there are no aggregated logs (yet).
# Logs are there once the NodeManagers have aggregated them (yarn.log-aggregation-enable), usually a
# few seconds after the application ends.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
APP_ID="$1"
shift
if command -v yarn >/dev/null 2>&1; then
  exec yarn logs -applicationId "$APP_ID" "$@"
fi
CONF_DIR="${HADOOP_CONF_DIR:-${YARN_CONF_DIR:-}}"
[ -n "$CONF_DIR" ] || { echo "yarn-logs.sh: set HADOOP_CONF_DIR to the cluster's client config" >&2; exit 2; }
JARS="${SPARK_HOME:+$SPARK_HOME/jars}"
JARS="${JARS:-$ROOT/target/spark-home/jars}"
[ -d "$JARS" ] || { echo "yarn-logs.sh: $JARS is missing: set SPARK_HOME or run mvn package" >&2; exit 2; }
JAR="$ROOT/target/batchinfer-cluster.jar"
[ -f "$JAR" ] || { echo "yarn-logs.sh: $JAR is missing: run mvn package" >&2; exit 2; }
exec java -Xmx256m -cp "$CONF_DIR:$JARS/*:$JAR" io.batchinfer.jobs.submit.YarnLogs "$APP_ID" "$@"
