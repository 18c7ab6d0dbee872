package kernels

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// gemmBackend is the CPU GEMM implementation: OpenBLAS opened at run time (blas_openblas.go)
// or pure Go (blas_gonum.go). Arguments follow BLAS.Gemm over host slices; callers have
// validated them and handled the empty cases, so backends may index a[0], b[0], c[0].
type gemmBackend interface {
	name() string
	sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
}

// openGemmBackend picks the GEMM backend: "auto" (OpenBLAS if it opens, else pure Go),
// "openblas" (an error if it cannot be opened) or "go". An empty which defers to the SRU_BLAS
// environment variable, so a binary can be switched without code changes.
func openGemmBackend(which string) (gemmBackend, error) {
	if which == "" {
		which = os.Getenv("SRU_BLAS")
	}
	switch which {
	case "", "auto":
		if gb, err := openOpenBLAS(); err == nil {
			return gb, nil
		}
		return newGonumGemm(), nil
	case "openblas":
		return openOpenBLAS()
	case "go":
		return newGonumGemm(), nil
	}
	return nil, fmt.Errorf("kernels: unknown BLAS backend %q (want auto, openblas or go)", which)
}

var (
	openblasOnce sync.Once
	openblasLib  gemmBackend
	openblasErr  error
)

// openOpenBLAS opens the library once per process: its thread pool and thread count are
// process-wide, so every CPU device shares one.
func openOpenBLAS() (gemmBackend, error) {
	openblasOnce.Do(func() { openblasLib, openblasErr = loadOpenBLAS() })
	return openblasLib, openblasErr
}

// GemmRef is the readable reference GEMM (row-major, see BLAS.Gemm).
func GemmRef[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				// Index only the element op() selects: the other one may lie past the end.
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				s += a[ai] * b[bi]
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// checkMatrix panics unless buf can hold a rows×cols row-major matrix with leading dimension
// ld. The last row needs only cols elements, as in BLAS.
func checkMatrix(what string, buf, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: Gemm: ld%s = %d is less than its %d columns", what, ld, cols))
	}
	if rows > 0 && cols > 0 && buf < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: Gemm: %s has %d elements, a %dx%d matrix with ld %d needs %d",
			what, buf, rows, cols, ld, (rows-1)*ld+cols))
	}
}

func (d *CPU[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda int, b Buf[T], ldb int, beta T, c Buf[T], ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	checkMatrix("A", a.Len(), ra, ca, lda)
	checkMatrix("B", b.Len(), rb, cb, ldb)
	checkMatrix("C", c.Len(), m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	ch := c.Host()
	if k == 0 || alpha == 0 {
		// No product to form: C = beta·C. Done here so that backends never see empty A or B.
		for i := 0; i < m; i++ {
			row := ch[i*ldc : i*ldc+n]
			if beta == 0 { // BLAS semantics: C is not read, so NaNs in it do not survive
				clear(row)
			} else if beta != 1 {
				for j := range row {
					row[j] *= beta
				}
			}
		}
		return
	}
	// Reinterpret rather than type-switch on []T: no interface conversion (which could
	// allocate), and named element types (~float32) work too.
	var z T
	if unsafe.Sizeof(z) == 4 { // not sizeOf: its type switch misses named types
		d.gemm.sgemm(transA, transB, m, n, k, float32(alpha), asF32(a.Host()), lda,
			asF32(b.Host()), ldb, float32(beta), asF32(ch), ldc)
	} else {
		d.gemm.dgemm(transA, transB, m, n, k, float64(alpha), asF64(a.Host()), lda,
			asF64(b.Host()), ldb, float64(beta), asF64(ch), ldc)
	}
}

func asF32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func asF64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func (d *CPU[T]) GemmStridedBatched(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda, strideA int, b Buf[T], ldb, strideB int, beta T, c Buf[T], ldc, strideC int, batch int) {
	if m < 0 || n < 0 || k < 0 || batch < 0 {
		panic(fmt.Sprintf("kernels: GemmStridedBatched: negative size m=%d n=%d k=%d batch=%d", m, n, k, batch))
	}
	if m == 0 || n == 0 {
		return // nothing to write
	}
	// Sub-views run to the end of each buffer; Gemm checks that each matrix fits in its view.
	// With k = 0 (C = beta·C) A and B are not read: they may be empty operands whose matrices
	// start past their end, as those of an empty time-major [0, B, D] tensor do (stride D).
	view := func(x Buf[T], i, stride int) Buf[T] {
		if k == 0 {
			return Buf[T]{}
		}
		return x.Slice(i*stride, x.Len())
	}
	for i := 0; i < batch; i++ {
		d.Gemm(transA, transB, m, n, k, alpha, view(a, i, strideA), lda, view(b, i, strideB), ldb, beta,
			c.Slice(i*strideC, c.Len()), ldc)
	}
}
