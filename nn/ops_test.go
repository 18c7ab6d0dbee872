package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// Finite-difference checks of every op, on shapes that are not all equal, with the cases that
// a wrong backward gets wrong: padded steps, ignored targets, padding and repeated embedding
// ids, shared dropout masks, an input used twice.

func TestGradActivations(t *testing.T) {
	for _, act := range []kernels.Act{kernels.Sigmoid, kernels.Tanh, kernels.ReLU} {
		checkGrad(t, gradCase{
			name:   "activation",
			shapes: [][]int{{3, 5}},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				return g.Activate(act, g.Scale(in[0], 2))
			},
		})
	}
	checkGrad(t, gradCase{
		name:   "sigmoid∘tanh∘relu",
		shapes: [][]int{{2, 3, 4}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.Sigmoid(g.Tanh(g.ReLU(in[0])))
		},
	})
}

func TestGradArithmetic(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "(a+b)⊙(0.7·a) + b⊙b",
		shapes: [][]int{{2, 3, 4}, {6, 4}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			a, b := in[0], in[1]
			return g.Add(g.Mul(g.Add(a, b), g.Scale(a, 0.7)), g.Mul(b, b))
		},
	})
	checkGrad(t, gradCase{
		name:   "a⊙c with c constant, a+a",
		shapes: [][]int{{4, 3}, {4, 3}},
		noGrad: map[int]bool{1: true},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.Mul(g.Add(in[0], in[0]), in[1])
		},
	})
	checkGrad(t, gradCase{
		name:   "an intermediate used by several products and sums",
		shapes: [][]int{{3, 4}, {12}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			u, v := g.Tanh(in[0]), g.Sigmoid(in[1])
			return g.Add(g.Mul(u, v), g.Add(g.Mul(u, u), g.Add(v, u)))
		},
	})
}

func TestGradConcatSlice(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "slice of concat",
		shapes: [][]int{{2, 3, 4}, {2, 3, 1}, {2, 3, 5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.Slice(g.Concat(in[0], in[1], in[2]), 2, 8)
		},
	})
	checkGrad(t, gradCase{
		name:   "concat of an input with slices of itself",
		shapes: [][]int{{5, 6}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			x := g.Tanh(in[0]) // the concat's input grads are then fresh buffers
			return g.Concat(g.Slice(x, 1, 3), x, g.Slice(in[0], 5, 6))
		},
	})
	checkGrad(t, gradCase{
		name:   "two concats of the same intermediates (fresh, then accumulated grads)",
		shapes: [][]int{{5, 6}, {5, 2}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			x, y := g.Tanh(in[0]), g.Tanh(in[1])
			return g.Add(g.Concat(x, y), g.Concat(y, x))
		},
	})
}

func TestConcatSliceValues(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	a := g.FromHost([]float64{1, 2, 3, 4}, 2, 2)
	b := g.FromHost([]float64{5, 6}, 2, 1)
	c := g.Concat(a, b)
	if want := []float64{1, 2, 5, 3, 4, 6}; !slices.Equal(c.Data.Host(), want) || !slices.Equal(c.Shape, []int{2, 3}) {
		t.Errorf("Concat: %v %v, want %v [2 3]", c.Data.Host(), c.Shape, want)
	}
	s := g.Slice(c, 1, 3)
	if want := []float64{2, 5, 4, 6}; !slices.Equal(s.Data.Host(), want) {
		t.Errorf("Slice: %v, want %v", s.Data.Host(), want)
	}
}

func TestGradEmbedding(t *testing.T) {
	ids := []int32{3, -1, 0, 3, 5, 3, -2}
	for _, sparse := range []bool{false, true} {
		var table *Param[float64]
		checkGrad(t, gradCase{
			name:   "embedding with padding and repeated ids",
			shapes: [][]int{{6, 4}, {7, 4}},
			noGrad: map[int]bool{1: true},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				table = &Param[float64]{Tensor: *in[0], Name: "emb", RowSparse: sparse}
				// the multiplier makes the output depend on the row, so a gradient sent to the
				// wrong row or a padding row's gradient taken in shows
				return g.Tanh(g.Mul(g.Embedding(table, ids), in[1]))
			},
		})
		out := NewGraph[float64](cpu64, nil).Embedding(table, ids).Data.Host()
		for r, id := range ids {
			for c := 0; c < 4; c++ {
				want := 0.0
				if id >= 0 {
					want = table.Data.Host()[int(id)*4+c]
				}
				if out[r*4+c] != want {
					t.Fatalf("embedding row %d (id %d) col %d: %g, want %g", r, id, c, out[r*4+c], want)
				}
			}
		}
		if sparse && !slices.Equal(table.Touched, []int32{0, 3, 5}) {
			t.Errorf("Touched %v, want [0 3 5]", table.Touched)
		}
	}
}

// TestEmbeddingNoGradTouchesNothing: evaluation graphs leave Touched alone.
func TestEmbeddingNoGradTouchesNothing(t *testing.T) {
	ps := NewParams[float64](cpu64)
	emb := ps.Add("emb", 5, 2)
	emb.RowSparse = true
	g := NewGraph[float64](cpu64, nil)
	g.NoGrad = true
	g.Embedding(emb, []int32{1, 2})
	if len(emb.Touched) != 0 {
		t.Errorf("Touched %v after a NoGrad lookup", emb.Touched)
	}
}

func TestGradDropout(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "dropout",
		shapes: [][]int{{5, 8}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.Dropout(g.Tanh(in[0]), 0.4)
		},
	})
	checkGrad(t, gradCase{
		name:   "variational dropout, added to plain dropout of the same input",
		shapes: [][]int{{4, 3, 5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			// an intermediate: the last dropout's backward makes its gradient, the first adds
			x := g.Tanh(in[0])
			return g.Add(g.DropoutSeq(x, 0.5), g.Dropout(x, 0.3))
		},
	})
	checkGrad(t, gradCase{
		name:   "plain dropout, added to variational dropout of the same input",
		shapes: [][]int{{4, 3, 5}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			x := g.Tanh(in[0])
			return g.Add(g.Dropout(x, 0.3), g.DropoutSeq(x, 0.5))
		},
	})
}

func TestDropoutMasks(t *testing.T) {
	const L, B, D, p = 6, 4, 50, 0.3
	g := NewGraph[float64](cpu64, rand.New(rand.NewPCG(1, 2)))
	g.Training = true
	ones := make([]float64, L*B*D)
	for i := range ones {
		ones[i] = 1
	}
	x := g.FromHost(ones, L, B, D)
	keep := 1 / (1 - p)

	seq := g.DropoutSeq(x, p).Data.Host()
	zeros := 0
	for i, v := range seq {
		if v != 0 && math.Abs(v-keep) > 1e-15 {
			t.Fatalf("DropoutSeq value %g, want 0 or %g", v, keep)
		}
		if v != seq[i%(B*D)] {
			t.Fatalf("DropoutSeq: element %d differs from step 0: the mask must be shared over time", i)
		}
		if v == 0 && i < B*D {
			zeros++
		}
	}
	if frac := float64(zeros) / (B * D); math.Abs(frac-p) > 0.1 {
		t.Errorf("DropoutSeq dropped %.2f of the mask, want about %g", frac, p)
	}

	plain := g.Dropout(x, p).Data.Host()
	differ := false
	for i := B * D; i < len(plain); i++ {
		differ = differ || plain[i] != plain[i%(B*D)]
	}
	if !differ {
		t.Error("Dropout repeats one mask over time; it should draw per element")
	}

	g.Training = false
	if g.Dropout(x, p) != x || g.DropoutSeq(x, p) != x || !DropoutMask(g, 5, p).IsNil() {
		t.Error("dropout in evaluation must be the identity")
	}
	g.Training = true
	if g.Dropout(x, 0) != x {
		t.Error("dropout with p = 0 must be the identity")
	}
}

func TestGradLayerNorm(t *testing.T) {
	for _, affine := range []struct{ gamma, beta bool }{{true, true}, {false, false}, {true, false}, {false, true}} {
		checkGrad(t, gradCase{
			name:   "layer norm",
			shapes: [][]int{{2, 3, 7}, {7}, {7}},
			init: func(i int, data []float64, rng *rand.Rand) {
				for j := range data {
					data[j] = rng.Float64()*4 - 2
					if i == 1 {
						data[j] += 1 // gains around 1
					}
				}
			},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				var gamma, beta *Tensor[float64]
				if affine.gamma {
					gamma = in[1]
				}
				if affine.beta {
					beta = in[2]
				}
				return g.LayerNorm(in[0], gamma, beta, 1e-5) // an unused input must get 0
			},
		})
	}
}

func TestGradLogSoftmax(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "log softmax",
		shapes: [][]int{{4, 6}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.LogSoftmax(g.Scale(in[0], 3))
		},
	})
}

func TestGradCrossEntropy(t *testing.T) {
	const ignore = -100
	targets := []int32{2, ignore, 0, 4, 4, ignore, 1}
	for _, c := range []struct {
		weighted  bool
		smoothing float64
	}{{false, 0}, {true, 0}, {false, 0.2}, {true, 0.3}, {true, 1}} {
		weighted := c.weighted
		checkGrad(t, gradCase{
			name:   fmt.Sprintf("cross entropy with ignored rows, weighted=%v, smoothing %g", c.weighted, c.smoothing),
			shapes: [][]int{{7, 5}, {5}},
			noGrad: map[int]bool{1: true},
			init: func(i int, data []float64, rng *rand.Rand) {
				for j := range data {
					data[j] = rng.Float64()*6 - 3
					if i == 1 {
						data[j] = 0.5 + rng.Float64()*2
					}
				}
			},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				var w *Tensor[float64]
				if weighted {
					w = in[1]
				}
				// the tanh before the loss makes a wrong scale of the upstream gradient show
				return g.Tanh(g.CrossEntropySmoothed(in[0], targets, w, ignore, c.smoothing))
			},
		})
	}
}

func TestCrossEntropyValues(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	logits := g.FromHost([]float64{0, 0, 1, 2, 3, 0}, 3, 2) // rows: (0, 0), (1, 2), (3, 0)
	w := g.FromHost([]float64{2, 0.5}, 2)
	loss, sum, wsum := g.CrossEntropyStats(logits, []int32{1, -1, 0}, w, -1)
	// row 0: target 1, nll = log 2, weight 0.5; row 2: target 0, nll = log(1+e^−3), weight 2
	n0, n2 := math.Log(2), math.Log(1+math.Exp(-3))
	wantSum, wantW := 0.5*n0+2*n2, 2.5
	if math.Abs(sum-wantSum) > 1e-12 || wsum != wantW || math.Abs(loss.Data.Host()[0]-wantSum/wantW) > 1e-12 {
		t.Errorf("got loss %g, sum %g, weight %g; want %g, %g, %g", loss.Data.Host()[0], sum, wsum, wantSum/wantW, wantSum, wantW)
	}
	none := g.CrossEntropy(logits, []int32{-1, -1, -1}, nil, -1)
	if none.Data.Host()[0] != 0 {
		t.Errorf("all rows ignored: loss %g, want 0", none.Data.Host()[0])
	}
}

func TestGradPoolOverTime(t *testing.T) {
	const L, B, D = 5, 3, 4
	lens := []int{5, 2, 0} // the last sequence is padding only
	pad := make([]float64, L*B)
	for b, n := range lens {
		for s := n; s < L; s++ {
			pad[s*B+b] = 1
		}
	}
	for _, withPad := range []bool{false, true} {
		var p kernels.Buf[float64]
		if withPad {
			p = kernels.HostBuf(pad)
		}
		checkGrad(t, gradCase{
			name:   "max and mean over time",
			shapes: [][]int{{L, B, D}},
			f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
				// padded steps hold large values: taking them in would change max and mean
				return g.Concat(g.MaxOverTime(in[0], p), g.MeanOverTime(in[0], p))
			},
			init: func(_ int, data []float64, rng *rand.Rand) {
				for j := range data {
					data[j] = rng.Float64()*2 - 1
					if withPad && pad[j/D] != 0 {
						data[j] += 5
					}
				}
			},
		})
	}
}

// TestTrainingStepAllocs: a steady-state step of a small model (embedding, dropout, linear,
// tanh, layer norm, linear, cross entropy, clipping, Adam or SGD) allocates nothing.
func TestTrainingStepAllocs(t *testing.T) {
	dev, err := kernels.NewCPU[float32](kernels.CPUOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	const L, B, V, E, H, C = 6, 4, 50, 16, 32, 10
	rng := rand.New(rand.NewPCG(1, 1))
	ps := NewParams[float32](dev)
	emb, w1, b1 := ps.Add("emb", V, E), ps.Add("w1", 2*E, H), ps.Add("b1", H)
	gam, w2, b2 := ps.Add("ln", H), ps.Add("w2", H, C), ps.Add("b2", C)
	for _, p := range ps.List() {
		for i := range p.Data.Host() {
			p.Data.Host()[i] = float32(rng.Float64()*0.2 - 0.1)
		}
	}
	ids, targets := make([]int32, L*B), make([]int32, B)
	for i := range ids {
		ids[i] = int32(rng.IntN(V+1)) - 1
	}
	for i := range targets {
		targets[i] = int32(rng.IntN(C))
	}
	targets[1] = -1
	g := NewGraph[float32](dev, rand.New(rand.NewPCG(2, 2)))
	g.Training = true
	var opt Optimizer
	step := func() {
		g.Reset()
		ps.ZeroGrad()
		x := g.Reshape(g.Embedding(emb, ids), L, B, E)
		x = g.DropoutSeq(x, 0.2)
		pooled := g.Concat(g.MaxOverTime(x, kernels.Buf[float32]{}), g.MeanOverTime(x, kernels.Buf[float32]{}))
		h := g.Tanh(g.Linear(g.Dropout(pooled, 0.1), &w1.Tensor, &b1.Tensor))
		h = g.LayerNorm(h, &gam.Tensor, nil, 1e-5)
		logits := g.Linear(g.Slice(h, 0, H), &w2.Tensor, &b2.Tensor)
		loss := g.CrossEntropy(g.LogSoftmax(logits), targets, nil, -1)
		g.Backward(loss)
		ClipGradNorm(ps, 1)
		opt.Step()
	}
	for _, o := range []Optimizer{NewAdam(ps, DefaultAdam(1e-3)), NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9})} {
		opt = o
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%v allocations per training step with %T", n, o)
		}
	}
}

// TestLossTotals: totals accumulated on the device over batches equal the sums of
// CrossEntropyStats, batch by batch.
func TestLossTotals(t *testing.T) {
	g := NewGraph[float64](cpu64, nil)
	g.NoGrad = true
	totals := NewLossTotals[float64](cpu64)
	defer totals.Free()
	batches := []struct {
		logits  []float64
		targets []int32
	}{
		{[]float64{0, 1, 2, 3, 1, 0}, []int32{2, -1}},
		{[]float64{1, 1, 1, 0, 0, 5, 2, 1, 0}, []int32{0, 2, 1}},
		{[]float64{4, 0, 0}, []int32{-1}},
	}
	w := g.FromHost([]float64{1, 0.5, 2}, 3)
	for round := 0; round < 2; round++ {
		totals.Reset()
		var wantSum, wantW float64
		for _, b := range batches {
			logits := g.FromHost(b.logits, len(b.targets), 3)
			_, s, ws := g.CrossEntropyStats(logits, b.targets, w, -1)
			wantSum, wantW = wantSum+s, wantW+ws
			g.CrossEntropyInto(totals, logits, b.targets, w, -1)
		}
		sum, ws := totals.Read()
		if math.Abs(sum-wantSum) > 1e-12 || ws != wantW {
			t.Errorf("round %d: totals %v, %v; want %v, %v", round, sum, ws, wantSum, wantW)
		}
	}
}
