package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sruCase is one random configuration of the recurrence.
type sruCase struct {
	L, B, H, Dirs, K                 int
	tanh, skip, pad, mask, c0, saved bool
}

func (c sruCase) String() string {
	return fmt.Sprintf("L%d_B%d_H%d_dirs%d_K%d_tanh%v_skip%v_pad%v_mask%v_c0%v_saved%v",
		c.L, c.B, c.H, c.Dirs, c.K, c.tanh, c.skip, c.pad, c.mask, c.c0, c.saved)
}

func sruCases() []sruCase {
	var cs []sruCase
	rng := rand.New(rand.NewPCG(1, 2))
	// Widths below, at and above one vector (8 or 16 columns) with ragged tails.
	shapes := [][3]int{{1, 1, 1}, {1, 3, 5}, {7, 1, 3}, {5, 4, 17}, {9, 3, 33}, {3, 2, 40}, {4, 3, 71}}
	for _, s := range shapes {
		for _, dirs := range []int{1, 2} {
			for _, k := range []int{3, 4} {
				c := sruCase{L: s[0], B: s[1], H: s[2], Dirs: dirs, K: k,
					tanh: rng.IntN(2) == 0, skip: k == 4 || rng.IntN(3) > 0,
					pad: rng.IntN(2) == 0, mask: rng.IntN(2) == 0, c0: rng.IntN(3) > 0, saved: rng.IntN(2) == 0}
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// sruFixture makes random arguments and gradients for a case in precision T.
func sruFixture[T Float](c sruCase, seed uint64) (*SRUArgs[T], *SRUGrads[T]) {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := c.Dirs * c.H
	n := c.L * c.B
	rnd := func(k int, scale float64) Buf[T] {
		v := make([]T, k)
		for i := range v {
			v[i] = T((rng.Float64()*2 - 1) * scale)
		}
		return HostBuf(v)
	}
	a := &SRUArgs[T]{L: c.L, B: c.B, H: c.H, Dirs: c.Dirs, K: c.K, Tanh: c.tanh, Skip: c.skip,
		Alpha: T(1.3), U: rnd(n*out*c.K, 1.5), WeightC: rnd(2*out, 1), Bias: rnd(2*out, 1),
		Y: rnd(n*out, 9), C: rnd(n*out, 9), CLast: rnd(c.B*out, 9)}
	if c.K == 3 && c.skip {
		a.X = rnd(n*out, 1)
	}
	if c.c0 {
		a.C0 = rnd(c.B*out, 1)
	}
	if c.saved {
		a.F, a.R = rnd(n*out, 9), rnd(n*out, 9)
	}
	if c.pad { // right padding with random lengths in [0, L]; one row keeps the full length
		p := make([]T, n)
		for b := 1; b < c.B; b++ {
			length := rng.IntN(c.L + 1)
			for t := length; t < c.L; t++ {
				p[t*c.B+b] = 1
			}
		}
		a.Pad = HostBuf(p)
	}
	if c.mask {
		m := make([]T, c.B*out)
		for i := range m {
			if rng.IntN(4) > 0 {
				m[i] = T(1 / 0.75)
			}
		}
		a.Mask = HostBuf(m)
	}
	g := &SRUGrads[T]{GY: rnd(n*out, 1), GCLast: rnd(c.B*out, 1), GU: rnd(n*out*c.K, 9),
		GC0: rnd(c.B*out, 9), GWeightC: rnd(2*out, 1), GBias: rnd(2*out, 1)}
	if c.K == 3 && c.skip {
		g.GX = rnd(n*out, 9)
	}
	return a, g
}

func cloneArgs[T Float](a *SRUArgs[T], g *SRUGrads[T]) (*SRUArgs[T], *SRUGrads[T]) {
	cp := func(b Buf[T]) Buf[T] {
		if b.IsNil() {
			return b
		}
		return HostBuf(append([]T(nil), b.Host()...))
	}
	a2 := *a
	a2.Y, a2.C, a2.CLast = cp(a.Y), cp(a.C), cp(a.CLast)
	a2.F, a2.R = Buf[T]{}, Buf[T]{} // the reference always recomputes
	g2 := *g
	g2.GU, g2.GX, g2.GC0, g2.GWeightC, g2.GBias = cp(g.GU), cp(g.GX), cp(g.GC0), cp(g.GWeightC), cp(g.GBias)
	return &a2, &g2
}

func maxDiff[T Float](a, b Buf[T]) float64 {
	m := 0.0
	for i, v := range a.Host() {
		d := math.Abs(float64(v) - float64(b.Host()[i]))
		if d != d {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

// TestSRUFusedMatchesReference holds the fused, parallel CPU kernel against the scalar
// reference on random shapes: odd sizes, L = 1, B = 1, padding, masks, both K, both directions.
func TestSRUFusedMatchesReference(t *testing.T) {
	for _, c := range sruCases() {
		t.Run(c.String(), func(t *testing.T) {
			testFusedSRU[float64](t, c, 1e-12)
			forEachKernelPath(t, func(t *testing.T) { testFusedSRU[float32](t, c, 2e-5) })
		})
	}
}

func testFusedSRU[T Float](t *testing.T, c sruCase, tol float64) {
	testFusedSRUOn(t, MustCPU[T](), c, tol)
}

// TestSRUFusedWorkers runs the comparison on pools of 1, 3 and 5 workers, so that the vector
// path's split by batch rows meets uneven chunks and more partial sums than two.
func TestSRUFusedWorkers(t *testing.T) {
	for _, w := range []int{1, 3, 5} {
		d, err := NewCPU[float32](CPUOptions{Workers: w, BLAS: "go"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []sruCase{{L: 6, B: 7, H: 21, Dirs: 2, K: 3, skip: true, pad: true, mask: true, c0: true},
			{L: 5, B: 20, H: 35, Dirs: 1, K: 4, skip: true, tanh: true, saved: true},
			{L: 4, B: 15, H: 16, Dirs: 2, K: 3, tanh: true, saved: true, c0: true}} {
			t.Run(fmt.Sprintf("workers%d/%v", w, c), func(t *testing.T) {
				forEachKernelPath(t, func(t *testing.T) { testFusedSRUOn(t, d, c, 2e-5) })
			})
		}
		d.Close()
	}
}

func testFusedSRUOn[T Float](t *testing.T, dev *CPU[T], c sruCase, tol float64) {
	a, g := sruFixture[T](c, 42)
	ra, rg := cloneArgs(a, g)
	dev.SRUForward(a)
	SRUForwardRef(ra)
	dev.SRUBackward(a, g)
	SRUBackwardRef(ra, rg)
	for _, o := range []struct {
		name string
		x, y Buf[T]
	}{{"h", a.Y, ra.Y}, {"c", a.C, ra.C}, {"cLast", a.CLast, ra.CLast}, {"gU", g.GU, rg.GU},
		{"gX", g.GX, rg.GX}, {"gC0", g.GC0, rg.GC0}, {"gWeightC", g.GWeightC, rg.GWeightC},
		{"gBias", g.GBias, rg.GBias}} {
		// float32 sums over L·B terms: scale the tolerance by the magnitude reached.
		if d := maxDiff(o.x, o.y); d > tol*(1+float64(c.L*c.B)/8) {
			var z T
			t.Errorf("%T %s: max diff %.3g", z, o.name, d)
		}
	}
}

// TestSRUForwardZeroAlloc checks that a steady-state call of the fused kernels allocates nothing.
func TestSRUForwardZeroAlloc(t *testing.T) {
	dev := MustCPU[float32]()
	a, g := sruFixture[float32](sruCase{L: 8, B: 4, H: 64, Dirs: 2, K: 3, skip: true, mask: true, pad: true}, 1)
	g.GC0 = Buf[float32]{}
	dev.SRUBackward(a, g)
	if n := testing.AllocsPerRun(20, func() { dev.SRUForward(a); dev.SRUBackward(a, g) }); n != 0 {
		t.Fatalf("%v allocations per forward+backward", n)
	}
}
