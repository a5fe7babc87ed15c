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
# BATCHINFER_DRIVER_MEMORY (default 2g), BATCHINFER_LOG4J (a log4j2 config; default conf/log4j2.properties),
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

# A short -cp (a wildcard) keeps the command line small; ORT_DISABLE_TELEMETRY (env.sh) covers the rest.
CLASSPATH_PREFIX=""
if [ -n "${HADOOP_CONF_DIR:-}" ]; then
  CLASSPATH_PREFIX="$HADOOP_CONF_DIR:"
fi
exec java ${BATCHINFER_DRIVER_OPTS} -Xmx"${BATCHINFER_DRIVER_MEMORY:-2g}" \
  -Dlog4j2.configurationFile="${BATCHINFER_LOG4J:-$ROOT/conf/log4j2.properties}" \
  -cp "$CLASSPATH_PREFIX$ROOT/$BATCHINFER_BUILD_DIR/lib/*:$ROOT/$BATCHINFER_BUILD_DIR/batchinfer.jar" \
  org.apache.spark.deploy.SparkSubmit \
  --master "${SPARK_MASTER:-local[*]}" \
  --conf spark.ui.enabled=false \
  --conf spark.driver.host=127.0.0.1 \
  --conf spark.driver.bindAddress=127.0.0.1 \
  --conf "spark.hadoop.fs.s3a.aws.credentials.provider=${BATCHINFER_S3A_CREDENTIALS_PROVIDER:-$S3A_DEFAULT_CHAIN}" \
  --class io.batchinfer.jobs.BatchInferenceJob \
  "$ROOT/$BATCHINFER_BUILD_DIR/batchinfer.jar" \
  --config "$CONFIG" "$@"
