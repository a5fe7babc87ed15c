# Shared environment for the submit scripts; sourced, not run.
# Every JVM that loads ONNX Runtime 1.29 needs ORT_DISABLE_TELEMETRY=1 (else it segfaults on long
# command lines); DJL's tokenizer must never call home.
export ORT_DISABLE_TELEMETRY=1
export DJL_OFFLINE=true
export OPT_OUT_TRACKING=true
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# Which build the scripts use: BATCHINFER_SPARK=3.5 (default: Spark 3.5.9, target/) or 4
# (Spark 4.2.0, mvn -Pspark4, target/spark4/). Each line has its own module flags for the driver JVMs
# the scripts start on Java 17 (org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions();
# SparkCompatTest checks these lists against the launcher of each build).
BATCHINFER_SPARK="${BATCHINFER_SPARK:-3.5}"
BATCHINFER_OPENS="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
--add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED"
case "$BATCHINFER_SPARK" in
  3.5)
    BATCHINFER_BUILD_DIR=target
    BATCHINFER_MVN_PROFILE=
    BATCHINFER_CLUSTER_JAR=batchinfer-cluster.jar
    BATCHINFER_DRIVER_OPTS="-XX:+IgnoreUnrecognizedVMOptions $BATCHINFER_OPENS \
-Djdk.reflect.useDirectMethodHandle=false -Dai.djl.offline=true" ;;
  4)
    BATCHINFER_BUILD_DIR=target/spark4
    BATCHINFER_MVN_PROFILE=-Pspark4
    BATCHINFER_CLUSTER_JAR=batchinfer-spark4-cluster.jar
    BATCHINFER_DRIVER_OPTS="-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector $BATCHINFER_OPENS \
-Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.type=pooled \
-Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE --sun-misc-unsafe-memory-access=allow \
--enable-native-access=ALL-UNNAMED -Dai.djl.offline=true" ;;
  *)
    echo "BATCHINFER_SPARK must be 3.5 or 4, got '$BATCHINFER_SPARK'" >&2
    exit 2 ;;
esac
unset BATCHINFER_OPENS
export BATCHINFER_SPARK BATCHINFER_BUILD_DIR BATCHINFER_MVN_PROFILE BATCHINFER_CLUSTER_JAR
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
