//go:build cuda

package cuda

import (
	_ "embed"
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

//go:embed kernels.fatbin
var fatbin []byte

// kernelFn is a kernel of the loaded module.
type kernelFn = cu.Function

// backend is the GPU driver of a Device.
type backend = cuBackend

// emulated is false: kernels run on a GPU.
const emulated = false

// cuBackend drives one GPU: its primary context, one non-blocking stream, the loaded fatbin,
// a cuBLAS handle on the stream and two events for timing. Every call is queued on the stream
// (except synchronize, and dtoh, whose destination the caller must not read before it).
type cuBackend struct {
	gpu         cu.Device
	ctx         cu.CUContext
	retained    bool
	stream      cu.Stream
	mod         cu.Module
	blas        *cublasLib
	handle      uintptr
	start, stop cu.Event
}

// open retains GPU opts.Ordinal's primary context and makes it current on the calling thread
// (the caller has locked it), then makes the stream, loads the kernels and opens cuBLAS. It
// returns a description of the GPU and its number of multiprocessors.
func (b *cuBackend) open(opts Options, f64 bool) (desc string, sms int, err error) {
	n, err := cu.NumDevices()
	if err != nil {
		return "", 0, fmt.Errorf("cuda: counting GPUs: %w", err)
	}
	if opts.Ordinal < 0 || opts.Ordinal >= n {
		return "", 0, fmt.Errorf("cuda: no GPU %d (%d visible)", opts.Ordinal, n)
	}
	if b.gpu, err = cu.GetDevice(opts.Ordinal); err != nil {
		return "", 0, fmt.Errorf("cuda: GPU %d: %w", opts.Ordinal, err)
	}
	if b.ctx, err = b.gpu.RetainPrimaryCtx(); err != nil {
		return "", 0, fmt.Errorf("cuda: retaining the primary context of GPU %d: %w", opts.Ordinal, err)
	}
	b.retained = true
	if err = cu.SetCurrentContext(b.ctx); err != nil {
		return "", 0, fmt.Errorf("cuda: making the context current: %w", err)
	}
	if b.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return "", 0, fmt.Errorf("cuda: creating a stream: %w", err)
	}
	if b.mod, err = cu.LoadData(string(fatbin)); err != nil {
		return "", 0, fmt.Errorf("cuda: loading the kernels (%s): %w", fatbinBuiltWith, err)
	}
	if b.blas, err = openCublas(opts.CUBLAS); err != nil {
		return "", 0, err
	}
	var blasVersion int
	if b.handle, blasVersion, err = b.blas.newHandle(b.stream, opts.TF32); err != nil {
		return "", 0, err
	}
	if b.start, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return "", 0, fmt.Errorf("cuda: creating an event: %w", err)
	}
	if b.stop, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return "", 0, fmt.Errorf("cuda: creating an event: %w", err)
	}
	if sms, err = b.gpu.Attribute(cu.MultiprocessorCount); err != nil {
		return "", 0, fmt.Errorf("cuda: GPU attributes: %w", err)
	}
	major, _ := b.gpu.Attribute(cu.ComputeCapabilityMajor)
	minor, _ := b.gpu.Attribute(cu.ComputeCapabilityMinor)
	name, _ := b.gpu.Name()
	mode := "strict FP32"
	if opts.TF32 {
		mode = "TF32 GEMMs"
	}
	if f64 {
		mode = "FP64"
	}
	drv := cu.Version()
	desc = fmt.Sprintf("%s, sm_%d%d, %d SMs; driver %d.%d; cuBLAS %d.%d.%d from %s; %s",
		name, major, minor, sms, drv/1000, drv%1000/10,
		blasVersion/10000, blasVersion%10000/100, blasVersion%100, b.blas.path, mode)
	return desc, sms, nil
}

func (b *cuBackend) function(name string) (kernelFn, error) { return b.mod.Function(name) }

func (b *cuBackend) launch(fn kernelFn, gx, gy, bx, by int, args []unsafe.Pointer) error {
	return fn.Launch(gx, gy, 1, bx, by, 1, 0, b.stream, args)
}

func (b *cuBackend) alloc(n int64) (uintptr, error) {
	p, err := cu.MemAlloc(n)
	return uintptr(p), err
}

func (b *cuBackend) free(p uintptr) error { return cu.MemFree(cu.DevicePtr(p)) }

// memset zeroes n bytes.
func (b *cuBackend) memset(p uintptr, n int64) error {
	return cu.MemsetD8Async(cu.DevicePtr(p), 0, n, b.stream)
}

// htod copies n bytes from the host. The driver stages pageable host memory before it returns,
// so src may be reused at once.
func (b *cuBackend) htod(dst uintptr, src unsafe.Pointer, n int64) error {
	return cu.MemcpyHtoDAsync(cu.DevicePtr(dst), src, n, b.stream)
}

func (b *cuBackend) dtoh(dst unsafe.Pointer, src uintptr, n int64) error {
	return cu.MemcpyDtoHAsync(dst, cu.DevicePtr(src), n, b.stream)
}

func (b *cuBackend) dtod(dst, src uintptr, n int64) error {
	return cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(src), n, b.stream)
}

func (b *cuBackend) synchronize() error { return b.stream.Synchronize() }

func (b *cuBackend) hostMapped(n int) (unsafe.Pointer, uintptr, error) {
	m, err := allocHostMapped(n)
	return m.host, m.dev, err
}

func (b *cuBackend) freeHostMapped(host unsafe.Pointer) error { return hostMem{host: host}.free() }

// gemm is cuBLAS's column-major (strided batched when batch > 1) GEMM.
func (b *cuBackend) gemm(f64, ta, tb bool, m, n, k int, alpha float64, a uintptr, lda, sa int, bp uintptr, ldb, sb int,
	beta float64, c uintptr, ldc, sc, batch int) error {
	if st := b.blas.gemm(f64, b.handle, ta, tb, m, n, k, alpha, a, lda, sa, bp, ldb, sb, beta, c, ldc, sc, batch); st != 0 {
		return fmt.Errorf("cuBLAS: %s", cublasStatus(st))
	}
	return nil
}

// record queues the start (stop = false) or stop event.
func (b *cuBackend) record(stop bool) error {
	if stop {
		return b.stop.Record(b.stream)
	}
	return b.start.Record(b.stream)
}

// elapsed is the time between the recorded events, once both have happened.
func (b *cuBackend) elapsed() (float64, error) { return b.start.Elapsed(b.stop) }

// bind makes the context current on the calling thread.
func (b *cuBackend) bind() error {
	if err := cu.SetCurrentContext(b.ctx); err != nil {
		return fmt.Errorf("cuda: making the context current: %w", err)
	}
	return nil
}

// close releases what open acquired, in reverse, tolerating a partial open.
func (b *cuBackend) close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if b.handle != 0 {
		keep(b.blas.destroy(b.handle))
		b.handle = 0
	}
	if b.start != (cu.Event{}) {
		keep(cu.DestroyEvent(&b.start))
	}
	if b.stop != (cu.Event{}) {
		keep(cu.DestroyEvent(&b.stop))
	}
	if b.mod != (cu.Module{}) {
		keep(b.mod.Unload())
		b.mod = cu.Module{}
	}
	if b.stream != (cu.Stream{}) {
		keep(b.stream.Destroy())
		b.stream = cu.Stream{}
	}
	if b.retained {
		keep(b.gpu.ReleasePrimaryCtx())
		b.retained = false
	}
	return first
}
