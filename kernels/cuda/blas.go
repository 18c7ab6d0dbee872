//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// GEMM through cuBLAS. cuBLAS is column-major; a row-major matrix is the column-major view of
// its transpose, so the row-major C = op(A)·op(B) is computed as the column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ: the same call with A and B swapped and m and n swapped, and the same
// transpose flags and leading dimensions.

func (d *Device[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a kernels.Buf[T], lda int, b kernels.Buf[T],
	ldb int, beta T, c kernels.Buf[T], ldc int) {
	checkGemm(transA, transB, m, n, k, a.Len(), lda, 0, b.Len(), ldb, 0, c.Len(), ldc, 0, 1)
	d.gemm(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)
}

func (d *Device[T]) GemmStridedBatched(transA, transB bool, m, n, k int, alpha T, a kernels.Buf[T], lda, strideA int,
	b kernels.Buf[T], ldb, strideB int, beta T, c kernels.Buf[T], ldc, strideC int, batch int) {
	checkGemm(transA, transB, m, n, k, a.Len(), lda, strideA, b.Len(), ldb, strideB, c.Len(), ldc, strideC, batch)
	d.gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

func (d *Device[T]) gemm(transA, transB bool, m, n, k int, alpha T, a kernels.Buf[T], lda, sa int, b kernels.Buf[T],
	ldb, sb int, beta T, c kernels.Buf[T], ldc, sc int, batch int) {
	if m == 0 || n == 0 || batch == 0 || d.err != nil {
		return
	}
	cp := devPtr(c)
	if k == 0 || alpha == 0 {
		// No product: C = beta·C, done here so that cuBLAS never sees empty A or B, and so that
		// beta = 0 clears C without reading it.
		if beta == 1 {
			return
		}
		for i := 0; i < batch; i++ {
			d.a().i(m).i(n).f(float64(beta), d.f64).ptr(cp + uint64(i*sc)*uint64(elemSize[T]())).i(ldc)
			d.flat(&d.k.scale2d, m*n)
		}
		return
	}
	err := d.be.gemm(d.f64, transB, transA, n, m, k, float64(alpha), uintptr(devPtr(b)), ldb, sb,
		uintptr(devPtr(a)), lda, sa, float64(beta), uintptr(cp), ldc, sc, batch)
	if err != nil {
		d.fail(fmt.Errorf("cuda: GEMM (m=%d n=%d k=%d batch=%d, transA=%v transB=%v): %w",
			m, n, k, batch, transA, transB, err))
		return
	}
	d.last = "cuBLAS GEMM"
	if d.opts.SyncEveryLaunch {
		d.syncStream()
	}
}
