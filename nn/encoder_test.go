package nn

import (
	"slices"
	"testing"
)

func TestGradDropoutWithMask(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "a mask drawn once, applied to two steps",
		shapes: [][]int{{3, 5}, {3, 5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			mask := DropoutMask(g, 15, 0.5)
			return g.Add(g.DropoutWithMask(g.Tanh(in[0]), mask), g.DropoutWithMask(in[1], mask))
		},
	})
	checkGrad(t, gradCase{
		name:   "a [B, D] mask shared by every step of [L, B, D]",
		shapes: [][]int{{4, 3, 5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.DropoutWithMask(g.Tanh(in[0]), DropoutMask(g, 15, 0.5))
		},
	})
}

func TestPadMask(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	got := PadMask(g, []int{3, 1, 0}, 3).Host()
	want := []float64{ // [L, B]
		0, 0, 1,
		0, 1, 1,
		0, 1, 1,
	}
	if !slices.Equal(got, want) {
		t.Errorf("PadMask = %v, want %v", got, want)
	}
	if m := PadMask(g, []int{2, 2}, 2); !m.IsNil() {
		t.Errorf("PadMask of full-length sequences = %v, want nil", m.Host())
	}
}
