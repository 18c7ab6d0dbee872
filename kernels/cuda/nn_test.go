//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

var rowShapes = [][2]int{{1, 1}, {3, 5}, {7, 33}, {64, 257}, {300, 1000}, {2, 5000}}

func TestLayerNorm(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testLayerNorm(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testLayerNorm(t, g64) })
}

func testLayerNorm[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	shapes := rowShapes
	if !emulated { // the emulator runs each block's threads as coroutines: slow at this size
		shapes = append(shapes, [2]int{4096, 512})
	}
	for _, s := range shapes {
		rows, cols := s[0], s[1]
		for _, affine := range []string{"none", "gamma", "beta", "both"} {
			t.Run(fmt.Sprintf("%dx%d/%s", rows, cols, affine), func(t *testing.T) {
				h := newHarness(t, gpu, uint64(rows+cols))
				x := h.randn("x", rows*cols)
				gamma, beta := h.none(), h.none()
				if affine == "gamma" || affine == "both" {
					gamma = h.randn("gamma", cols)
				}
				if affine == "beta" || affine == "both" {
					beta = h.randn("beta", cols)
				}
				y, mean, rstd := h.randn("y", rows*cols), h.randn("mean", rows), h.randn("rstd", rows)
				dy := h.randn("dy", rows*cols)
				dx := h.randn("dx", rows*cols)
				dgamma, dbeta := h.none(), h.randn("dbeta", cols)
				if !gamma.nil_ {
					dgamma = h.randn("dgamma", cols)
				}
				h.both(func(d kernels.Device[T], g bool) {
					d.LayerNorm(rows, cols, y.on(g), x.on(g), gamma.on(g), beta.on(g), mean.on(g), rstd.on(g), 1e-5)
					d.LayerNormBackward(rows, cols, dx.on(g), dgamma.on(g), dbeta.on(g), dy.on(g), x.on(g),
						gamma.on(g), mean.on(g), rstd.on(g))
				})
				// Row sums of cols terms, and column sums of rows terms for the parameters.
				h.check(atol*float64(max(rows, cols))/8, rtol*20)
			})
		}
	}
}

func TestLogSoftmaxAndCrossEntropy(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testSoftmax(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testSoftmax(t, g64) })
}

func testSoftmax[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range rowShapes {
		rows, cols := s[0], s[1]
		for _, weighted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d/weighted=%v", rows, cols, weighted), func(t *testing.T) {
				h := newHarness(t, gpu, uint64(rows*cols))
				x := h.uniform("x", rows*cols, -8, 8)
				y, dy, dx := h.randn("y", rows*cols), h.randn("dy", rows*cols), h.randn("dx", rows*cols)
				h.both(func(d kernels.Device[T], g bool) {
					d.LogSoftmax(rows, cols, y.on(g), x.on(g))
					d.LogSoftmaxBackward(rows, cols, dx.on(g), y.on(g), dy.on(g))
				})
				h.check(atol*8, rtol*4)

				const ignore = -100
				targets := make([]int32, rows)
				for r := range targets {
					targets[r] = int32(h.rng.IntN(cols))
					if r%4 == 3 {
						targets[r] = ignore
					}
				}
				tg := h.intBuf("targets", targets)
				w := h.none()
				if weighted {
					w = h.uniform("w", cols, 0.1, 2)
				}
				lp, loss, dl := h.randn("logProbs", rows*cols), h.randn("loss", rows), h.randn("dlogits", rows*cols)
				sums, mean, dmean := h.randn("sums", 2), h.randn("mean", 1), h.uniform("dmean", 1, 0.5, 1.5)
				h.both(func(d kernels.Device[T], g bool) {
					for _, eps := range []T{0, 0.1} {
						d.SoftmaxCrossEntropy(rows, cols, lp.on(g), loss.on(g), sums.on(g), mean.on(g), x.on(g), tg.on(g),
							w.on(g), ignore, eps)
						d.SoftmaxCrossEntropyBackward(rows, cols, dl.on(g), lp.on(g), tg.on(g), w.on(g), ignore, eps,
							dmean.on(g), sums.on(g))
					}
				})
				h.check(atol*8, rtol*4)
			})
		}
	}
}

func TestGatherScatter(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testGather(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testGather(t, g64) })
}

func testGather[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range [][3]int{{1, 1, 1}, {10, 7, 3}, {1000, 300, 33}, {5, 4096, 300}} {
		vocab, n, cols := s[0], s[1], s[2]
		t.Run(shapeName(vocab, n, cols), func(t *testing.T) {
			h := newHarness(t, gpu, uint64(vocab*n))
			ids := make([]int32, n)
			for i := range ids {
				ids[i] = int32(h.rng.IntN(vocab)) // repeats when n > vocab
				if i%5 == 2 {
					ids[i] = -1 // padding
				}
			}
			id := h.intBuf("ids", ids)
			table := h.randn("table", vocab*cols)
			dst := h.randn("dst", n*cols)
			src := h.randn("src", n*cols)
			grad := h.randn("grad", vocab*cols)
			h.both(func(d kernels.Device[T], g bool) {
				d.Gather(cols, dst.on(g), table.on(g), id.on(g))
				d.ScatterAdd(cols, grad.on(g), src.on(g), id.on(g))
			})
			// Repeated ids are added in another order (atomics) on the GPU.
			h.check(atol*float64(n/vocab+2), rtol*4)
		})
	}
}

func TestPoolingOverTime(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testPooling(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testPooling(t, g64) })
}

func testPooling[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, s := range [][3]int{{1, 1, 1}, {5, 3, 7}, {40, 17, 129}, {128, 32, 512}} {
		L, B, D := s[0], s[1], s[2]
		for _, padded := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pad=%v", shapeName(L, B, D), padded), func(t *testing.T) {
				h := newHarness(t, gpu, uint64(L*B*D))
				x := h.randn("x", L*B*D)
				pad := h.none()
				if padded {
					pad = h.padding("pad", L, B, 0.4)
					if B > 1 { // one sequence that is all padding
						for tt := 0; tt < L; tt++ {
							pad.cpu.Host()[tt*B+1] = 1
						}
						gpu.Upload(pad.gpu, pad.cpu.Host())
					}
				}
				ymax, ymean := h.randn("ymax", B*D), h.randn("ymean", B*D)
				arg := h.intBuf("argmax", make([]int32, B*D))
				dy := h.randn("dy", B*D)
				dx := h.randn("dx", L*B*D)
				h.both(func(d kernels.Device[T], g bool) {
					d.MaxOverTime(L, B, D, ymax.on(g), arg.on(g), x.on(g), pad.on(g))
					d.MeanOverTime(L, B, D, ymean.on(g), x.on(g), pad.on(g))
					d.MaxOverTimeBackward(L, B, D, dx.on(g), dy.on(g), arg.on(g))
					d.MeanOverTimeBackward(L, B, D, dx.on(g), dy.on(g), pad.on(g))
				})
				h.check(atol, rtol)
			})
		}
	}
}

func TestOptimizers(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testOptimizers(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testOptimizers(t, g64) })
}

func testOptimizers[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	for _, n := range []int{1, 1000, 300001} {
		h := newHarness(t, gpu, uint64(n))
		p, g := h.randn("p", n), h.randn("g", n)
		mom := h.randn("mom", n)
		m, v := h.randn("m", n), h.uniform("v", n, 0, 2)
		h.both(func(d kernels.Device[T], gp bool) {
			d.SGDStep(p.on(gp), g.on(gp), kernels.Buf[T]{}, 0.1, 0, 0.01, false)
			d.SGDStep(p.on(gp), g.on(gp), mom.on(gp), 0.1, 0.9, 0, false)
			d.SGDStep(p.on(gp), g.on(gp), mom.on(gp), 0.05, 0.9, 1e-4, true)
			for step := 1; step <= 3; step++ {
				d.AdamStep(p.on(gp), g.on(gp), m.on(gp), v.on(gp), 1e-3, 0.9, 0.999, 1e-8, 1e-5, step)
			}
			for step := 1; step <= 3; step++ {
				d.AdamaxStep(p.on(gp), g.on(gp), m.on(gp), v.on(gp), 2e-3, 0.9, 0.999, 1e-8, 1e-5, step)
			}
		})
		h.check(atol*10, rtol*10)
	}
}

// TestBadIndicesAreReported uses a device of its own: the error it provokes is sticky.
func TestBadIndicesAreReported(t *testing.T) {
	devices(t)
	for _, op := range []string{"Gather", "ScatterAdd", "SoftmaxCrossEntropy"} {
		t.Run(op, func(t *testing.T) {
			d, err := Open[float32](Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			table, rows := d.Alloc(4*3), d.Alloc(2*3)
			ids := d.AllocInts(2)
			d.UploadInts(ids, []int32{1, 4}) // 4 is past a table of 4 rows
			switch op {
			case "Gather":
				d.Gather(3, rows, table, ids)
			case "ScatterAdd":
				d.ScatterAdd(3, table, rows, ids)
			case "SoftmaxCrossEntropy":
				lp, loss, sums, mean := d.Alloc(2*4), d.Alloc(2), d.Alloc(2), d.Alloc(1)
				d.SoftmaxCrossEntropy(2, 4, lp, loss, sums, mean, d.Alloc(2*4), ids, kernels.Buf[float32]{}, -100, 0)
			}
			err = d.Sync()
			if err == nil || !strings.Contains(err.Error(), op[:6]) && !strings.Contains(err.Error(), "cross entropy") {
				t.Errorf("Sync after %s with a bad id: %v", op, err)
			}
		})
	}
}

// TestUnmappedMailbox runs the host-valued kernels and an error flag through the fallback
// mailbox in device memory.
func TestUnmappedMailbox(t *testing.T) {
	devices(t)
	d, err := Open[float32](Options{UnmappedMailbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	x := d.Alloc(1000)
	d.Fill(x, 0.5)
	if s := d.Sum(x); s != 500 {
		t.Errorf("Sum = %v, want 500", s)
	}
	if s := d.SumSquares(x); s != 250 {
		t.Errorf("SumSquares = %v, want 250", s)
	}
	logits, lp, loss, sums, mean := d.Alloc(2*3), d.Alloc(2*3), d.Alloc(2), d.Alloc(2), d.Alloc(1)
	tg := d.AllocInts(2)
	d.UploadInts(tg, []int32{2, -100})
	d.SoftmaxCrossEntropy(2, 3, lp, loss, sums, mean, logits, tg, kernels.Buf[float32]{}, -100, 0)
	host := make([]float32, 2)
	d.Download(host, sums)
	if want := math.Log(3); math.Abs(float64(host[0])-want) > 1e-6 || host[1] != 1 {
		t.Errorf("cross entropy of uniform logits: %v; want %v, 1", host, want)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	d.UploadInts(tg, []int32{3, 0})
	d.SoftmaxCrossEntropyBackward(2, 3, lp, lp, tg, kernels.Buf[float32]{}, -100, 0, mean, sums)
	if err := d.Sync(); err == nil || !strings.Contains(err.Error(), "cross entropy") {
		t.Errorf("a bad target through the unmapped mailbox: %v", err)
	}
}
