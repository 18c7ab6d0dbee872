//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func TestMaskedSoftmax(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testMaskedSoftmax(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testMaskedSoftmax(t, g64) })
}

func testMaskedSoftmax[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range [][4]int{{1, 1, 1, 1}, {6, 5, 3, 2}, {40, 33, 4, 1}, {64, 300, 8, 8}, {3, 1000, 3, 1}} {
		rows, cols, B, group := s[0], s[1], s[2], s[3]
		for _, mode := range []string{"none", "lengths", "pad", "both"} {
			t.Run(fmt.Sprintf("%v/%s", s, mode), func(t *testing.T) {
				h := newHarness(t, gpu, uint64(rows*cols+B))
				lengths := make([]int32, B)
				for b := range lengths {
					lengths[b] = int32(h.rng.IntN(cols + 3))
				}
				if B > 1 {
					lengths[1] = 0 // a fully masked batch element
				}
				padHost := make([]T, B*cols)
				for i := range padHost {
					if h.rng.IntN(5) == 0 {
						padHost[i] = 1
					}
				}
				li, pad := &ipair{}, h.none() // the zero ipair is absent on both devices
				if mode == "lengths" || mode == "both" {
					li = h.intBuf("lengths", lengths)
				}
				if mode == "pad" || mode == "both" {
					pad = h.buf("pad", padHost)
				}
				x := h.uniform("x", rows*cols, -8, 8)
				y, dy, dx := h.randn("y", rows*cols), h.randn("dy", rows*cols), h.randn("dx", rows*cols)
				h.both(func(d kernels.Device[T], g bool) {
					d.MaskedSoftmax(rows, cols, B, group, y.on(g), x.on(g), li.on(g), pad.on(g))
					d.SoftmaxBackward(rows, cols, dx.on(g), y.on(g), dy.on(g))
				})
				h.check(atol*8, rtol*4)
			})
		}
	}
}

func TestAdditiveScores(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testAdditiveScores(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testAdditiveScores(t, g64) })
}

func testAdditiveScores[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range [][4]int{{1, 1, 1, 1}, {3, 5, 2, 7}, {7, 13, 3, 40}, {4, 37, 2, 300}} {
		Lq, Ls, B, H := s[0], s[1], s[2], s[3]
		for _, skip := range []int{-1, 0, 1, 2} {
			t.Run(fmt.Sprintf("%v/skip=%d", s, skip), func(t *testing.T) {
				h := newHarness(t, gpu, uint64(Lq*Ls*B*H))
				q, k, v := h.randn("q", Lq*B*H), h.randn("k", Ls*B*H), h.randn("v", H)
				sc, ds := h.randn("s", B*Lq*Ls), h.randn("ds", B*Lq*Ls)
				grads := [3]*pair[T]{h.randn("dq", Lq*B*H), h.randn("dk", Ls*B*H), h.randn("dv", H)}
				if skip >= 0 {
					grads[skip] = h.none()
				}
				h.both(func(d kernels.Device[T], g bool) {
					d.AdditiveScores(Lq, Ls, B, H, sc.on(g), q.on(g), k.on(g), v.on(g))
					d.AdditiveScoresBackward(Lq, Ls, B, H, grads[0].on(g), grads[1].on(g), grads[2].on(g), ds.on(g),
						q.on(g), k.on(g), v.on(g))
				})
				h.check(atol*float64(H+Lq*Ls*B), rtol*8)
			})
		}
	}
}

func TestExpLog(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testExpLog(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testExpLog(t, g64) })
}

func testExpLog[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, n := range []int{1, 33, 70001} {
		h := newHarness(t, gpu, uint64(n))
		x, pos, dy := h.uniform("x", n, -3, 3), h.uniform("pos", n, 0.05, 3), h.randn("dy", n)
		ye, yl, dxe, dxl := h.randn("exp", n), h.randn("log", n), h.randn("dexp", n), h.randn("dlog", n)
		h.both(func(d kernels.Device[T], g bool) {
			d.Activate(kernels.Exp, ye.on(g), x.on(g))
			d.Activate(kernels.Log, yl.on(g), pos.on(g))
			d.ActivateBackward(kernels.Exp, dxe.on(g), ye.on(g), dy.on(g))
			d.ActivateBackward(kernels.Log, dxl.on(g), yl.on(g), dy.on(g))
		})
		h.check(atol*4, rtol*4)
	}
}

// TestGemmStridedBatchedTimeMajor: attention scores and context read and write time-major
// [L, B, D] tensors in place: matrix b starts at b·D, with leading dimension B·D.
func TestGemmStridedBatchedTimeMajor(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testGemmTimeMajor(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testGemmTimeMajor(t, g64) })
}

func testGemmTimeMajor[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	const Lq, Ls, B, D = 5, 7, 3, 33
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			t.Run(fmt.Sprintf("tA=%v/tB=%v", ta, tb), func(t *testing.T) {
				h := newHarness(t, gpu, 17)
				ra, ca := Lq, D
				if ta {
					ra, ca = D, Lq
				}
				rb, cb := D, Ls
				if tb {
					rb, cb = Ls, D
				}
				a, b := h.randn("A", ra*B*ca), h.randn("B", rb*B*cb)
				c, cf := h.randn("C time-major", Lq*B*Ls), h.randn("C batch-first", B*Lq*Ls)
				h.both(func(d kernels.Device[T], g bool) {
					d.GemmStridedBatched(ta, tb, Lq, Ls, D, 1.5, a.on(g), B*ca, ca, b.on(g), B*cb, cb, 0.5,
						c.on(g), B*Ls, Ls, B)
					d.GemmStridedBatched(ta, tb, Lq, Ls, D, 1, a.on(g), B*ca, ca, b.on(g), B*cb, cb, 0,
						cf.on(g), Ls, Lq*Ls, B)
				})
				h.check(atol*float64(D+1)*4, rtol*10)
			})
		}
	}
}
