package cuda

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// Argument checks of the CUDA device that package kernels does not export: those of the
// elementwise and BLAS kernels, and the CUDA-only limits. The nn, LSTM and SRU kernels call
// the shared kernels.Check functions instead. A programmer error panics on the calling
// goroutine before anything is queued, with the same kind of message as on the CPU device.

func sameLen[T kernels.Float](what string, bufs ...kernels.Buf[T]) {
	for _, b := range bufs[1:] {
		if b.Len() != bufs[0].Len() {
			panic(fmt.Sprintf("cuda: %s of buffers of lengths %d and %d", what, bufs[0].Len(), b.Len()))
		}
	}
}

// check2D panics unless a rows×cols block with leading dimension ld fits in b.
func check2D[T kernels.Float](what string, rows, cols int, b kernels.Buf[T], ld int) {
	if rows < 0 || cols < 0 || ld < cols {
		panic(fmt.Sprintf("cuda: %s of %d×%d with leading dimension %d", what, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && (rows-1)*ld+cols > b.Len() {
		panic(fmt.Sprintf("cuda: %s of %d×%d (ld %d) in a buffer of length %d", what, rows, cols, ld, b.Len()))
	}
}

// checkMatrix panics unless a buffer of n elements holds a rows×cols row-major matrix with
// leading dimension ld (the last row needs only cols elements, as in BLAS).
func checkMatrix(what string, n, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("cuda: Gemm: ld%s = %d is less than its %d columns", what, ld, cols))
	}
	if rows > 0 && cols > 0 && n < (rows-1)*ld+cols {
		panic(fmt.Sprintf("cuda: Gemm: %s has %d elements, a %dx%d matrix with ld %d needs %d",
			what, n, rows, cols, ld, (rows-1)*ld+cols))
	}
}

// checkGemm validates a (batched) GEMM: matrix i of X starts at i·strideX and must fit.
func checkGemm(transA, transB bool, m, n, k, lenA, lda, strideA, lenB, ldb, strideB, lenC, ldc, strideC, batch int) {
	if m < 0 || n < 0 || k < 0 || batch < 0 {
		panic(fmt.Sprintf("cuda: Gemm: negative size m=%d n=%d k=%d batch=%d", m, n, k, batch))
	}
	const maxInt32 = 1<<31 - 1
	if m > maxInt32 || n > maxInt32 || k > maxInt32 || lda > maxInt32 || ldb > maxInt32 || ldc > maxInt32 {
		panic(fmt.Sprintf("cuda: Gemm: m=%d n=%d k=%d lda=%d ldb=%d ldc=%d exceed cuBLAS's int range", m, n, k, lda, ldb, ldc))
	}
	if strideA < 0 || strideB < 0 || strideC < 0 {
		panic(fmt.Sprintf("cuda: GemmStridedBatched: negative stride %d, %d, %d", strideA, strideB, strideC))
	}
	if batch == 0 {
		return // nothing is read or written
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	last := batch - 1
	checkMatrix("A", lenA-last*strideA, ra, ca, lda)
	checkMatrix("B", lenB-last*strideB, rb, cb, ldb)
	checkMatrix("C", lenC-last*strideC, m, n, ldc)
}
