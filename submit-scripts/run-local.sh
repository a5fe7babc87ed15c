#!/usr/bin/env bash
# Run a batchinfer job on embedded Spark (local[*]) with nothing but Java 17 and Maven.
#
#   submit-scripts/run-local.sh                                  # the default example (iris)
#   submit-scripts/run-local.sh conf/examples/iris.yaml --set model.batch_size=16
#   submit-scripts/run-local.sh conf/my-job.yaml --dry-run
#
# Builds the project if needed, then launches through Spark's own SparkSubmit entry point from the
# project's classpath (no Spark installation needed). Extra arguments after the config go to the
# job (--set, --dry-run, --verbose). Environment: SPARK_MASTER (default local[*]),
# BATCHINFER_DRIVER_MEMORY (default 2g), BATCHINFER_JAVA_OPTS (extra JVM options for the driver,
# e.g. -XX:StartFlightRecording=filename=run.jfr to profile a run), BATCHINFER_LOG4J (a log4j2 config; default conf/log4j2.properties),
# BATCHINFER_REBUILD=1 to force a rebuild, BATCHINFER_SPARK=4 to build and run on Spark 4.2
# (mvn -Pspark4, target/spark4/) instead of Spark 3.5.9, BATCHINFER_S3A_CREDENTIALS_PROVIDER (S3A
# credential providers; default: environment, AWS profile files, instance role), HADOOP_CONF_DIR (a
# Hadoop client config folder, put on the classpath as spark-submit does: core-site.xml with
# fs.s3a.endpoint or an HDFS fs.defaultFS), SPARK_CONF_DIR (its spark-defaults.conf is read).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFIG="${1:-conf/examples/iris.yaml}"
[ $# -gt 0 ] && shift

# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"
batchinfer_build_if_needed "$ROOT"

# S3 credentials only from the standard places: S3A's default chain (Hadoop config, environment,
# instance role) plus the AWS profile files (~/.aws/credentials, AWS_PROFILE). Override with
# BATCHINFER_S3A_CREDENTIALS_PROVIDER.
S3A_DEFAULT_CHAIN="org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider,org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider,com.amazonaws.auth.EnvironmentVariableCredentialsProvider,com.amazonaws.auth.profile.ProfileCredentialsProvider,org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider"

# Class-data sharing (AppCDS): the first run records the classes it loaded into an archive beside
# the jar; later runs map that archive instead of loading and verifying the same classes again,
# which cuts the JVM's start-up and class-loading time (measured in docs/PERFORMANCE.md). The
# archive is made again whenever the jar is newer; BATCHINFER_CDS=0 runs without it. A JVM that
# cannot use the archive (another JDK, a changed classpath) runs without it; its CDS messages are
# off so stdout stays the job's.
# Only a run that starts Spark and scores records it (not --help, --version, --dry-run or doctor,
# which load a fraction of the classes); delete the .jsa file to record it again.
CDS_ARCHIVE="$ROOT/$BATCHINFER_BUILD_DIR/batchinfer-cds.jsa"
CDS_NEW=""
CDS_OPTS=()
CDS_RECORD=1
for arg in "$CONFIG" "$@"; do
  case "$arg" in
    doctor|-h|--help|-V|--version|--dry-run) CDS_RECORD=0 ;;
  esac
done
if [ "${BATCHINFER_CDS:-1}" = "1" ]; then
  if [ -f "$CDS_ARCHIVE" ] && [ "$CDS_ARCHIVE" -nt "$ROOT/$BATCHINFER_BUILD_DIR/batchinfer.jar" ]; then
    CDS_OPTS=(-XX:SharedArchiveFile="$CDS_ARCHIVE")
  elif [ "$CDS_RECORD" = 1 ]; then
    # Written under a name of this run's own and renamed when the run succeeded: runs started at
    # the same time never see a half-written archive.
    CDS_NEW="$CDS_ARCHIVE.$$.tmp"
    CDS_OPTS=(-XX:ArchiveClassesAtExit="$CDS_NEW")
  fi
  CDS_OPTS+=(-Xlog:cds=off -Xlog:cds+dynamic=off -Xlog:class+path=off)
fi

# A short -cp (a wildcard) keeps the command line small; ORT_DISABLE_TELEMETRY (env.sh) covers the rest.
# HADOOP_CONF_DIR goes first on the classpath, as spark-submit puts it. Class-data sharing cannot
# archive with a folder on the classpath, so such runs go without it.
CLASSPATH_PREFIX=""
if [ -n "${HADOOP_CONF_DIR:-}" ]; then
  CLASSPATH_PREFIX="$HADOOP_CONF_DIR:"
  CDS_OPTS=()
  CDS_NEW=""
fi
JAVA_CMD=(java ${BATCHINFER_DRIVER_OPTS} ${BATCHINFER_JAVA_OPTS:-} ${CDS_OPTS[@]+"${CDS_OPTS[@]}"}
  -Xmx"${BATCHINFER_DRIVER_MEMORY:-2g}"
  -Dlog4j2.configurationFile="${BATCHINFER_LOG4J:-$ROOT/conf/log4j2.properties}"
  -cp "$CLASSPATH_PREFIX$ROOT/$BATCHINFER_BUILD_DIR/lib/*:$ROOT/$BATCHINFER_BUILD_DIR/batchinfer.jar"
  org.apache.spark.deploy.SparkSubmit
  --master "${SPARK_MASTER:-local[*]}"
  --conf spark.ui.enabled=false
  --conf spark.driver.host=127.0.0.1
  --conf spark.driver.bindAddress=127.0.0.1
  --conf "spark.hadoop.fs.s3a.aws.credentials.provider=${BATCHINFER_S3A_CREDENTIALS_PROVIDER:-$S3A_DEFAULT_CHAIN}"
  --class io.batchinfer.jobs.BatchInferenceJob
  "$ROOT/$BATCHINFER_BUILD_DIR/batchinfer.jar"
  --config "$CONFIG" "$@")
if [ -z "$CDS_NEW" ]; then
  exec "${JAVA_CMD[@]}"
fi
trap 'rm -f "$CDS_NEW"' EXIT
rc=0
"${JAVA_CMD[@]}" || rc=$?
if [ "$rc" = 0 ] && [ -f "$CDS_NEW" ]; then
  mv -f "$CDS_NEW" "$CDS_ARCHIVE"
else
  rm -f "$CDS_NEW"
fi
exit "$rc"
