package kernels

import "fmt"

// gemmBackend is the CPU GEMM implementation: OpenBLAS opened at run time, or pure Go.
// PLACEHOLDER: replaced by the OpenBLAS/gonum backends.
type gemmBackend interface {
	name() string
	sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
}

func openGemmBackend(which string) (gemmBackend, error) {
	switch which {
	case "", "auto", "go":
		return naiveGemm{}, nil
	}
	return nil, fmt.Errorf("kernels: unknown BLAS backend %q", which)
}

type naiveGemm struct{}

func (naiveGemm) name() string { return "naive" }
func (naiveGemm) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
func (naiveGemm) dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	GemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmRef is the readable reference GEMM (row-major, see BLAS.Gemm).
func GemmRef[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if transA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if transB {
					bv = b[j*ldb+p]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

func (d *CPU[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda int, b Buf[T], ldb int, beta T, c Buf[T], ldc int) {
	switch c := any(c.Host()).(type) {
	case []float32:
		d.gemm.sgemm(transA, transB, m, n, k, float32(alpha), any(a.Host()).([]float32), lda, any(b.Host()).([]float32), ldb, float32(beta), c, ldc)
	case []float64:
		d.gemm.dgemm(transA, transB, m, n, k, float64(alpha), any(a.Host()).([]float64), lda, any(b.Host()).([]float64), ldb, float64(beta), c, ldc)
	}
}

func (d *CPU[T]) GemmStridedBatched(transA, transB bool, m, n, k int, alpha T, a Buf[T], lda, strideA int, b Buf[T], ldb, strideB int, beta T, c Buf[T], ldc, strideC int, batch int) {
	for i := 0; i < batch; i++ {
		d.Gemm(transA, transB, m, n, k, alpha, a.Slice(i*strideA, a.Len()), lda, b.Slice(i*strideB, b.Len()), ldb, beta, c.Slice(i*strideC, c.Len()), ldc)
	}
}
