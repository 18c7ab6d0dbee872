//go:build cudaemu && !cuda

package cuda

// The emulator backend: the same Device code over host memory, with the kernels of kernels.cu
// compiled as C++ and run on the CPU (emu.cpp) and GEMMs on the CPU device. It runs the CUDA
// device's tests where there is no GPU:
//
//	go test -tags cudaemu ./kernels/cuda ./golden
//
// Everything but the driver calls, cuBLAS and the real parallel execution is exercised: argument
// packing, grid and block sizes, kernel code, scratch and mailbox handling, allocator use.

/*
#cgo CXXFLAGS: -std=c++17 -O2 -U_FORTIFY_SOURCE
#include <stdint.h>
#include <stdlib.h>
int emu_kernel_index(const char *name);
int emu_kernel_nargs(int k);
int emu_launch(int k, int gx, int gy, int bx, int by, const uint64_t *args);
*/
import "C"

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/gosru/gosru/kernels"
)

type kernelFn = int

type backend = emuBackend

// emulated is true: kernels run on the CPU (tests shrink their largest shapes).
const emulated = true

type emuBackend struct {
	cpu32       *kernels.CPU[float32]
	cpu64       *kernels.CPU[float64]
	start, stop time.Time
	args        [maxArgs]C.uint64_t
	// threads are the OS threads the context is current on, as the driver has it: the one
	// that opened the device and those that called Bind. Every call from another thread
	// fails as the driver's would (CUDA_ERROR_INVALID_CONTEXT), so that the emulator catches
	// device work on a goroutine that did not bind (no check where osThread is unknown).
	mu      sync.Mutex
	threads map[int]bool
}

// current fails unless the context is current on the calling OS thread.
func (b *emuBackend) current() error {
	tid := osThread()
	if tid < 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.threads[tid] {
		return fmt.Errorf("emulator: CUDA_ERROR_INVALID_CONTEXT: the device is used from OS thread %d, where its context is not current (call Bind on this goroutine first)", tid)
	}
	return nil
}

// emuSMs is the multiprocessor count the emulator reports: small, so that grid-stride kernels
// get few blocks (each block's threads are run one by one).
const emuSMs = 2

func (b *emuBackend) open(opts Options, f64 bool) (string, int, error) {
	b.threads = map[int]bool{osThread(): true}
	var err error
	if b.cpu32, err = kernels.NewCPU[float32](kernels.CPUOptions{Workers: 1}); err != nil {
		return "", 0, err
	}
	if b.cpu64, err = kernels.NewCPU[float64](kernels.CPUOptions{Workers: 1}); err != nil {
		return "", 0, err
	}
	return fmt.Sprintf("emulated on the CPU, %d SMs", emuSMs), emuSMs, nil
}

func (b *emuBackend) function(name string) (kernelFn, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	k := int(C.emu_kernel_index(cs))
	if k < 0 {
		return 0, fmt.Errorf("not registered in emu.cpp")
	}
	return k, nil
}

func (b *emuBackend) launch(fn kernelFn, gx, gy, bx, by int, args []unsafe.Pointer) error {
	if err := b.current(); err != nil {
		return err
	}
	if want := int(C.emu_kernel_nargs(C.int(fn))); len(args) != want {
		return fmt.Errorf("emulator: %d arguments for a kernel of %d", len(args), want)
	}
	for i, p := range args {
		b.args[i] = C.uint64_t(*(*uint64)(p))
	}
	if C.emu_launch(C.int(fn), C.int(gx), C.int(gy), C.int(bx), C.int(by), &b.args[0]) != 0 {
		return fmt.Errorf("emulator: bad launch configuration grid %d×%d block %d×%d", gx, gy, bx, by)
	}
	return nil
}

func (b *emuBackend) alloc(n int64) (uintptr, error) {
	if err := b.current(); err != nil {
		return 0, err
	}
	p := C.aligned_alloc(256, C.size_t((n+255)/256*256))
	if p == nil {
		return 0, fmt.Errorf("emulator: out of memory")
	}
	return uintptr(p), nil
}

func (b *emuBackend) free(p uintptr) error {
	if err := b.current(); err != nil {
		return err
	}
	C.free(emuPtr(p))
	return nil
}

// emuPtr turns an emulated device address, which is C memory (never moved, never collected),
// back into a pointer.
func emuPtr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func hostBytes(p uintptr, n int64) []byte { return unsafe.Slice((*byte)(emuPtr(p)), n) }

func (b *emuBackend) memset(p uintptr, n int64) error {
	if err := b.current(); err != nil {
		return err
	}
	clear(hostBytes(p, n))
	return nil
}

func (b *emuBackend) htod(dst uintptr, src unsafe.Pointer, n int64) error {
	if err := b.current(); err != nil {
		return err
	}
	copy(hostBytes(dst, n), unsafe.Slice((*byte)(src), n))
	return nil
}

func (b *emuBackend) dtoh(dst unsafe.Pointer, src uintptr, n int64) error {
	if err := b.current(); err != nil {
		return err
	}
	copy(unsafe.Slice((*byte)(dst), n), hostBytes(src, n))
	return nil
}

func (b *emuBackend) dtod(dst, src uintptr, n int64) error {
	if err := b.current(); err != nil {
		return err
	}
	copy(hostBytes(dst, n), hostBytes(src, n))
	return nil
}

func (b *emuBackend) synchronize() error { return b.current() }

func (b *emuBackend) hostMapped(n int) (unsafe.Pointer, uintptr, error) {
	p, err := b.alloc(int64(n))
	if err != nil {
		return nil, 0, err
	}
	clear(hostBytes(p, int64(n)))
	return emuPtr(p), p, nil
}

func (b *emuBackend) freeHostMapped(host unsafe.Pointer) error { return b.free(uintptr(host)) }

// gemm takes cuBLAS's column-major arguments, as the device passes them, and turns them back
// into the row-major GEMM of the CPU device: column-major C = op(X)·op(Y) (M×N) is row-major
// Cᵀ = op(Y)ᵀ·op(X)ᵀ, i.e. Gemm(tY, tX, N, M, K, Y, X).
func (b *emuBackend) gemm(f64, tx, ty bool, M, N, K int, alpha float64, x uintptr, ldx, sx int, y uintptr, ldy, sy int,
	beta float64, c uintptr, ldc, sc, batch int) error {
	if err := b.current(); err != nil {
		return err
	}
	if f64 {
		emuGemm(b.cpu64, tx, ty, M, N, K, alpha, x, ldx, sx, y, ldy, sy, beta, c, ldc, sc, batch)
	} else {
		emuGemm(b.cpu32, tx, ty, M, N, K, alpha, x, ldx, sx, y, ldy, sy, beta, c, ldc, sc, batch)
	}
	return nil
}

func emuGemm[T kernels.Float](cpu *kernels.CPU[T], tx, ty bool, M, N, K int, alpha float64, x uintptr, ldx, sx int,
	y uintptr, ldy, sy int, beta float64, c uintptr, ldc, sc, batch int) {
	// Row-major extents: Y as stored is [N, K] (ty false) or [K, N]; X is [K, M] or [M, K]; C [N, M].
	extent := func(rows, cols, ld, stride int) int { return (batch-1)*stride + (rows-1)*ld + cols }
	yr, yc := N, K
	if ty {
		yr, yc = K, N
	}
	xr, xc := K, M
	if tx {
		xr, xc = M, K
	}
	view := func(p uintptr, n int) kernels.Buf[T] {
		return kernels.HostBuf(unsafe.Slice((*T)(emuPtr(p)), n))
	}
	cpu.GemmStridedBatched(ty, tx, N, M, K, T(alpha), view(y, extent(yr, yc, ldy, sy)), ldy, sy,
		view(x, extent(xr, xc, ldx, sx)), ldx, sx, T(beta), view(c, extent(N, M, ldc, sc)), ldc, sc, batch)
}

func (b *emuBackend) record(stop bool) error {
	if err := b.current(); err != nil {
		return err
	}
	if stop {
		b.stop = time.Now()
	} else {
		b.start = time.Now()
	}
	return nil
}

func (b *emuBackend) elapsed() (float64, error) {
	return float64(b.stop.Sub(b.start).Nanoseconds()) / 1e6, nil
}

func (b *emuBackend) bind() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if tid := osThread(); tid >= 0 {
		b.threads[tid] = true
	}
	return nil
}

func (b *emuBackend) close() error { return nil }
