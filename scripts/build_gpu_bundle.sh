#!/usr/bin/env bash
# Builds bin/gpu/ and bin/gpu.tar.gz (git-ignored): everything scripts/gpu_check.sh runs on a
# GPU machine, which has no Go. Run here, where Go and the CUDA headers are (scripts/install_cuda_toolkit.sh); then
# copy bin/gpu with the repository to the GPU machine. The binaries are x86-64 Linux, dynamically linked against
# glibc and the driver's libcuda.so.1 only (cuBLAS is opened at run time).
set -euo pipefail
cd "$(dirname "$0")/.."

out=bin/gpu
golden_dir="${SRU_GOLDEN_DIR:-$(cd .. && pwd)/shared/golden/sru}"
# Without a driver here, libcuda comes from the toolkit's link stubs.
export CGO_LDFLAGS="${CGO_LDFLAGS:--L/usr/lib/x86_64-linux-gnu/stubs}"
# SRU_BUNDLE_TAG=cudaemu builds the bundle on the emulator instead: a dry run of gpu_check.sh
# here, without a GPU (slow, and its timings mean nothing), to check the script's plumbing.
tag="${SRU_BUNDLE_TAG:-cuda}"
flags=(-tags "$tag" -trimpath -ldflags=-s\ -w)

# The embedded fatbin must be the one built from the sources that travel with it.
go test -count=1 -run 'TestFatbinMatchesSources|TestLaunchArguments' ./kernels/cuda

rm -rf "$out"
mkdir -p "$out/golden"
go test "${flags[@]}" -c -o "$out/cuda.test" ./kernels/cuda
go test "${flags[@]}" -c -o "$out/golden.test" ./golden
go test "${flags[@]}" -c -o "$out/tasks.test" ./tasks/all
go test "${flags[@]}" -c -o "$out/squad.test" ./tasks/squad
go build "${flags[@]}" -o "$out/sru" ./cmd/sru
cp "$golden_dir"/*.json "$out/golden/"
{
	echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)'), tag $tag"
	echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go version | cut -d' ' -f3-)"
} >"$out/BUILD"
du -sh "$out"
# The same, compressed, for copying (about half the size): gpu_check.sh unpacks it when bin/gpu
# is absent.
tar -C bin -czf bin/gpu.tar.gz gpu
du -sh bin/gpu.tar.gz
