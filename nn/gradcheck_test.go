package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// gradCase describes one finite-difference check: inputs of the given shapes (random values
// from the seed, or from init when set), a forward function, and the inputs that get a gradient.
type gradCase struct {
	name   string
	shapes [][]int
	// init fills input i (optional; default uniform in [-1, 1]).
	init func(i int, data []float64, rng *rand.Rand)
	// noGrad lists inputs that are constants (masks, padding) and get no gradient.
	noGrad map[int]bool
	f      func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64]
	// eps is the finite-difference step (default 1e-6); tol the abs+rel tolerance (default 1e-6).
	eps, tol float64
}

var cpu64 = kernels.MustCPU[float64]()

// checkGrad compares the tape's gradient of L = Σ out·R (R random) with respect to every input
// against float64 central differences of L. A wrong backward fails it.
func checkGrad(t *testing.T, c gradCase) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	ins := make([]*Tensor[float64], len(c.shapes))
	for i, s := range c.shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		data := make([]float64, n)
		if c.init != nil {
			c.init(i, data, rng)
		} else {
			for j := range data {
				data[j] = rng.Float64()*2 - 1
			}
		}
		ins[i] = &Tensor[float64]{Data: kernels.HostBuf(data), Shape: s, NeedsGrad: !c.noGrad[i]}
		if ins[i].NeedsGrad {
			ins[i].Grad = kernels.HostBuf(make([]float64, n))
		}
	}
	g := NewGraph[float64](cpu64, nil)
	g.Training = true
	var upstream []float64
	forward := func() (*Tensor[float64], float64) {
		g.Reset()
		g.RNG = rand.New(rand.NewPCG(3, 5)) // the same dropout masks every time
		out := c.f(g, ins)
		if upstream == nil {
			upstream = make([]float64, out.Len())
			for j := range upstream {
				upstream[j] = rng.Float64()*2 - 1
			}
		}
		var l float64
		for j, v := range out.Data.Host() {
			l += v * upstream[j]
		}
		return out, l
	}
	// A first pass fills the arena; the checked pass then gets the same buffers back poisoned
	// with NaN, so an op that reads memory it did not write (a fresh gradient buffer added to,
	// an output accumulated into) fails the check instead of reading zeros.
	out, _ := forward()
	cpu64.Upload(g.Grad(out), upstream)
	g.BackwardFrom()
	for _, in := range ins {
		if in.NeedsGrad {
			clear(in.Grad.Host())
		}
	}
	g.Reset()
	g.arena.bufs.each(func(b kernels.Buf[float64]) {
		for i := range b.Host() {
			b.Host()[i] = math.NaN()
		}
	})
	out, _ = forward()
	if !out.NeedsGrad {
		t.Fatalf("%s: output needs no gradient", c.name)
	}
	cpu64.Upload(g.Grad(out), upstream)
	g.BackwardFrom()
	eps, tol := c.eps, c.tol
	if eps == 0 {
		eps = 1e-6
	}
	if tol == 0 {
		tol = 1e-6
	}
	checked := 0
	for i, in := range ins {
		if !in.NeedsGrad {
			continue
		}
		analytic := append([]float64(nil), in.Grad.Host()...)
		data := in.Data.Host()
		for j := range data {
			orig := data[j]
			data[j] = orig + eps
			_, lp := forward()
			data[j] = orig - eps
			_, lm := forward()
			data[j] = orig
			num := (lp - lm) / (2 * eps)
			if d := math.Abs(num - analytic[j]); !(d <= tol*(1+math.Abs(num))) { // NaN fails too
				t.Errorf("%s: d/d input %d [%d]: analytic %.10g, numeric %.10g", c.name, i, j, analytic[j], num)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatalf("%s: no gradient checked", c.name)
	}
}

func TestGradLinear(t *testing.T) {
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		ta, tb := tr[0], tr[1]
		sa, sb := []int{3, 4}, []int{4, 5}
		if ta {
			sa = []int{4, 3}
		}
		if tb {
			sb = []int{5, 4}
		}
		checkGrad(t, gradCase{
			name:   fmt.Sprintf("matmul ta=%v tb=%v", ta, tb),
			shapes: [][]int{sa, sb},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				return g.MatMul(in[0], in[1], ta, tb)
			},
		})
	}
	checkGrad(t, gradCase{
		name:   "linear over a sequence with bias, reshaped",
		shapes: [][]int{{2, 3, 4}, {4, 5}, {5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			y := g.Linear(in[0], in[1], in[2])
			return g.Reshape(y, 6, 5)
		},
	})
}
