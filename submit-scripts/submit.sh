#!/usr/bin/env bash
# Submit a batchinfer job with spark-submit: local, standalone, YARN or Kubernetes.
#
#   submit-scripts/submit.sh [submit options] CONFIG [job arguments]
#
#   submit-scripts/submit.sh conf/examples/iris.yaml                        # local[*], like run-local.sh
#   submit-scripts/submit.sh --master spark://host:7077 conf/job.yaml --set model.batch_size=64
#   submit-scripts/submit.sh --master spark://host:7077 --deploy-mode cluster /shared/conf/job.yaml
#   submit-scripts/submit.sh --master yarn --deploy-mode cluster conf/job.yaml --var ds=2026-11-23
#   submit-scripts/submit.sh --master k8s://https://kube-api:6443 --deploy-mode cluster \
#       --conf spark.kubernetes.container.image=registry.example/batchinfer:0.1.0 conf/job.yaml
#
# Submit options (before CONFIG):
#   --master URL         local[*] (default, or $SPARK_MASTER), spark://HOST:PORT, yarn, k8s://URL
#   --deploy-mode MODE   client (default: the driver runs here) or cluster (the driver runs on the cluster)
#   --conf KEY=VALUE     any Spark setting (repeatable); wins over the defaults set here
#   --properties-file F  Spark properties file, instead of spark-defaults.conf (as spark-submit)
#   --jar PATH|URL       application jar (default target/batchinfer-cluster.jar, or
#                        target/spark4/batchinfer-spark4-cluster.jar with BATCHINFER_SPARK=4; built if missing or stale)
#   --print-command      print the spark-submit command instead of running it (alias: --print)
# CONFIG is a local YAML file (shipped to the driver with --files) or a hdfs://, s3a://... URI that the
# job reads through Hadoop wherever its driver runs.
# Everything from CONFIG on goes to the job: --set KEY=VALUE, --var NAME=VALUE, --dry-run, --verbose.
#
# Environment:
#   SPARK_HOME                  set: run $SPARK_HOME/bin/spark-submit (a Spark 3.5 / Scala 2.12 install,
#                               or Spark 4.x / Scala 2.13 with BATCHINFER_SPARK=4).
#                               unset: run Spark's SparkSubmit class on target/spark-home/jars, the Spark
#                               jars `mvn package` assembles (no Spark installation needed).
#   BATCHINFER_SPARK            3.5 (default) or 4: which build to submit (target/ or target/spark4/,
#                               mvn -Pspark4) and which Java module flags cluster-mode drivers get
#   BATCHINFER_EXECUTOR_CORES   spark.executor.cores (default 2)
#   BATCHINFER_EXECUTOR_MEMORY  spark.executor.memory (default 2g)
#   BATCHINFER_NUM_EXECUTORS    spark.executor.instances (default 2 on YARN and Kubernetes); standalone:
#                               spark.cores.max = this x executor cores (unset: every free core)
#   BATCHINFER_DRIVER_MEMORY    spark.driver.memory (default 2g)
#   Each is a default: a Spark setting you set in any form (--conf, --properties-file, or
#   spark-defaults.conf in $SPARK_CONF_DIR or $SPARK_HOME/conf) wins over it.
#   HADOOP_CONF_DIR             YARN: the cluster's client config (core-site.xml, yarn-site.xml)
#   BATCHINFER_LOG4J            log4j2 config for a driver started here without SPARK_HOME (default conf/log4j2.properties)
#   BATCHINFER_SKIP_BUILD=1     never run mvn package (CI, tests: use the jars as they are)
#
# Cores and ONNX Runtime threads. An executor runs (executor cores / spark.task.cpus) tasks at once,
# and they share one ONNX Runtime session per model; each run of it uses up to model.threads
# intra-op threads. So keep
#     (executor cores / spark.task.cpus) x model.threads <= executor cores,   i.e.  model.threads <= spark.task.cpus.
# The defaults (model.threads 1, spark.task.cpus 1) satisfy it. For 4 threads per model run, pass
# --conf spark.task.cpus=4 --set model.threads=4 (each executor then runs cores/4 tasks at once).
#
# Where the config and the data must be. Client mode: the driver runs here, so paths resolve here.
# Cluster mode: the driver runs on a cluster node, in another working directory. The config is
# shipped with --files; on YARN and Kubernetes it lands in the driver's working directory and the
# job reads it by its base name. Standalone does not ship --files to drivers: there the config
# path is made absolute and must be readable on every worker (a shared mount). In cluster mode
# input.path, model.path, text.tokenizer and output.path must be cluster-wide paths (hdfs://,
# s3a://, a shared mount), not paths relative to this directory.
#
# Set unless you set them: spark.executorEnv.ORT_DISABLE_TELEMETRY=1 (ONNX Runtime 1.29 segfaults on the long
# command lines of executors without it), DJL_OFFLINE/OPT_OUT_TRACKING (the tokenizer never calls
# home), and for cluster-mode drivers the same variables plus the Java 17 module flags Spark needs.
#
# Without SPARK_HOME on YARN, spark-submit ships target/spark-home/jars (about 220 MB) to the
# cluster's staging directory on every submission; set spark.yarn.archive (a zip of those jars on
# HDFS) or spark.yarn.jars to skip that. The driver's output in cluster mode:
# submit-scripts/yarn-logs.sh APPLICATION_ID.
#
# Exit codes: those of the job in client mode (0 ok, 1 failed while running, 2 bad command line,
# 3 invalid config, input, model or output path: nothing ran); 2 for a bad option of this script.
# In cluster mode only success (0) or failure (non-zero) comes back, and the job's summary line is
# in the driver's log, not here. (Standalone cluster mode: Spark 3.5's spark-submit exits 0 even
# when the driver fails; this script reads the driver's final state from its log and exits 1.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# env.sh defaults SPARK_LOCAL_IP to loopback, right for local mode only: a client-mode driver on a
# cluster must be reachable by the executors. Keep the caller's value if there is one.
CALLER_LOCAL_IP="${SPARK_LOCAL_IP-}"
# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"

LAUNCHER_JAR="$ROOT/$BATCHINFER_BUILD_DIR/$BATCHINFER_CLUSTER_JAR"
if [ "${BATCHINFER_SKIP_BUILD:-0}" != 1 ] && { [ ! -f "$LAUNCHER_JAR" ] || [ ! -d "$ROOT/$BATCHINFER_BUILD_DIR/spark-home/jars" ] \
    || [ -n "$(find "$ROOT/pom.xml" "$ROOT/udfs" "$ROOT/jobs" "$ROOT/spark-compat" -newer "$LAUNCHER_JAR" -print -quit)" ]; }; then
  echo "batchinfer: building (mvn $BATCHINFER_MVN_PROFILE package -DskipTests) ..." >&2
  (cd "$ROOT" && mvn -q -B $BATCHINFER_MVN_PROFILE -DskipTests package) >&2
fi
[ -f "$LAUNCHER_JAR" ] || { echo "submit.sh: $LAUNCHER_JAR is missing: run mvn $BATCHINFER_MVN_PROFILE package" >&2; exit 2; }

# The command is built in Java (io.batchinfer.jobs.submit.SubmitCommand, unit-tested): which Spark
# settings the user already set, and so which defaults to add. It prints NUL-separated fields: what
# to do, then the command.
PLAN_FILE="$(mktemp)"
set +e
BATCHINFER_ROOT="$ROOT" java -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$LAUNCHER_JAR" \
  io.batchinfer.jobs.submit.SubmitCommand "$@" > "$PLAN_FILE"
CODE=$?
set -e
if [ "$CODE" != 0 ]; then
  rm -f "$PLAN_FILE"
  [ "$CODE" = 64 ] && usage
  exit "$CODE"
fi
PLAN=()
while IFS= read -r -d '' FIELD; do PLAN+=("$FIELD"); done < "$PLAN_FILE"
rm -f "$PLAN_FILE"
ACTION="${PLAN[0]}"
COMMAND=("${PLAN[@]:1}")

case "$ACTION" in
  PRINT) printf '%s\n' "${COMMAND[0]}"; exit 0 ;;
  RUN|RUN_STANDALONE_CLUSTER) ;;
  *) echo "submit.sh: unexpected plan '$ACTION'" >&2; exit 2 ;;
esac
case "${COMMAND[*]}" in
  *"--master local"*) ;;
  *) if [ -n "$CALLER_LOCAL_IP" ]; then export SPARK_LOCAL_IP="$CALLER_LOCAL_IP"; else unset SPARK_LOCAL_IP; fi ;;
esac
if [ "$ACTION" = RUN ]; then
  exec "${COMMAND[@]}"
fi
# Standalone cluster mode: Spark 3.5's submit client exits 0 even when the driver fails; it only
# logs the driver's final state (at INFO, Spark's default level: keep it for this logger,
# org.apache.spark.deploy.ClientEndpoint, if your Spark's log4j2 config is quieter). Turn a failed
# driver into exit 1.
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
set +e
{ "${COMMAND[@]}" 2>&1 1>&3 | tee "$LOG" >&2; } 3>&1   # stderr through tee, stdout untouched
CODE=${PIPESTATUS[0]}
set -e
if [ "$CODE" = 0 ] && grep -qE 'State of driver [^ ]+ is (FAILED|ERROR|KILLED)' "$LOG"; then
  echo "submit.sh: the driver failed: see stdout/stderr in its folder (driver-...) in the worker's work dir" >&2
  CODE=1
fi
exit "$CODE"
