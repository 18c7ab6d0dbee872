//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"testing"

	"github.com/gosru/gosru/kernels"
)

type sruCase struct {
	L, B, H, Dirs, K           int
	Tanh, Skip                 bool
	pad, mask, c0, fr          bool
	gcLast, gc0, gwc, alphaOne bool
}

func (c sruCase) String() string {
	flags := ""
	for _, f := range []struct {
		on   bool
		name string
	}{{c.Tanh, "tanh"}, {c.Skip, "skip"}, {c.pad, "pad"}, {c.mask, "mask"}, {c.c0, "c0"}, {c.fr, "FR"},
		{c.gcLast, "gcLast"}, {c.gc0, "gc0"}, {c.gwc, "gwc"}} {
		if f.on {
			flags += "," + f.name
		}
	}
	return fmt.Sprintf("L%d,B%d,H%d,dirs%d,K%d%s", c.L, c.B, c.H, c.Dirs, c.K, flags)
}

// sruCases covers every (K, skip, tanh, dirs) with random option draws and odd shapes, then a
// few large shapes of the benchmark's kind.
func sruCases() []sruCase {
	var cs []sruCase
	shapes := [][3]int{{1, 1, 1}, {5, 3, 7}, {17, 2, 33}, {9, 8, 130}}
	i := 0
	for _, K := range []int{3, 4} {
		for _, skip := range []bool{false, true} {
			for _, tanh := range []bool{false, true} {
				for _, dirs := range []int{1, 2} {
					for rep := 0; rep < 2; rep++ {
						s := shapes[i%len(shapes)]
						bit := func(k int) bool { return (i*7+k*3+rep)%(k+2) != 0 }
						cs = append(cs, sruCase{L: s[0], B: s[1], H: s[2], Dirs: dirs, K: K, Tanh: tanh, Skip: skip,
							pad: bit(1), mask: bit(2), c0: bit(3), fr: rep == 1, gcLast: bit(4), gc0: bit(5),
							gwc: bit(6)})
						i++
					}
				}
			}
		}
	}
	return append(cs,
		sruCase{L: 64, B: 32, H: 256, Dirs: 1, K: 3, Skip: true, fr: true, gwc: true},
		sruCase{L: 33, B: 16, H: 128, Dirs: 2, K: 4, Skip: true, Tanh: true, pad: true, mask: true, c0: true,
			fr: true, gcLast: true, gc0: true, gwc: true},
		sruCase{L: 128, B: 32, H: 512, Dirs: 1, K: 3, Skip: true, pad: true, fr: true, gwc: true},
	)
}

func TestSRU(t *testing.T) {
	g32, g64 := devices(t)
	for _, c := range sruCases() {
		t.Run(c.String(), func(t *testing.T) {
			t.Run("float32", func(t *testing.T) { g32.Bind(); testSRU(t, g32, c) })
			if c.L*c.B*c.H <= 1<<16 {
				t.Run("float64", func(t *testing.T) { g64.Bind(); testSRU(t, g64, c) })
			}
		})
	}
}

func testSRU[T kernels.Float](t *testing.T, gpu *Device[T], c sruCase) {
	h := newHarness(t, gpu, uint64(c.L*1000+c.B*10+c.H))
	out := c.Dirs * c.H
	n := c.L * c.B
	opt := func(on bool, p func() *pair[T]) *pair[T] {
		if on {
			return p()
		}
		return h.none()
	}
	u := h.randn("U", n*out*c.K)
	x := opt(c.K == 3 && c.Skip, func() *pair[T] { return h.randn("X", n*out) })
	wc := h.uniform("weight_c", 2*out, -0.5, 0.5)
	bias := h.randn("bias", 2*out)
	c0 := opt(c.c0, func() *pair[T] { return h.randn("c0", c.B*out) })
	pad := opt(c.pad, func() *pair[T] { return h.padding("pad", c.L, c.B, 0.3) })
	mask := opt(c.mask, func() *pair[T] {
		m := make([]T, c.B*out)
		for i := range m {
			if h.rng.Float64() > 0.2 {
				m[i] = 1 / 0.8
			}
		}
		return h.buf("mask", m)
	})
	y, cs, clast := h.randn("Y", n*out), h.randn("C", n*out), h.randn("CLast", c.B*out)
	f := opt(c.fr, func() *pair[T] { return h.randn("F", n*out) })
	r := opt(c.fr, func() *pair[T] { return h.randn("R", n*out) })
	alpha := T(1.7)
	args := func(g bool) *kernels.SRUArgs[T] {
		return &kernels.SRUArgs[T]{L: c.L, B: c.B, H: c.H, Dirs: c.Dirs, K: c.K, Tanh: c.Tanh, Skip: c.Skip,
			Alpha: alpha, U: u.on(g), X: x.on(g), WeightC: wc.on(g), Bias: bias.on(g), C0: c0.on(g),
			Pad: pad.on(g), Mask: mask.on(g), Y: y.on(g), C: cs.on(g), CLast: clast.on(g), F: f.on(g), R: r.on(g)}
	}
	h.both(func(d kernels.Device[T], g bool) { d.SRUForward(args(g)) })
	atol, rtol := tol[T]()
	h.check(atol*float64(c.L), rtol*4)

	gy := h.randn("GY", n*out)
	gcl := opt(c.gcLast, func() *pair[T] { return h.randn("GCLast", c.B*out) })
	// GU's fourth block is written only with the skip term on the CPU: start both from zeros
	// there, from garbage elsewhere (so that an unwritten element shows).
	gu := h.filled("GU", n*out*c.K, 7)
	if c.K == 4 && !c.Skip {
		gu = h.filled("GU", n*out*c.K, 0)
	}
	gx := opt(c.K == 3 && c.Skip, func() *pair[T] { return h.filled("GX", n*out, 7) })
	gc0 := opt(c.gc0, func() *pair[T] { return h.filled("GC0", c.B*out, 7) })
	gwc := opt(c.gwc, func() *pair[T] { return h.randn("GWeightC", 2*out) })
	gbias := h.randn("GBias", 2*out)
	h.both(func(d kernels.Device[T], g bool) {
		d.SRUBackward(args(g), &kernels.SRUGrads[T]{GY: gy.on(g), GCLast: gcl.on(g), GU: gu.on(g), GX: gx.on(g),
			GC0: gc0.on(g), GWeightC: gwc.on(g), GBias: gbias.on(g)})
	})
	// Gradients run through L steps and the parameter gradients sum L·B terms.
	h.check(atol*float64(c.L*c.B), rtol*20)
}

type lstmCase struct {
	B, H          int
	bias, pad, y  bool
	inPlace       bool
	ldyPad, dyNil bool
}

func TestLSTMCell(t *testing.T) {
	g32, g64 := devices(t)
	var cs []lstmCase
	for i, s := range [][2]int{{1, 1}, {3, 7}, {32, 33}, {5, 256}, {64, 512}} {
		for rep := 0; rep < 2; rep++ {
			cs = append(cs, lstmCase{B: s[0], H: s[1], bias: rep == 0 || i%2 == 0, pad: rep == 1,
				y: i != 1, inPlace: rep == 1, ldyPad: i%2 == 1, dyNil: i == 2 && rep == 0})
		}
	}
	for _, c := range cs {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			t.Run("float32", func(t *testing.T) { g32.Bind(); testLSTM(t, g32, c) })
			t.Run("float64", func(t *testing.T) { g64.Bind(); testLSTM(t, g64, c) })
		})
	}
}

func testLSTM[T kernels.Float](t *testing.T, gpu *Device[T], c lstmCase) {
	h := newHarness(t, gpu, uint64(c.B*100+c.H))
	B, H := c.B, c.H
	gates := h.randn("gates", B*4*H)
	bias := h.none()
	if c.bias {
		bias = h.randn("bias", 4*H)
	}
	pad := h.none()
	if c.pad {
		pad = h.padding("pad", 1, B, 0.4)
	}
	cPrev, hPrev := h.randn("cPrev", B*H), h.randn("hPrev", B*H)
	cNew, hNew := h.randn("c", B*H), h.randn("h", B*H)
	if c.inPlace { // one state buffer: c over cPrev, h over hPrev
		cNew, hNew = cPrev, hPrev
	}
	ldy := H
	if c.ldyPad {
		ldy = 2*H + 3 // a row of a bidirectional output, plus slack
	}
	y := h.none()
	if c.y {
		y = h.randn("y", (B-1)*ldy+H)
	}
	// The backward needs the states before and after the step: keep copies.
	cBefore := h.randn("cBefore", B*H)
	h.both(func(d kernels.Device[T], g bool) {
		d.Copy(cBefore.on(g), cPrev.on(g))
		d.LSTMCellForward(B, H, gates.on(g), bias.on(g), cPrev.on(g), hPrev.on(g), cNew.on(g), hNew.on(g),
			y.on(g), ldy, pad.on(g))
	})
	atol, rtol := tol[T]()
	h.check(atol, rtol*2)

	dy := h.none()
	if !c.dyNil {
		dy = h.randn("dy", (B-1)*ldy+H)
	}
	dh, dc := h.randn("dh", B*H), h.randn("dc", B*H)
	dgates, dcPrev, dhPrev := h.filled("dgates", B*4*H, 7), h.filled("dcPrev", B*H, 7), h.filled("dhPrev", B*H, 7)
	if c.inPlace { // dgates over gates, dcPrev over dc, dhPrev over dh
		dgates, dcPrev, dhPrev = gates, dc, dh
	}
	h.both(func(d kernels.Device[T], g bool) {
		d.LSTMCellBackward(B, H, dgates.on(g), dcPrev.on(g), dhPrev.on(g), gates.on(g), cBefore.on(g), cNew.on(g),
			dy.on(g), ldy, dh.on(g), dc.on(g), pad.on(g))
	})
	h.check(atol*4, rtol*4)
}
