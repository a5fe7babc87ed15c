#!/usr/bin/env bash
# The test suite on both supported Spark lines: the README's test command, and what CI runs (.ci/run).
#
#   submit-scripts/test.sh [Maven arguments for both runs, e.g. -Dtest.heap=1500m -o]
#
# 1. Spark 3.5.9 / Scala 2.12, the default build (target/): mvn verify, every unit and integration
#    test, the real standalone cluster and the scripts included.
# 2. Spark 4.2.0 / Scala 2.13, mvn -Pspark4 (target/spark4/), the fast set (-Pfast): every test not
#    tagged slow; the package phase builds the Spark 4 cluster jar and Spark jars. The slow tests
#    (clusters, scripts, extra JVMs) run on Spark 3.5 only, to keep both runs within CI's budget.
#    Every integration test (*IT) is tagged slow, so -DskipITs skips nothing more; it also keeps
#    failsafe from re-reading a failed summary left in target/spark4 by an earlier hand-run IT.
# 3. The GPU build (mvn -Pgpu, onnxruntime_gpu): package it and run the one test that needs
#    onnxruntime_gpu (on a machine without CUDA: 'cuda' fails with ONNX Runtime's reason, 'auto' falls
#    back to CPU). See README, "GPU executors, large models and doctor".
# Separate Maven runs, because one Maven build resolves one dependency graph: the Spark line is a
# profile, and each line builds into its own folder, so neither run recompiles the other.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B verify "$@"
mvn -B -Pspark4,fast verify -DskipITs "$@"
mvn -B -Pgpu package -Dtest=GpuBuildTest -Dsurefire.failIfNoSpecifiedTests=false "$@"
