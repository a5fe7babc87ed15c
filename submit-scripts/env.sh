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

# The module flags Spark 3.5 needs on Java 17, plus the driver's system properties (-Dai.djl.offline=true).
BATCHINFER_DRIVER_OPTS="$(batchinfer_runtime_property spark.module.flags)"
while IFS='=' read -r key value; do
  BATCHINFER_DRIVER_OPTS="$BATCHINFER_DRIVER_OPTS -D${key#runtime.sysprop.}=$value"
done < <(grep '^runtime\.sysprop\.' "$BATCHINFER_RUNTIME_PROPERTIES")
export BATCHINFER_DRIVER_OPTS

# Builds target/batchinfer.jar and target/lib/ (the runtime classpath, Spark included) unless they
# are newer than every source file, pom.xml included.
batchinfer_build_if_needed() {
  local root="$1"
  local jar="$root/target/batchinfer.jar"
  if [ "${BATCHINFER_REBUILD:-0}" != "1" ] && [ -f "$jar" ] && [ -d "$root/target/lib" ] \
     && [ -z "$(find "$root/pom.xml" "$root/udfs" "$root/jobs" -newer "$jar" -print -quit)" ]; then
    return 0
  fi
  echo "batchinfer: building (mvn package -DskipTests) ..." >&2
  (cd "$root" && mvn -q -B -DskipTests package) >&2
}
