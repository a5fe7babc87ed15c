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
#   --jar PATH|URL       application jar (default target/batchinfer-cluster.jar, built if missing or stale)
#   --print              print the command instead of running it
# CONFIG is a local YAML file (shipped to the driver with --files) or a hdfs://, s3a://... URI that the
# job reads through Hadoop wherever its driver runs.
# Everything from CONFIG on goes to the job: --set KEY=VALUE, --var NAME=VALUE, --dry-run, --verbose.
#
# Environment:
#   SPARK_HOME                  set: run $SPARK_HOME/bin/spark-submit (a Spark 3.5 / Scala 2.12 install).
#                               unset: run Spark's SparkSubmit class on target/spark-home/jars, the Spark
#                               jars `mvn package` assembles (no Spark installation needed).
#   BATCHINFER_EXECUTOR_CORES   cores per executor (default 2)
#   BATCHINFER_EXECUTOR_MEMORY  heap per executor (default 2g)
#   BATCHINFER_NUM_EXECUTORS    executors (default 2 on YARN and Kubernetes; standalone: unset = every free core)
#   BATCHINFER_DRIVER_MEMORY    driver heap (default 2g)
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
# Always set: spark.executorEnv.ORT_DISABLE_TELEMETRY=1 (ONNX Runtime 1.29 segfaults on the long
# command lines of executors without it), DJL_OFFLINE/OPT_OUT_TRACKING (the tokenizer never calls
# home), and for cluster-mode drivers the same variables plus the Java 17 module flags Spark needs.
#
# Exit codes: those of the job in client mode (0 ok, 1 failed while running, 2 bad command line,
# 3 invalid config, input, model or output path: nothing ran); 2 for a bad option of this script.
# In cluster mode only success (0) or failure (non-zero) comes back, and the job's summary line is
# in the driver's log, not here. (Standalone cluster mode: Spark 3.5's spark-submit exits 0 even
# when the driver fails; this script reads the driver's final state from its log and exits 1.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

MASTER="${SPARK_MASTER:-local[*]}"
DEPLOY_MODE=client
APP_JAR=
PRINT=0
USER_CONF=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) [ $# -ge 2 ] || usage; MASTER="$2"; shift 2 ;;
    --deploy-mode) [ $# -ge 2 ] || usage; DEPLOY_MODE="$2"; shift 2 ;;
    --conf) [ $# -ge 2 ] || usage; USER_CONF+=(--conf "$2"); shift 2 ;;
    --jar) [ $# -ge 2 ] || usage; APP_JAR="$2"; shift 2 ;;
    --print) PRINT=1; shift ;;
    -h|--help) usage ;;
    -*) echo "submit.sh: unknown option $1 (options go before the config; job options after it)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "submit.sh: missing CONFIG" >&2; usage; }
CONFIG="$1"
shift

case "$DEPLOY_MODE" in
  client|cluster) ;;
  *) echo "submit.sh: --deploy-mode must be client or cluster, not '$DEPLOY_MODE'" >&2; exit 2 ;;
esac
case "$MASTER" in
  local|local\[*) KIND=local ;;
  spark://*) KIND=standalone ;;
  yarn) KIND=yarn ;;
  k8s://*) KIND=k8s ;;
  *) echo "submit.sh: --master must be local[*], spark://..., yarn or k8s://..., not '$MASTER'" >&2; exit 2 ;;
esac
if [ "$KIND" = local ] && [ "$DEPLOY_MODE" = cluster ]; then
  echo "submit.sh: --deploy-mode cluster needs a cluster master (spark://, yarn, k8s://)" >&2
  exit 2
fi
# A config given as a URI (hdfs://, s3a://, ...) is read by the job through Hadoop, wherever the
# driver runs: it is passed as is, not shipped with --files.
REMOTE_CONFIG=0
case "$CONFIG" in
  file:*) ;;
  *://*) REMOTE_CONFIG=1 ;;
esac
if [ "$REMOTE_CONFIG" = 0 ] && [ ! -f "$CONFIG" ]; then
  echo "submit.sh: config file not found: $CONFIG" >&2
  exit 3
fi

# env.sh defaults SPARK_LOCAL_IP to loopback, right for local mode only: a client-mode driver on a
# cluster must be reachable by the executors. Keep the caller's value if there is one.
CALLER_LOCAL_IP="${SPARK_LOCAL_IP-}"
# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"
if [ "$KIND" != local ]; then
  if [ -n "$CALLER_LOCAL_IP" ]; then export SPARK_LOCAL_IP="$CALLER_LOCAL_IP"; else unset SPARK_LOCAL_IP; fi
fi

if [ -z "$APP_JAR" ]; then
  APP_JAR="$ROOT/target/batchinfer-cluster.jar"
  if [ "${BATCHINFER_SKIP_BUILD:-0}" != 1 ] && { [ ! -f "$APP_JAR" ] || [ ! -d "$ROOT/target/spark-home/jars" ] \
      || [ -n "$(find "$ROOT/pom.xml" "$ROOT/udfs" "$ROOT/jobs" -newer "$APP_JAR" -print -quit)" ]; }; then
    echo "batchinfer: building (mvn package -DskipTests) ..." >&2
    (cd "$ROOT" && mvn -q -B -DskipTests package) >&2
  fi
fi
case "$APP_JAR" in
  *://*) ;;   # hdfs://, s3a://, local:// ...: spark-submit resolves it
  *) [ -f "$APP_JAR" ] || { echo "submit.sh: application jar not found: $APP_JAR" >&2; exit 2; } ;;
esac

EXECUTOR_CORES="${BATCHINFER_EXECUTOR_CORES:-2}"
EXECUTOR_MEMORY="${BATCHINFER_EXECUTOR_MEMORY:-2g}"
DRIVER_MEMORY="${BATCHINFER_DRIVER_MEMORY:-2g}"
CONFIG_NAME="$(basename "$CONFIG")"

ARGS=(--master "$MASTER" --deploy-mode "$DEPLOY_MODE" --class io.batchinfer.jobs.BatchInferenceJob
  --driver-memory "$DRIVER_MEMORY")
# The ORT/DJL switches (runtime.properties via env.sh), for executors and, below, cluster-mode drivers.
batchinfer_env_confs() {
  local name
  for name in $BATCHINFER_RUNTIME_ENV_NAMES; do
    ARGS+=(--conf "$1$name=${!name}")
  done
}
batchinfer_env_confs spark.executorEnv.
case "$KIND" in
  local)
    ARGS+=(--conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1) ;;
  standalone)
    ARGS+=(--executor-cores "$EXECUTOR_CORES" --executor-memory "$EXECUTOR_MEMORY")
    if [ -n "${BATCHINFER_NUM_EXECUTORS:-}" ]; then
      ARGS+=(--total-executor-cores "$((BATCHINFER_NUM_EXECUTORS * EXECUTOR_CORES))")
    fi ;;
  yarn|k8s)
    ARGS+=(--executor-cores "$EXECUTOR_CORES" --executor-memory "$EXECUTOR_MEMORY"
      --num-executors "${BATCHINFER_NUM_EXECUTORS:-2}") ;;
esac

if [ "$DEPLOY_MODE" = cluster ]; then
  # The driver JVM is started by the cluster: it needs the module flags and the ORT/DJL switches.
  ARGS+=(--conf "spark.driver.extraJavaOptions=$BATCHINFER_DRIVER_OPTS")
  case "$KIND" in
    standalone)
      # Without waitAppCompletion, spark-submit exits 0 as soon as the driver is accepted, even if it fails.
      # The driver inherits this environment (env.sh exported ORT_DISABLE_TELEMETRY etc.).
      ARGS+=(--conf spark.standalone.submit.waitAppCompletion=true)
      CONFIG_ARG="$(cd "$(dirname "$CONFIG")" && pwd)/$CONFIG_NAME" ;;
    yarn)
      batchinfer_env_confs spark.yarn.appMasterEnv.
      CONFIG_ARG="$CONFIG_NAME" ;;
    k8s)
      batchinfer_env_confs spark.kubernetes.driverEnv.
      CONFIG_ARG="$CONFIG_NAME" ;;
  esac
else
  CONFIG_ARG="$CONFIG"
fi
if [ "$REMOTE_CONFIG" = 1 ]; then
  CONFIG_ARG="$CONFIG"
else
  ARGS+=(--files "$CONFIG")
fi
ARGS+=(${USER_CONF[@]+"${USER_CONF[@]}"})
ARGS+=("$APP_JAR" --config "$CONFIG_ARG" "$@")

if [ -n "${SPARK_HOME:-}" ]; then
  COMMAND=("$SPARK_HOME/bin/spark-submit" "${ARGS[@]}")
else
  [ -d "$ROOT/target/spark-home/jars" ] || { echo "submit.sh: set SPARK_HOME or run mvn package (target/spark-home/jars)" >&2; exit 2; }
  # SparkSubmit as a plain main. In client mode this JVM is the driver: it gets the module flags, the
  # heap and the project's log config here. A wildcard classpath keeps the command line short.
  # shellcheck disable=SC2206
  COMMAND=(java $BATCHINFER_DRIVER_OPTS -Xmx"$DRIVER_MEMORY")
  if [ "$DEPLOY_MODE" = client ]; then
    COMMAND+=(-Dlog4j2.configurationFile="${BATCHINFER_LOG4J:-$ROOT/conf/log4j2.properties}")
  fi
  COMMAND+=(-cp "$ROOT/target/spark-home/jars/*" org.apache.spark.deploy.SparkSubmit "${ARGS[@]}")
fi

if [ "$PRINT" = 1 ]; then
  printf '%q ' "${COMMAND[@]}"
  echo
  exit 0
fi
if [ "$KIND" != standalone ] || [ "$DEPLOY_MODE" != cluster ]; then
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
