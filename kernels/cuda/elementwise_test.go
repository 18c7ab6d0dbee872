//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// Sizes that exercise one partial block, several blocks and the grid-stride loop (1155 =
// 3·5·7·11 gives MulCyclic a mask period that is neither 1 nor n).
var flatSizes = []int{1, 31, 257, 1155, 4099, 1 << 20}

// period is the largest divisor of n up to n/2 (n itself for a prime): the mask length of a
// [L, B, D] sequence with a [B, D] mask.
func period(n int) int {
	for p := n / 2; p >= 2; p-- {
		if n%p == 0 {
			return p
		}
	}
	return n
}

func TestElementwise(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testElementwise(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testElementwise(t, g64) })
}

func testElementwise[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, n := range flatSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h := newHarness(t, gpu, uint64(n))
			dst := h.randn("dst", n)
			a, b := h.randn("a", n), h.randn("b", n)
			pos := h.uniform("pos", n, 0.01, 1) // sigmoid/tanh-ranged outputs for the backward
			m := h.randn("m", period(n))
			h.both(func(d kernels.Device[T], g bool) {
				d.Fill(dst.on(g), 0.5)
				d.Axpy(dst.on(g), -1.25, a.on(g))
				d.Scale(dst.on(g), 3)
				d.Add(dst.on(g), dst.on(g), b.on(g))
				d.Mul(dst.on(g), dst.on(g), a.on(g), false)
				d.Mul(dst.on(g), a.on(g), b.on(g), true)
				d.MulCyclic(dst.on(g), dst.on(g), m.on(g), false)
				d.MulCyclic(dst.on(g), a.on(g), m.on(g), true)
			})
			h.check(atol, rtol)
			for _, act := range []kernels.Act{kernels.Identity, kernels.Sigmoid, kernels.Tanh, kernels.ReLU} {
				y, dx := h.randn("y", n), h.randn("dx", n)
				h.both(func(d kernels.Device[T], g bool) {
					d.Activate(act, y.on(g), a.on(g))
					d.ActivateBackward(act, dx.on(g), pos.on(g), b.on(g))
					d.ActivateBackward(act, dx.on(g), y.on(g), b.on(g))
				})
				h.check(atol, rtol)
			}
			// Copies are exact (a harness of its own: the results above differ in the last bits).
			h2 := newHarness(t, gpu, uint64(n)+1)
			src, c, z := h2.randn("src", n), h2.randn("copy", n), h2.randn("zero", n)
			h2.both(func(d kernels.Device[T], g bool) {
				d.Copy(c.on(g), src.on(g))
				d.Fill(z.on(g), 0)
			})
			h2.check(0, 0)
		})
	}
}

func TestElementwise2D(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testElementwise2D(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testElementwise2D(t, g64) })
}

func testElementwise2D[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range [][2]int{{1, 1}, {3, 5}, {17, 33}, {130, 257}, {1000, 3}, {4096, 512}} {
		rows, cols := s[0], s[1]
		t.Run(shapeName(rows, cols), func(t *testing.T) {
			h := newHarness(t, gpu, uint64(rows*cols))
			ldd, lds := cols+3, cols+1
			dst := h.randn("dst", (rows-1)*ldd+cols)
			src := h.randn("src", (rows-1)*lds+cols)
			h.both(func(d kernels.Device[T], g bool) {
				d.Copy2D(rows, cols, dst.on(g), ldd, src.on(g), lds)
				d.Axpy2D(rows, cols, 0.75, dst.on(g), ldd, src.on(g), lds)
			})
			h.check(atol, rtol)

			m := h.randn("m", rows*cols)
			bias := h.randn("bias", cols)
			sums := h.randn("sums", cols)
			h.both(func(d kernels.Device[T], g bool) {
				d.AddBias(m.on(g), bias.on(g))
				d.SumRows(sums.on(g), m.on(g))
			})
			// A column sum of rows terms: its rounding grows with rows.
			h.check(atol*float64(rows), rtol*10)
		})
	}
}

func TestReductions(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testReductions(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testReductions(t, g64) })
}

func testReductions[T kernels.Float](t *testing.T, gpu *Device[T]) {
	for _, n := range append([]int{0}, flatSizes...) {
		h := newHarness(t, gpu, uint64(n)+7)
		x := h.randn("x", n)
		var got, want [2]float64
		h.both(func(d kernels.Device[T], g bool) {
			s, q := d.Sum(x.on(g)), d.SumSquares(x.on(g))
			if g {
				got = [2]float64{s, q}
			} else {
				want = [2]float64{s, q}
			}
		})
		for i, what := range []string{"Sum", "SumSquares"} {
			// Both sum in float64; only the order differs.
			if d := got[i] - want[i]; d > 1e-9*float64(n+1) || d < -1e-9*float64(n+1) {
				t.Errorf("%s of %d: GPU %.15g, CPU %.15g", what, n, got[i], want[i])
			}
		}
		// Same input, same bits: the reduction order is fixed.
		if again := gpu.Sum(x.gpu); again != got[0] {
			t.Errorf("Sum of %d is not reproducible: %.17g then %.17g", n, got[0], again)
		}
		h.check(0, 0)
	}
}

// TestClipKernels: the device-side norm (SumSquaresAcc over several buffers into one scalar)
// and ClipScale agree with the CPU, clipping or not.
func TestClipKernels(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testClipKernels(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testClipKernels(t, g64) })
}

func testClipKernels[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, maxNorm := range []T{0.5, 1e6} { // clipped, and left alone
		h := newHarness(t, gpu, 3)
		a, b := h.randn("a", 5000), h.randn("b", 37)
		ss := h.filled("ss", 1, 0)
		h.both(func(d kernels.Device[T], g bool) {
			d.SumSquaresAcc(ss.on(g), a.on(g))
			d.SumSquaresAcc(ss.on(g), b.on(g))
			d.ClipScale(a.on(g), ss.on(g), maxNorm)
			d.ClipScale(b.on(g), ss.on(g), maxNorm)
		})
		h.check(atol, rtol)
	}
}
