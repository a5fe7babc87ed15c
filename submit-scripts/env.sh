# Shared environment for the submit scripts; sourced, not run.
# Every JVM that loads ONNX Runtime 1.29 needs ORT_DISABLE_TELEMETRY=1 (else it segfaults on long
# command lines); DJL's tokenizer must never call home.
export ORT_DISABLE_TELEMETRY=1
export DJL_OFFLINE=true
export OPT_OUT_TRACKING=true
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# The module flags Spark 3.5 needs on Java 17 (org.apache.spark.launcher.JavaModuleOptions).
BATCHINFER_DRIVER_OPTS="-XX:+IgnoreUnrecognizedVMOptions \
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
--add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false \
-Dai.djl.offline=true"
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
