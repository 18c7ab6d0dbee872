package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// ctcTestBatch: L = 6 frames, B = 5, C = 4; padded sequences, an empty target, repeats at their
// minimal length and one infeasible sequence (the last).
func ctcTestBatch(blank int) (targets [][]int32, inputLengths []int) {
	m := func(labels ...int32) []int32 { // labels 1..3, moved past the blank
		for i, c := range labels {
			if int(c) <= blank {
				labels[i] = c - 1
			}
		}
		return labels
	}
	if blank == 0 {
		m = func(labels ...int32) []int32 { return labels }
	}
	return [][]int32{m(1, 2, 1), {}, m(3, 3), m(2), m(1, 1, 1)}, []int{6, 4, 3, 1, 4}
}

// TestGradCTC checks the CTC op against central differences for every reduction, with the blank
// first and last; the infeasible sequence is in the batch (with ZeroInfinity, else its loss is
// +Inf and no difference exists) so that its zero gradient is checked too.
func TestGradCTC(t *testing.T) {
	for _, blank := range []int{0, 3} {
		for _, red := range []CTCReduction{CTCNone, CTCSum, CTCMean} {
			targets, lengths := ctcTestBatch(blank)
			o := CTCOptions{Blank: blank, Reduction: red, ZeroInfinity: true}
			checkGrad(t, gradCase{
				name:   fmt.Sprintf("CTC blank=%d reduction=%d", blank, red),
				shapes: [][]int{{6, 5, 4}},
				init: func(_ int, data []float64, rng *rand.Rand) {
					for j := range data {
						data[j] = rng.Float64()*4 - 2
					}
				},
				f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
					loss, infeasible := g.CTCLoss(in[0], targets, lengths, o)
					if infeasible != 1 {
						t.Fatalf("%d infeasible sequences, want 1", infeasible)
					}
					// the tanh after the loss makes a wrong scale of the upstream gradient show
					return g.Tanh(loss)
				},
			})
		}
	}
}

// TestCTCValues: the reductions agree with the per-sequence losses (PyTorch's mean divides each
// by its target length, at least 1), infeasible sequences give +Inf or 0, never NaN, and padded
// frames and infeasible sequences get no gradient.
func TestCTCValues(t *testing.T) {
	targets, lengths := ctcTestBatch(0)
	rng := rand.New(rand.NewPCG(1, 4))
	logits := make([]float64, 6*5*4)
	for i := range logits {
		logits[i] = rng.NormFloat64()
	}
	run := func(o CTCOptions) ([]float64, []float64) {
		g := NewGraph[float64](cpu64, nil)
		x := g.FromHost(logits, 6, 5, 4)
		x.NeedsGrad = true
		loss, _ := g.CTCLoss(x, targets, lengths, o)
		if o.Reduction == CTCNone {
			g.Dev.Fill(g.Grad(loss), 1)
			g.BackwardFrom()
		} else {
			g.Backward(loss)
		}
		return append([]float64(nil), loss.Data.Host()...), append([]float64(nil), x.Grad.Host()...)
	}
	per, grad := run(CTCOptions{Reduction: CTCNone})
	if !math.IsInf(per[4], 1) {
		t.Errorf("infeasible loss %v, want +Inf", per[4])
	}
	perZ, _ := run(CTCOptions{Reduction: CTCNone, ZeroInfinity: true})
	if perZ[4] != 0 {
		t.Errorf("infeasible loss %v with ZeroInfinity, want 0", perZ[4])
	}
	var sum, mean float64
	for n, v := range perZ {
		sum += v
		mean += v / float64(max(1, len(targets[n]))) / float64(len(targets))
		if v < 0 || math.IsNaN(v) || n < 4 && v != per[n] {
			t.Errorf("loss[%d] = %v (without ZeroInfinity %v)", n, v, per[n])
		}
	}
	s, _ := run(CTCOptions{Reduction: CTCSum, ZeroInfinity: true})
	m, _ := run(CTCOptions{Reduction: CTCMean, ZeroInfinity: true})
	if math.Abs(s[0]-sum) > 1e-12 || math.Abs(m[0]-mean) > 1e-12 {
		t.Errorf("sum %v mean %v, want %v %v", s[0], m[0], sum, mean)
	}
	for i, v := range grad {
		tt, n := i/(5*4), i/4%5
		if (tt >= lengths[n] || n == 4) && v != 0 || math.IsNaN(v) {
			t.Fatalf("gradient %v at frame %d of sequence %d", v, tt, n)
		}
	}
}

// TestCTCStepAllocs: building the loss and its backward allocates nothing in steady state.
func TestCTCStepAllocs(t *testing.T) {
	dev, err := kernels.NewCPU[float32](kernels.CPUOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	targets, lengths := ctcTestBatch(0)
	logits := make([]float32, 6*5*4)
	g := NewGraph[float32](dev, nil)
	step := func() {
		g.Reset()
		x := g.FromHost(logits, 6, 5, 4)
		x.NeedsGrad = true
		loss, _ := g.CTCLoss(x, targets, lengths, CTCOptions{ZeroInfinity: true})
		g.Backward(loss)
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
