# Shortcuts for developers; CI runs .ci/run. The CUDA targets need the CUDA headers and nvcc
# (scripts/install_cuda_toolkit.sh), not a GPU.

GO ?= go
# Without a driver on the build machine, libcuda comes from the toolkit's link stubs.
CUDA_LDFLAGS ?= -L/usr/lib/x86_64-linux-gnu/stubs

.PHONY: build test test-emu kernels sru-cuda cuda-vet gpu-bundle

build:
	$(GO) build -o bin/sru ./cmd/sru

test:
	$(GO) test ./...

# The CUDA device's tests, the golden cases and every task trained against the CPU, on the CUDA
# emulator (no GPU needed; a few minutes): the kernels run as C++ on the CPU behind the same Go
# device code.
test-emu:
	$(GO) test -tags cudaemu ./kernels/cuda ./golden
	$(GO) test -tags cudaemu -run 'TestCUDATasks|TestCommandsOnCUDA' ./tasks/all ./cmd/sru

# Recompile kernels/cuda/kernels.fatbin and its source hash after editing a .cu/.cuh file.
kernels:
	scripts/build_kernels.sh

# bin/sru-cuda: the CLI with --device cuda.
sru-cuda:
	CGO_LDFLAGS="$(CUDA_LDFLAGS)" $(GO) build -tags cuda -o bin/sru-cuda ./cmd/sru

cuda-vet:
	CGO_LDFLAGS="$(CUDA_LDFLAGS)" $(GO) vet -tags cuda ./...

# bin/gpu: what scripts/gpu_check.sh runs on a GPU machine (see docs/GPU.md).
gpu-bundle:
	scripts/build_gpu_bundle.sh
