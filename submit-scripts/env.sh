# Shared environment for the submit scripts; sourced, not run.
# Module flags and ONNX Runtime/DJL switches come from the one committed source the build and the
# job read too: jobs/io/batchinfer/jobs/runtime.properties (plain key=value lines).
BATCHINFER_RUNTIME_PROPERTIES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/jobs/io/batchinfer/jobs/runtime.properties"
batchinfer_runtime_property() {
  sed -n "s/^$1=//p" "$BATCHINFER_RUNTIME_PROPERTIES"
}
# Every JVM that loads ONNX Runtime 1.29 needs ORT_DISABLE_TELEMETRY=1 (else it segfaults on long
# command lines); DJL's tokenizer must never call home.
# BATCHINFER_RUNTIME_ENV_NAMES lists them, for scripts that pass them on (spark.executorEnv.*).
BATCHINFER_RUNTIME_ENV_NAMES=""
while IFS='=' read -r key value; do
  export "${key#runtime.env.}=$value"
  BATCHINFER_RUNTIME_ENV_NAMES="$BATCHINFER_RUNTIME_ENV_NAMES ${key#runtime.env.}"
done < <(grep '^runtime\.env\.' "$BATCHINFER_RUNTIME_PROPERTIES")
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# Which build the scripts use: BATCHINFER_SPARK=3.5 (default: Spark 3.5.9, target/) or 4
# (Spark 4.2.0, mvn -Pspark4, target/spark4/). Each line has its own module flags for the driver JVMs
# the scripts start on Java 17: runtime.properties' spark.module.flags or spark4.module.flags.
BATCHINFER_SPARK="${BATCHINFER_SPARK:-3.5}"
case "$BATCHINFER_SPARK" in
  3.5)
    BATCHINFER_BUILD_DIR=target
    BATCHINFER_MVN_PROFILE=
    BATCHINFER_CLUSTER_JAR=batchinfer-cluster.jar
    BATCHINFER_DRIVER_OPTS="$(batchinfer_runtime_property spark.module.flags)" ;;
  4)
    BATCHINFER_BUILD_DIR=target/spark4
    BATCHINFER_MVN_PROFILE=-Pspark4
    BATCHINFER_CLUSTER_JAR=batchinfer-spark4-cluster.jar
    BATCHINFER_DRIVER_OPTS="$(batchinfer_runtime_property spark4.module.flags)" ;;
  *)
    echo "BATCHINFER_SPARK must be 3.5 or 4, got '$BATCHINFER_SPARK'" >&2
    exit 2 ;;
esac
export BATCHINFER_SPARK BATCHINFER_BUILD_DIR BATCHINFER_MVN_PROFILE BATCHINFER_CLUSTER_JAR
# Plus the driver's system properties (-Dai.djl.offline=true).
while IFS='=' read -r key value; do
  BATCHINFER_DRIVER_OPTS="$BATCHINFER_DRIVER_OPTS -D${key#runtime.sysprop.}=$value"
done < <(grep '^runtime\.sysprop\.' "$BATCHINFER_RUNTIME_PROPERTIES")
export BATCHINFER_DRIVER_OPTS

# Builds $BATCHINFER_BUILD_DIR/batchinfer.jar and lib/ (the runtime classpath, Spark included)
# unless they are newer than every source file, pom.xml included.
batchinfer_build_if_needed() {
  local root="$1"
  local build="$root/$BATCHINFER_BUILD_DIR"
  local jar="$build/batchinfer.jar"
  if [ "${BATCHINFER_REBUILD:-0}" != "1" ] && [ -f "$jar" ] && [ -d "$build/lib" ] \
     && [ -z "$(find "$root/pom.xml" "$root/udfs" "$root/jobs" "$root/spark-compat" -newer "$jar" -print -quit)" ]; then
    return 0
  fi
  echo "batchinfer: building (mvn $BATCHINFER_MVN_PROFILE package -DskipTests) ..." >&2
  (cd "$root" && mvn -q -B $BATCHINFER_MVN_PROFILE -DskipTests package) >&2
}
