package kernels

import "fmt"

// CPUOptions configure a CPU device.
type CPUOptions struct {
	// Workers is the number of goroutines of the kernel pool (0: GOMAXPROCS).
	Workers int
	// BLAS picks the GEMM backend: "auto" (OpenBLAS when it can be opened, else pure Go),
	// "openblas" (an error when it cannot be opened) or "go".
	BLAS string
}

// CPU is the Device on the host processor. Its kernels are generic over float32 and float64
// (float64 is for exact tests), parallel over independent columns on a fixed worker pool, and
// allocate nothing per call in steady state. GEMM goes through OpenBLAS when it is present,
// else through a pure-Go implementation; Name says which.
type CPU[T Float] struct {
	pool *Pool
	gemm gemmBackend

	// Task structs of the parallel kernels, kept here so that dispatch allocates nothing.
	sruFwd sruForwardTask[T]
	sruBwd sruBackwardTask[T]

	// elementwise and nn kernels (cpu_elementwise.go, cpu_nn.go)
	ew      ewTask[T]
	ew2d    ew2DTask[T]
	red     reduceTask[T]
	ln      layerNormTask[T]
	lnParam layerNormParamTask[T]
	lsm     logSoftmaxTask[T]
	ce      crossEntropyTask[T]
	gather  gatherTask[T]
	ot      overTimeTask[T]
	opt     optimTask[T]

	lstmFwd lstmForwardTask[T]
	lstmBwd lstmBackwardTask[T]

	seq seqTask[T] // attention kernels (cpu_seq.go)
	ctc ctcTask[T] // cpu_ctc.go
}

// NewCPU makes a CPU device.
func NewCPU[T Float](opts CPUOptions) (*CPU[T], error) {
	gb, err := openGemmBackend(opts.BLAS)
	if err != nil {
		return nil, err
	}
	pool := NewPool(opts.Workers)
	if g, ok := gb.(*gonumGemm); ok {
		g.pool = pool // the pure-Go GEMM spreads its tiles over the device's workers
	}
	return &CPU[T]{pool: pool, gemm: gb}, nil
}

// MustCPU is NewCPU with the default options ("auto" BLAS); it cannot fail.
func MustCPU[T Float]() *CPU[T] {
	d, err := NewCPU[T](CPUOptions{})
	if err != nil {
		panic(err)
	}
	return d
}

// Name says which backend this device uses.
func (d *CPU[T]) Name() string {
	var z T
	kern := "go kernels"
	if useVec[T]() {
		kern = vecLevel.String() + " kernels"
	}
	return fmt.Sprintf("cpu %T (%s, %d workers, %s)", z, d.gemm.name(), d.pool.Workers(), kern)
}

// Pool is the device's worker pool.
func (d *CPU[T]) Pool() *Pool { return d.pool }

// Close stops the device's worker pool; the device must not be used after.
func (d *CPU[T]) Close() error {
	d.pool.Close()
	return nil
}

func (d *CPU[T]) Alloc(n int) Buf[T] { return HostBuf(make([]T, n)) }
func (d *CPU[T]) Free(Buf[T])        {}
func (d *CPU[T]) AllocInts(n int) Ints {
	return HostInts(make([]int32, n))
}
func (d *CPU[T]) FreeInts(Ints) {}

func (d *CPU[T]) Upload(dst Buf[T], src []T) {
	if dst.Len() != len(src) {
		panic(fmt.Sprintf("kernels: Upload of %d elements into %d", len(src), dst.Len()))
	}
	copy(dst.Host(), src)
}

func (d *CPU[T]) Download(dst []T, src Buf[T]) {
	if src.Len() != len(dst) {
		panic(fmt.Sprintf("kernels: Download of %d elements into %d", src.Len(), len(dst)))
	}
	copy(dst, src.Host())
}

func (d *CPU[T]) UploadInts(dst Ints, src []int32) {
	if dst.Len() != len(src) {
		panic(fmt.Sprintf("kernels: UploadInts of %d elements into %d", len(src), dst.Len()))
	}
	copy(dst.Host(), src)
}

func (d *CPU[T]) DownloadInts(dst []int32, src Ints) {
	if src.Len() != len(dst) {
		panic(fmt.Sprintf("kernels: DownloadInts of %d elements into %d", src.Len(), len(dst)))
	}
	copy(dst, src.Host())
}

// Sync has nothing to wait for on the CPU, and CPU kernels do not fail.
func (d *CPU[T]) Sync() error { return nil }
