//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func TestGemm(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testGemm(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testGemm(t, g64) })
}

func testGemm[T kernels.Float](t *testing.T, gpu *Device[T]) {
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {33, 17, 65}, {128, 96, 256}, {257, 129, 31}, {5, 300, 0}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float64{{1, 0}, {0.5, 1}, {-2, 0.25}, {0, 3}} {
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, ta, tb, ab[0], ab[1])
					t.Run(name, func(t *testing.T) {
						h := newHarness(t, gpu, uint64(m*n+k))
						ra, ca := m, k
						if ta {
							ra, ca = k, m
						}
						rb, cb := k, n
						if tb {
							rb, cb = n, k
						}
						lda, ldb, ldc := ca+2, cb+1, n+3
						a := h.randn("A", max(0, (ra-1)*lda+ca))
						b := h.randn("B", max(0, (rb-1)*ldb+cb))
						c := h.randn("C", (m-1)*ldc+n)
						if ab[1] == 0 { // beta = 0 must not read C: NaNs there must not survive
							host := make([]T, c.cpu.Len())
							for i := range host {
								host[i] = T(math.NaN())
							}
							copy(c.cpu.Host(), host)
							gpu.Upload(c.gpu, host)
						}
						h.both(func(d kernels.Device[T], g bool) {
							d.Gemm(ta, tb, m, n, k, T(ab[0]), a.on(g), lda, b.on(g), ldb, T(ab[1]), c.on(g), ldc)
						})
						atol, rtol := tol[T]()
						h.check(atol*float64(k+1)*4, rtol*10)
					})
				}
			}
		}
	}
}

func TestGemmStridedBatched(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testGemmBatched(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testGemmBatched(t, g64) })
}

func testGemmBatched[T kernels.Float](t *testing.T, gpu *Device[T]) {
	m, n, k, batch := 17, 33, 9, 5
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			h := newHarness(t, gpu, 3)
			lda, ldb, ldc := max(k, m)+1, max(n, k)+2, n+1
			sa, sb, sc := lda*max(m, k)+3, ldb*max(n, k)+1, ldc*m+5
			a := h.randn("A", sa*batch)
			b := h.randn("B", sb*batch)
			c := h.randn("C", sc*batch)
			h.both(func(d kernels.Device[T], g bool) {
				d.GemmStridedBatched(ta, tb, m, n, k, 1.5, a.on(g), lda, sa, b.on(g), ldb, sb, 0.5, c.on(g), ldc, sc, batch)
			})
			atol, rtol := tol[T]()
			h.check(atol*float64(k+1)*4, rtol*10)
		}
	}
}

// TestGemmTF32 checks that the TF32 option gives TF32 accuracy (about 1e-3 relative), not
// garbage, on a device of its own.
func TestGemmTF32(t *testing.T) {
	if emulated {
		t.Skip("the emulator computes SGEMM in full float32 and ignores the TF32 option, so this " +
			"test could not fail here; it runs on a GPU (scripts/gpu_check.sh)")
	}
	devices(t)
	d, err := Open[float32](Options{TF32: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	h := newHarness(t, d, 5)
	m, n, k := 256, 128, 512
	a, b, c := h.randn("A", m*k), h.randn("B", k*n), h.randn("C", m*n)
	h.both(func(dev kernels.Device[float32], g bool) {
		dev.Gemm(false, false, m, n, k, 1, a.on(g), k, b.on(g), n, 0, c.on(g), n)
	})
	h.check(0.05*math.Sqrt(float64(k)), 1e-2)
	h.release()
}
