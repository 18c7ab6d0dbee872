package kernels

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumGemm is the pure-Go backend: always available (no cgo, no shared library), several
// times slower than OpenBLAS on large products. gonum's Level 3 routines are row-major, like
// this package.
//
// gonum's own Sgemm starts a goroutine per 64×64 block of C once C has four or more blocks,
// which allocates on every call. This backend instead cuts C into tiles of at most
// gemmTileM×gemmTileN (one gonum block, so gonum runs its serial kernel, which allocates
// nothing) and the shared dimension into slices of gemmTileK, and spreads the tiles over the
// device's worker pool: a product allocates nothing, and runs on as many cores as the pool has.
type gonumGemm struct {
	pool *Pool // the device's pool; nil runs every tile on the calling goroutine
	s    gemmTiles[float32]
	d    gemmTiles[float64]
}

// Tile sizes: gemmTileM and gemmTileN must not exceed gonum's 64 (its block size), so that a
// tile is one block and gonum never goes parallel. gemmTileK bounds the panels of A and B that
// one call streams through, so that they stay in cache.
const (
	gemmTileM = 64
	gemmTileN = 64
	gemmTileK = 256
)

func newGonumGemm() *gonumGemm { return &gonumGemm{} }

func (*gonumGemm) name() string { return "pure Go (gonum)" }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func (g *gonumGemm) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.s.run(g.pool, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (g *gonumGemm) dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	g.d.run(g.pool, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmTiles is one product in flight: the pool's Task over the tiles of C, kept in the backend
// so that dispatch allocates nothing. A backend runs one product at a time, like its device.
type gemmTiles[T float32 | float64] struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a, b, c        []T
	lda, ldb, ldc  int
	tilesN         int // tiles across a row of C
}

func (t *gemmTiles[T]) run(pool *Pool, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	*t = gemmTiles[T]{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, tilesN: (n + gemmTileN - 1) / gemmTileN}
	tiles := (m + gemmTileM - 1) / gemmTileM * t.tilesN
	if pool == nil {
		t.Run(0, tiles)
	} else {
		pool.Run(t, tiles, 1)
	}
	t.a, t.b, t.c = nil, nil, nil // do not keep the caller's buffers alive
}

// Run computes the tiles [lo, hi) of C, each as a sum over slices of the shared dimension: the
// first slice applies beta, the others add to it.
func (t *gemmTiles[T]) Run(lo, hi int) {
	for tile := lo; tile < hi; tile++ {
		i, j := tile/t.tilesN*gemmTileM, tile%t.tilesN*gemmTileN
		mt, nt := min(gemmTileM, t.m-i), min(gemmTileN, t.n-j)
		c := t.c[i*t.ldc+j:]
		beta := t.beta
		for p := 0; p < t.k; p += gemmTileK {
			kt := min(gemmTileK, t.k-p)
			// Rows i.. of op(A) and columns j.. of op(B), from element p of the shared
			// dimension.
			ao, bo := i*t.lda+p, p*t.ldb+j
			if t.transA {
				ao = p*t.lda + i
			}
			if t.transB {
				bo = j*t.ldb + p
			}
			serialGemm(t.transA, t.transB, mt, nt, kt, t.alpha, t.a[ao:], t.lda, t.b[bo:], t.ldb, beta, c, t.ldc)
			beta = 1
		}
	}
}

// serialGemm calls gonum on a product of one block, which it computes serially. The slices
// are reinterpreted rather than type-switched, so that no interface conversion allocates.
func serialGemm[T float32 | float64](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	var z T
	if unsafe.Sizeof(z) == 4 {
		gonum.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, float32(alpha), asF32(a), lda,
			asF32(b), ldb, float32(beta), asF32(c), ldc)
	} else {
		gonum.Implementation{}.Dgemm(trans(transA), trans(transB), m, n, k, float64(alpha), asF64(a), lda,
			asF64(b), ldb, float64(beta), asF64(c), ldc)
	}
}

// gonumParallelGemm is gonum's own Sgemm/Dgemm, goroutine per block; kept for products too
// large for OpenBLAS's 32-bit sizes (where a few allocations do not matter) and as the baseline
// of BenchmarkSgemm.
type gonumParallelGemm struct{}

func (gonumParallelGemm) name() string { return "gonum parallel" }

func (gonumParallelGemm) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (gonumParallelGemm) dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonum.Implementation{}.Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
