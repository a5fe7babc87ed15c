#!/usr/bin/env bash
# The first command to run on a GPU node: builds the GPU jar, checks the node with `batchinfer
# doctor`, runs the text example (int8 MiniLM) and a compute-heavier model (fp32 MiniLM, batch 128)
# on CPU, CUDA and (when it initialises) TensorRT, checks that the outputs agree within tolerance
# and prints rows/s for each.
#
#   submit-scripts/gpu-check.sh            # embedded Spark (local[*]) on this machine, GPU 0
#
# Needs: Java 17, Maven, an NVIDIA driver and the CUDA 12 / cuDNN 9 libraries ONNX Runtime 1.29's
# GPU build loads (see README, "GPU executors"); TensorRT 10 for the tensorrt runs. Outputs go to
# target/gpu-check/. Exit codes: 0 everything agrees, 1 CUDA does not work here or an output differs.
# Environment: BATCHINFER_GPU_CHECK_MASTER (default local[*]), CUDA_VISIBLE_DEVICES as usual.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=submit-scripts/env.sh
source "$ROOT/submit-scripts/env.sh"
OUT="$ROOT/target/gpu-check"
mkdir -p "$OUT"

echo "gpu-check: building the GPU jar (mvn -Pgpu package, about 640 MB of ONNX Runtime GPU on first run) ..." >&2
mvn -q -B -Pgpu -DskipTests package test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/gpu-check-classpath.txt >&2
# Our own classpath file (target/lib may still hold the CPU ONNX Runtime of an earlier build);
# an @argfile keeps the command line short.
printf -- '-cp\n%s\n' "target/classes:target/test-classes:$(cat target/gpu-check-classpath.txt)" > target/gpu-check.args
JAVA=(java ${BATCHINFER_DRIVER_OPTS} -Xmx6g -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties"
      -Dspark.master="${BATCHINFER_GPU_CHECK_MASTER:-local[*]}" -Dspark.ui.enabled=false
      -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 @target/gpu-check.args)

echo "== doctor (model.device cuda)"
if ! "${JAVA[@]}" io.batchinfer.jobs.BatchInferenceJob doctor --config conf/examples/text-embeddings.yaml \
     --set model.device=cuda; then
  echo "gpu-check: CUDA does not initialise here; fix what the doctor reports first." >&2
  exit 1
fi
DEVICES=(cpu cuda)
if "${JAVA[@]}" io.batchinfer.jobs.BatchInferenceJob doctor --config conf/examples/text-embeddings.yaml \
     --set model.device=tensorrt > "$OUT/doctor-tensorrt.txt"; then
  DEVICES+=(tensorrt)
else
  echo "gpu-check: TensorRT does not initialise here (see $OUT/doctor-tensorrt.txt); skipping tensorrt runs." >&2
fi

# run NAME DEVICE CONFIG [--set ...]: runs the job, prints its rows/s.
run() {
  local name="$1" device="$2" config="$3"
  shift 3
  local line
  line="$("${JAVA[@]}" io.batchinfer.jobs.BatchInferenceJob --config "$config" --no-progress \
    --set model.device="$device" --set output.mode=overwrite --set output.path="$OUT/$name-$device" "$@" \
    | grep '^batchinfer: job=')"
  echo "$name on $device: $(grep -o 'rows_per_s=[0-9.]*' <<<"$line") ($(grep -o 'wall_s=[0-9.]*' <<<"$line"))"
}

status=0
# compare NAME DEVICE MAX_ABS MIN_COSINE
compare() {
  "${JAVA[@]}" io.batchinfer.tools.OutputComparison "$OUT/$1-cpu" "$OUT/$1-$2" "$3" "$4" || status=1
}

echo "== text example: int8 all-MiniLM-L6-v2, 3000 sentences"
for d in "${DEVICES[@]}"; do run text "$d" conf/examples/text-embeddings.yaml; done
# Quantized kernels differ between providers: compare directions, not digits.
for d in "${DEVICES[@]:1}"; do compare text "$d" 0.05 0.99; done

echo "== compute-heavier: fp32 all-MiniLM-L6-v2, batch 128, 256 tokens"
HEAVY=(--set model.path=models/all-minilm-l6-v2/all-minilm-l6-v2.onnx --set model.sha256=
       --set text.tokenizer=models/all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json
       --set model.batch_size=128 --set text.max_length=256)
for d in "${DEVICES[@]}"; do run heavy "$d" conf/examples/text-embeddings.yaml "${HEAVY[@]}"; done
# fp32 (TensorRT may use tf32/fp16 tactics only when asked; defaults are fp32).
for d in "${DEVICES[@]:1}"; do compare heavy "$d" 0.001 0.9999; done

if [ "$status" -eq 0 ]; then
  echo "gpu-check: ok: outputs agree on ${DEVICES[*]}."
else
  echo "gpu-check: outputs DIFFER between CPU and GPU (see above)." >&2
fi
exit "$status"
