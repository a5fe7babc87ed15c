#!/usr/bin/env bash
# Prints throughput ratios measured in one run (see src/test/java/io/batchinfer/tools/Benchmark.java).
#   submit-scripts/benchmark.sh [rows]      # default 400000 tabular rows
#   submit-scripts/benchmark.sh sharing [tasks] [rows per task]   # one shared session vs one per task
#     (src/test/java/io/batchinfer/tools/SessionSharingBenchmark.java; defaults 4 tasks, 20000 rows)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"
mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/benchmark-classpath.txt >&2
# An @argfile keeps the command line short (ORT_DISABLE_TELEMETRY is set anyway).
printf -- '-cp\n%s\n' "target/classes:target/test-classes:$(cat target/benchmark-classpath.txt)" > target/benchmark.args
if [ "${1:-}" = "sharing" ]; then
  shift
  exec java ${BATCHINFER_DRIVER_OPTS} -Xmx2g @target/benchmark.args io.batchinfer.tools.SessionSharingBenchmark "$@"
fi
exec java ${BATCHINFER_DRIVER_OPTS} -Xmx4g -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  @target/benchmark.args io.batchinfer.tools.Benchmark "$ROOT" "${1:-400000}"
