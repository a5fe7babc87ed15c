#!/usr/bin/env bash
# The benchmark behind docs/PERFORMANCE.md: raw ONNX Runtime, Parquet I/O alone, the engine API and
# the job (as run-local.sh runs it) on the same data, alternating, in one invocation. Prints rows/s
# and ratios; writes target/benchmark/benchmark.json and benchmark.png. Never part of the tests.
#   submit-scripts/benchmark.sh                                # tabular 1M, wide 100k, text 8000, 1000 files
#   submit-scripts/benchmark.sh --tabular-rows 1000000,4000000 # the table in docs/PERFORMANCE.md
#   submit-scripts/benchmark.sh --workloads wide --repeats 5   # one workload; --help lists options
#   submit-scripts/benchmark.sh --synapseml                    # adds SynapseML's ONNXModel (tabular-id)
#   submit-scripts/benchmark.sh --memory                       # the job on 2M rows in a 512 MB heap
#   submit-scripts/benchmark.sh sharing [tasks] [rows per task]   # one shared session vs one per task
#     (src/test/java/io/batchinfer/tools/SessionSharingBenchmark.java; defaults 4 tasks, 20000 rows)
#   submit-scripts/benchmark.sh zipmap [rows] [repeats]        # what ONNX-ML map outputs cost
#     (src/test/java/io/batchinfer/tools/ZipMapBenchmark.java; defaults 400000 rows, 3 repeats)
#   submit-scripts/benchmark.sh sql [rows] [repeats] [cores]   # SQL function vs API vs ML stage
#     (src/test/java/io/batchinfer/tools/SqlFunctionBenchmark.java; defaults 500000 rows, 2, 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"
# The job mode runs submit-scripts/run-local.sh, which needs target/batchinfer.jar and target/lib.
batchinfer_build_if_needed "$ROOT"
# --memory: only the memory check (the job on 2M rows in a 512 MB heap; --memory-rows to change).
# --synapseml: also measure SynapseML's ONNXModel (Maven profile synapseml: SynapseML 1.1.0 and
# Spark ML on the benchmark's classpath only, fetched from Maven Central on first use).
PROFILE=""
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --synapseml) PROFILE="-Psynapseml" ;;
    --memory) ARGS+=(--workloads memory) ;;
    *) ARGS+=("$arg") ;;
  esac
done
set -- ${ARGS[@]+"${ARGS[@]}"}
mvn -q -B -o $PROFILE -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/benchmark-classpath.txt >&2 \
  || mvn -q -B $PROFILE -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/benchmark-classpath.txt >&2
# An @argfile keeps the command line short (ORT_DISABLE_TELEMETRY is set anyway).
printf -- '-cp\n%s\n' "target/classes:target/test-classes:$(cat target/benchmark-classpath.txt)" > target/benchmark.args
if [ "${1:-}" = "sharing" ]; then
  shift
  exec java ${BATCHINFER_DRIVER_OPTS} -Xmx2g @target/benchmark.args io.batchinfer.tools.SessionSharingBenchmark "$@"
fi
if [ "${1:-}" = "zipmap" ]; then
  shift
  exec java ${BATCHINFER_DRIVER_OPTS} -Xmx2g -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    @target/benchmark.args io.batchinfer.tools.ZipMapBenchmark "$@"
fi
if [ "${1:-}" = "sql" ]; then
  shift
  exec java ${BATCHINFER_DRIVER_OPTS} -Xmx2g -Dbatchinfer.project.dir="$ROOT" \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    @target/benchmark.args io.batchinfer.tools.SqlFunctionBenchmark "$@"
fi
# BATCHINFER_BENCH_JAVA_OPTS: extra JVM options, e.g. -XX:StartFlightRecording=filename=x.jfr to profile.
exec java ${BATCHINFER_DRIVER_OPTS} ${BATCHINFER_BENCH_JAVA_OPTS:-} -Xmx"${BATCHINFER_BENCH_MEMORY:-4g}" \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  @target/benchmark.args io.batchinfer.tools.Benchmark --root "$ROOT" "$@"
