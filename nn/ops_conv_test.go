package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// conv1DRef is Conv1D straight from its definition: y[t, b, o] = bias[o] +
// Σ_j Σ_i x[t+j−left, b, i]·weight[j·Din+i, o], with x zero outside [0, L).
func conv1DRef(x []float64, L, B, din int, weight []float64, dout int, bias []float64) []float64 {
	w := len(weight) / (din * dout)
	left, _ := ConvPad(w)
	y := make([]float64, L*B*dout)
	for t := range L {
		for b := range B {
			for o := range dout {
				var s float64
				if bias != nil {
					s = bias[o]
				}
				for j := range w {
					ts := t + j - left
					if ts < 0 || ts >= L {
						continue
					}
					for i := range din {
						s += x[(ts*B+b)*din+i] * weight[(j*din+i)*dout+o]
					}
				}
				y[(t*B+b)*dout+o] = s
			}
		}
	}
	return y
}

func TestConvPad(t *testing.T) {
	for w, want := range map[int][2]int{1: {0, 0}, 2: {0, 1}, 3: {1, 1}, 4: {1, 2}, 5: {2, 2}} {
		l, r := ConvPad(w)
		if l != want[0] || r != want[1] {
			t.Errorf("ConvPad(%d) = %d, %d; want %d, %d", w, l, r, want[0], want[1])
		}
	}
}

func TestConv1DForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	// L < w leaves taps entirely outside the sequence; L = 1 has no neighbours at all.
	for _, c := range []struct{ L, B, din, dout, w int }{
		{7, 3, 5, 4, 3}, {7, 3, 5, 4, 1}, {6, 2, 3, 5, 5}, {5, 3, 4, 2, 2}, {9, 2, 3, 3, 4},
		{2, 3, 4, 3, 5}, {1, 2, 3, 2, 3},
	} {
		for _, withBias := range []bool{true, false} {
			x, weight := randn(c.L*c.B*c.din), randn(c.w*c.din*c.dout)
			var bias []float64
			if withBias {
				bias = randn(c.dout)
			}
			want := conv1DRef(x, c.L, c.B, c.din, weight, c.dout, bias)
			g := NewGraph[float64](cpu64, nil)
			// Leave NaN in every arena buffer the size of the im2col buffer: its padding rows must
			// be zeroed on each call, not assumed zero.
			for range 3 {
				cpu64.Fill(g.Scratch(c.L*c.B*c.w*c.din), math.NaN())
			}
			g.Reset()
			var bt *Tensor[float64]
			if bias != nil {
				bt = g.FromHost(bias, c.dout)
			}
			y := g.Conv1D(g.FromHost(x, c.L, c.B, c.din), g.FromHost(weight, c.w*c.din, c.dout), bt)
			if fmt.Sprint(y.Shape) != fmt.Sprint([]int{c.L, c.B, c.dout}) {
				t.Fatalf("%+v: output shape %v", c, y.Shape)
			}
			for i, v := range y.Data.Host() {
				if !(math.Abs(v-want[i]) <= 1e-12*(1+math.Abs(want[i]))) { // NaN fails too
					t.Fatalf("%+v bias=%v: y[%d] = %g, want %g", c, withBias, i, v, want[i])
				}
			}
		}
	}
}

func TestGradConv1D(t *testing.T) {
	for _, c := range []struct{ L, B, din, dout, w int }{
		{5, 3, 3, 2, 3}, {5, 3, 3, 2, 1}, {7, 2, 3, 3, 5}, {4, 3, 2, 3, 2}, {6, 1, 3, 2, 4},
		{2, 3, 3, 2, 5},
	} {
		checkGrad(t, gradCase{
			name:   fmt.Sprintf("conv1d %+v", c),
			shapes: [][]int{{c.L, c.B, c.din}, {c.w * c.din, c.dout}, {c.dout}},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				return g.Conv1D(in[0], in[1], in[2])
			},
		})
	}
	checkGrad(t, gradCase{
		name:   "conv1d without bias, into an input that already has a gradient",
		shapes: [][]int{{5, 3, 3}, {3 * 3, 2}, {3, 2}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			y := g.Conv1D(in[0], in[1], nil)
			z := g.MatMul(in[0], in[2], false, false) // a second consumer of x, run backward first
			return g.MatMul(g.Reshape(y, 15, 2), g.Reshape(z, 15, 2), true, false)
		},
	})
}
