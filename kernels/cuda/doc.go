// Package cuda is the CUDA implementation of kernels.Device (float32 and float64), built only
// with the `cuda` build tag:
//
//	go build -tags cuda ./...   (CGO_LDFLAGS=-L/usr/lib/x86_64-linux-gnu/stubs without a driver)
//
// Its kernels are CUDA C (kernels.cu and the .cuh files beside it), compiled by
// scripts/build_kernels.sh into kernels.fatbin, which is committed together with the hash of its
// sources (fatbin_gen.go) and embedded into the binary. gorgonia.org/cu drives the CUDA driver
// API; cuBLAS is opened at run time (dlopen), so one binary runs with CUDA 11, 12 or 13.
//
// Threads: a CUDA context is current on an OS thread, not on a goroutine. Open locks the
// calling goroutine to its thread (runtime.LockOSThread) and makes the GPU's primary context
// current there; use the device from that goroutine only, or call Bind first on another
// goroutine (each test, for example). Like every kernels.Device, it is used by one goroutine
// at a time.
//
// With the `cudaemu` tag instead, the same device runs on the CPU: the kernels compile as C++
// (emu.h, emu.cpp) and device memory is host memory. It is slow and exists to test the kernels
// and this package's Go code without a GPU (docs/GPU.md).
//
// Without either tag this package holds only the pure-Go parts that need no GPU (argument checks,
// the caching allocator's bookkeeping) and a test that the committed fatbin matches its
// sources. gorgonia.org/cu initialises the driver when a program starts and exits the process
// when there is none, which is why nothing outside the tag may import it.
package cuda
