#!/usr/bin/env bash
# The GPU check: run on a GPU machine from the repository root, with bin/gpu (made by
# scripts/build_gpu_bundle.sh on the development machine) copied along. That machine needs no
# Go; everything is prebuilt.
#
#   bash scripts/gpu_check.sh        (about 10 minutes at most)
#
# 1. the CUDA kernel tests (every kernel against the CPU device, guard bands, the allocator);
# 2. the golden tests on the CUDA device (float32 ≤ 1e-5, float64 ≤ 1e-9);
# 3. the SQuAD reader's training step split into the RNN and the rest, SRU and LSTM
#    (BenchmarkComponentsCUDA: the DrQA README's two columns, on the GPU);
# 4. every task trained a few steps on the CPU and on the GPU in float64, which must agree
#    (TestCUDATasks: losses, evaluations with their decoding, final parameters);
# 5. sru bench --device cuda --sizes all (SRU, our LSTM and CNN), median of 50;
# 6. scripts/bench_pytorch.py: cuDNN LSTM and conv2d at the same sizes, strict FP32;
# 7. two epochs of the quickstart experiment (sru run, device = "cuda"), then on the CPU;
# then the comparison table, last. Everything goes to $OUT (10 files). Each
# stage has its own time limit, so one that hangs does not take the others down; the whole
# check stays under about 10 minutes (about 4 expected).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
B="$PWD/bin/gpu"
if [ ! -x "$B/sru" ] && [ -f bin/gpu.tar.gz ]; then
	tar -C bin -xzf bin/gpu.tar.gz
fi
if [ ! -x "$B/sru" ]; then
	echo "bin/gpu is missing: build it with scripts/build_gpu_bundle.sh and copy bin/gpu (or bin/gpu.tar.gz) here" >&2
	exit 2
fi

env_txt=$({
	cat "$B/BUILD"
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
	ldconfig -p 2>/dev/null | grep -E 'libcublas\.so|libcuda\.so' | head
	ls /usr/local/cuda/lib64/libcublas.so* 2>/dev/null
} 2>&1)
# cuBLAS: the loader's path first, then the toolkit's.
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64"

status=()
stage() { # name, seconds, folder, command...: runs it there, notes the outcome
	local name=$1 secs=$2 dir=$3
	shift 3
	local t0=$SECONDS rc
	(cd "$dir" && timeout --kill-after=10 "$secs" "$@")
	rc=$?
	status+=("$(printf '%-28s %s (%ds)' "$name" "$([ $rc = 0 ] && echo ok || echo "FAILED rc=$rc")" $((SECONDS - t0)))")
	echo "== $name: rc=$rc after $((SECONDS - t0)) s" >&2
}

# The fatbin test reads the sources beside it, so each test binary runs in its package folder.
stage "kernel tests" 120 kernels/cuda "$B/cuda.test" -test.v -test.timeout 110s >"$OUT/cuda_test.log" 2>&1
stage "golden tests" 45 golden env SRU_GOLDEN_DIR="$B/golden" "$B/golden.test" -test.v -test.run TestGolden \
	-test.timeout 40s >"$OUT/golden_test.log" 2>&1
stage "squad components (cuda)" 120 tasks/squad "$B/squad.test" -test.run '^$' -test.bench ComponentsCUDA \
	-test.benchtime 20x -test.timeout 110s >"$OUT/squad_bench.log" 2>&1
stage "task tests (CPU vs CUDA)" 120 tasks/all "$B/tasks.test" -test.v -test.run TestCUDATasks \
	-test.timeout 110s >"$OUT/tasks_test.log" 2>&1
stage "sru bench --device cuda" 120 . "$B/sru" bench --device cuda --sizes all --reps 50 --warmup 5 \
	--json "$OUT/bench.json" >"$OUT/bench.log" 2>&1
stage "PyTorch cuDNN LSTM, conv2d" 100 . env PYTHONUNBUFFERED=1 python3 scripts/bench_pytorch.py run \
	--json "$OUT/pytorch.json" >"$OUT/pytorch.log" 2>&1
runs=$(mktemp -d)
for dev in cuda cpu; do
	stage "sru run quickstart ($dev)" 60 . "$B/sru" run experiments/quickstart.toml -set device=$dev \
		-set train.epochs=2 -runs-dir "$runs" >>"$OUT/train.log" 2>&1
done

{
	echo "== machine"
	echo "$env_txt"
	echo "== stages"
	printf '%s\n' "${status[@]}"
	logs='device:|kernels:|allocator:|SRU forward'
	echo "== kernel tests: $(grep -c -- '--- PASS' "$OUT/cuda_test.log") passed, $(grep -c -- '--- FAIL' "$OUT/cuda_test.log") failed; failures (first 30 lines):"
	grep -E '^\s*(--- FAIL|FAIL|panic:)|_test.go:[0-9]+:' "$OUT/cuda_test.log" | grep -vE "$logs" | head -30
	echo "== golden tests: $(grep -c -- '--- PASS' "$OUT/golden_test.log") passed, $(grep -c -- '--- FAIL' "$OUT/golden_test.log") failed; failures (first 20 lines):"
	grep -E '^\s*(--- FAIL|FAIL|panic:)|_test.go:[0-9]+:' "$OUT/golden_test.log" | grep -vE "$logs" | head -20
	echo "== task tests, CPU vs CUDA (float64): $(grep -c -- '--- PASS' "$OUT/tasks_test.log") passed, $(grep -c -- '--- FAIL' "$OUT/tasks_test.log") failed; failures (first 30 lines):"
	grep -E '^\s*(--- FAIL|FAIL|panic:)|_test.go:[0-9]+:' "$OUT/tasks_test.log" | grep -vE "$logs|agree; last loss" | head -30
	echo "== SQuAD reader, RNN and rest of a training step on the GPU (ms, medians of 20; lstm/sru-rnn is the bar's ratio)"
	grep -E '^Benchmark|device:|FAIL|panic' "$OUT/squad_bench.log" | tr '\t' ' ' | sed -E 's/ +/ /g'
	echo "== two epochs of the quickstart, GPU then CPU (the accuracies should agree closely)"
	grep -E '^(device|done):' "$OUT/train.log"
	echo "== sru bench table"
	cat "$OUT/bench.log"
	echo
	python3 scripts/bench_pytorch.py summary --bench "$OUT/bench.json" --torch "$OUT/pytorch.json"
} >"$OUT/summary.txt" 2>&1
grep -E "$logs" "$OUT/cuda_test.log" "$OUT/golden_test.log" >&2
cat "$OUT/summary.txt"
