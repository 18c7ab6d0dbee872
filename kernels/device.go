package kernels

// Bind makes dev usable from the calling goroutine. A device tied to the OS thread that opened
// it (the CUDA device: its context is current on that thread and on those that called its
// Bind method) is bound: the goroutine is locked to its thread and the context made current
// there. Other devices need nothing. Call it first in any goroutine that uses a device it did
// not open.
func Bind[T Float](dev Device[T]) error {
	if b, ok := dev.(interface{ Bind() error }); ok {
		return b.Bind()
	}
	return nil
}

// Device is everything model code may ask of a processor: memory, BLAS, and fused kernels.
// Model code (nn, sru, lstm, tasks) is written once against this interface and runs on the CPU
// device here or on the CUDA device (kernels/cuda) unchanged.
//
// Conventions for every kernel:
//   - matrices are row-major; a [R, C] argument is R·C contiguous elements unless a leading
//     dimension is given;
//   - the buffer being written comes first;
//   - "accumulate" kernels add into their output (gradients accumulate), the others overwrite;
//   - an optional buffer argument is the zero Buf (IsNil) when absent;
//   - kernels are asynchronous on GPU devices: Download, the host-valued reductions and Sync
//     wait for queued work. A device is used from one goroutine at a time (like a CUDA stream).
//
// Kernel failures on a GPU are sticky: the first error is kept and returned by Sync.
type Device[T Float] interface {
	// Name says which device and backend this is, e.g. "cpu (openblas 0.3.21, 2 threads)".
	Name() string
	// Alloc returns n zeroed elements of device memory.
	Alloc(n int) Buf[T]
	// Free returns memory from Alloc to the device (a no-op on the CPU).
	Free(b Buf[T])
	AllocInts(n int) Ints
	FreeInts(b Ints)
	// Upload copies host data into device memory; Download the reverse. Lengths must match.
	Upload(dst Buf[T], src []T)
	Download(dst []T, src Buf[T])
	UploadInts(dst Ints, src []int32)
	DownloadInts(dst []int32, src Ints)
	// Sync waits for queued work and returns the first error a kernel reported.
	Sync() error
	// Close waits for queued work and releases what the device holds (worker goroutines, GPU
	// memory and context); the device and its buffers must not be used after.
	Close() error

	BLAS[T]
	Elementwise[T]
	SRUKernels[T]
	LSTMKernels[T]
	NNKernels[T]
	SeqKernels[T]
	CTCKernels[T]
}

// BLAS is the matrix-product part of a Device.
type BLAS[T Float] interface {
	// Gemm computes C = alpha·op(A)·op(B) + beta·C with op(A) [m, k], op(B) [k, n], C [m, n],
	// row-major with leading dimensions lda, ldb, ldc. transA means A is stored [k, m].
	Gemm(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda int, b Buf[T], ldb int,
		beta T, c Buf[T], ldc int)
	// GemmStridedBatched runs batch independent Gemms; matrix i of A starts at i·strideA, etc.
	GemmStridedBatched(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda, strideA int,
		b Buf[T], ldb, strideB int, beta T, c Buf[T], ldc, strideC int, batch int)
}
