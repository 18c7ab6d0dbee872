package nn

import (
	"bytes"
	"encoding/gob"
	"math"
	"slices"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// runSteps makes one scalar parameter per starting value, feeds it the gradients grads[i][k]
// at step k, and returns every parameter's value after each step.
func runSteps(t *testing.T, start []float64, grads [][]float64, mk func(*Params[float64]) Optimizer) [][]float64 {
	t.Helper()
	ps := NewParams[float64](cpu64)
	for i, v := range start {
		p := ps.Add(string(rune('a'+i)), 1)
		p.Data.Host()[0] = v
	}
	opt := mk(ps)
	got := make([][]float64, len(start))
	for k := range grads[0] {
		for i, p := range ps.List() {
			p.Grad.Host()[0] = grads[i][k]
		}
		opt.Step()
		for i, p := range ps.List() {
			got[i] = append(got[i], p.Data.Host()[0])
		}
	}
	return got
}

func near(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !(math.Abs(a[i]-b[i]) <= tol) {
			return false
		}
	}
	return true
}

// The expected values are worked out by hand from the update rules of torch.optim.SGD/Adam.
func TestSGDHandComputed(t *testing.T) {
	cases := []struct {
		name  string
		cfg   SGDConfig
		grads []float64
		want  []float64
	}{
		// p −= 0.1·(g + 0.1·p): 1 − 0.11 = 0.89, 0.89 − 0.1·1.089 = 0.7811, ...
		{"weight decay", SGDConfig{LR: 0.1, WeightDecay: 0.1}, []float64{1, 1, 1}, []float64{0.89, 0.7811, 0.673289}},
		// buf = 1, −1.1, −0.49: p = 0.9, 1.01, 1.059
		{"momentum", SGDConfig{LR: 0.1, Momentum: 0.9}, []float64{1, -2, 0.5}, []float64{0.9, 1.01, 1.059}},
		// g' = 1.1, buf = 1.1, update g' + 0.9·buf = 2.09: p = 0.791; then g' = −1.9209, ...
		{"nesterov with weight decay", SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1, Nesterov: true},
			[]float64{1, -2, 0.5}, []float64{0.791, 1.066871, 1.027003351}},
	}
	for _, c := range cases {
		got := runSteps(t, []float64{1}, [][]float64{c.grads}, func(ps *Params[float64]) Optimizer { return NewSGD(ps, c.cfg) })
		if !near(got[0], c.want, 1e-12) {
			t.Errorf("SGD %s: %v, want %v", c.name, got[0], c.want)
		}
	}
}

func TestAdamHandComputed(t *testing.T) {
	// Step 1 moves by lr whatever the gradient (bias correction makes m̂/√v̂ = ±1, here 1 less
	// 1e-8 for eps). Step 2 (g = −2): m = −0.11, v = 0.004999, m̂ = −0.11/0.19,
	// v̂ = 0.004999/0.001999, p = 0.9 + 0.1·0.578947/1.581377 = 0.93661035.
	got := runSteps(t, []float64{1}, [][]float64{{1, -2, 0.5}},
		func(ps *Params[float64]) Optimizer { return NewAdam(ps, DefaultAdam(0.1)) })
	if want := []float64{0.900000001, 0.9366103534720749, 0.9502794196738216}; !near(got[0], want, 1e-12) {
		t.Errorf("Adam: %v, want %v", got[0], want)
	}
	got = runSteps(t, []float64{-0.5}, [][]float64{{0.3, 0.3, -1}},
		func(ps *Params[float64]) Optimizer {
			c := DefaultAdam(0.1)
			c.WeightDecay = 0.1 // g' = 0.3 − 0.05 = 0.25 > 0 at step 1: p = −0.6
			return NewAdam(ps, c)
		})
	if want := []float64{-0.5999999960000002, -0.6998728039530586, -0.662866915635323}; !near(got[0], want, 1e-12) {
		t.Errorf("Adam with weight decay: %v, want %v", got[0], want)
	}
}

// sparseFixture makes a dense parameter and a row-sparse table [4, 2] whose rows 1 and 2 are
// touched, with a gradient everywhere (the untouched rows' gradient must be ignored).
func sparseFixture() (*Params[float64], *Param[float64], *Param[float64]) {
	ps := NewParams[float64](cpu64)
	dense := ps.Add("dense", 3)
	emb := ps.Add("emb", 4, 2)
	emb.RowSparse = true
	frozen := ps.Add("frozen", 2)
	frozen.NeedsGrad = false
	for i := range emb.Data.Host() {
		emb.Data.Host()[i] = float64(i) + 1
		emb.Grad.Host()[i] = 0.5 - float64(i)/4
	}
	copy(dense.Data.Host(), []float64{1, -1, 2})
	copy(dense.Grad.Host(), []float64{0.2, 0.1, -0.3})
	copy(frozen.Data.Host(), []float64{7, 8})
	copy(frozen.Grad.Host(), []float64{1, 1})
	emb.Touch([]int32{2, 1})
	return ps, dense, emb
}

// TestRowSparseUpdates: only touched rows move (with their momentum and decay); a dense twin
// of the touched rows moves identically; frozen parameters never move.
func TestRowSparseUpdates(t *testing.T) {
	mks := map[string]func(*Params[float64]) Optimizer{
		"sgd": func(ps *Params[float64]) Optimizer {
			return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1})
		},
		"adam": func(ps *Params[float64]) Optimizer { c := DefaultAdam(0.1); c.WeightDecay = 0.1; return NewAdam(ps, c) },
	}
	for name, mk := range mks {
		ps, _, emb := sparseFixture()
		before := slices.Clone(emb.Data.Host())
		// the twin: the touched rows 1..2 as a dense parameter with the same gradient
		tps := NewParams[float64](cpu64)
		twin := tps.Add("twin", 2, 2)
		copy(twin.Data.Host(), before[2:6])
		copy(twin.Grad.Host(), emb.Grad.Host()[2:6])
		opt, topt := mk(ps), mk(tps)
		for range 3 {
			opt.Step()
			topt.Step()
		}
		got := emb.Data.Host()
		if !slices.Equal(got[0:2], before[0:2]) || !slices.Equal(got[6:8], before[6:8]) {
			t.Errorf("%s: untouched rows moved: %v from %v", name, got, before)
		}
		if !near(got[2:6], twin.Data.Host(), 1e-15) || slices.Equal(got[2:6], before[2:6]) {
			t.Errorf("%s: touched rows %v, want %v", name, got[2:6], twin.Data.Host())
		}
		if f := ps.Get("frozen").Data.Host(); !slices.Equal(f, []float64{7, 8}) {
			t.Errorf("%s: frozen parameter moved to %v", name, f)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	ps, dense, emb := sparseFixture()
	// touched rows 1, 2 of emb: 0, −0.25, −0.5, −0.75; dense 0.2, 0.1, −0.3; frozen excluded
	ss := 0.0625 + 0.25 + 0.5625 + 0.04 + 0.01 + 0.09
	embBefore := slices.Clone(emb.Grad.Host())
	if n := ClipGradNorm(ps, 10); math.Abs(n-math.Sqrt(ss)) > 1e-12 {
		t.Errorf("norm %g, want %g", n, math.Sqrt(ss))
	}
	if !slices.Equal(emb.Grad.Host(), embBefore) {
		t.Error("a norm under the limit changed the gradients")
	}
	n := ClipGradNorm(ps, 0.5)
	k := 0.5 / (n + 1e-6)
	want := slices.Clone(embBefore)
	for i := 2; i < 6; i++ {
		want[i] *= k
	}
	if !near(emb.Grad.Host(), want, 1e-15) || !near(dense.Grad.Host(), []float64{0.2 * k, 0.1 * k, -0.3 * k}, 1e-15) {
		t.Errorf("clipped gradients %v %v", emb.Grad.Host(), dense.Grad.Host())
	}
	if f := ps.Get("frozen").Grad.Host(); !slices.Equal(f, []float64{1, 1}) {
		t.Errorf("frozen gradient scaled to %v", f)
	}
	dense.Grad.Host()[0] = math.Inf(1)
	if n := ClipGradNorm(ps, 0.5); !math.IsInf(n, 1) || dense.Grad.Host()[1] != 0.1*k {
		t.Errorf("non-finite norm: got %g and gradients %v", n, dense.Grad.Host())
	}
}

func TestOptimizerLR(t *testing.T) {
	ps, dense, _ := sparseFixture()
	opt := NewSGD(ps, SGDConfig{LR: 0.1})
	opt.SetLR(0.5)
	opt.Step()
	if opt.LR() != 0.5 || !near(dense.Data.Host(), []float64{0.9, -1.05, 2.15}, 1e-15) {
		t.Errorf("after a step at lr %g: %v", opt.LR(), dense.Data.Host())
	}
}

// TestOptimizerStateRoundTrip: a state saved mid-run (through gob, as a checkpoint would) and
// loaded into a fresh optimizer continues the run bit for bit, in both precisions.
func TestOptimizerStateRoundTrip(t *testing.T) {
	testStateRoundTrip[float64](t, cpu64)
	testStateRoundTrip[float32](t, kernels.MustCPU[float32]())
}

func testStateRoundTrip[T kernels.Float](t *testing.T, dev kernels.Device[T]) {
	mks := map[string]func(*Params[T]) Optimizer{
		"sgd":  func(ps *Params[T]) Optimizer { return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}) },
		"adam": func(ps *Params[T]) Optimizer { return NewAdam(ps, DefaultAdam(0.01)) },
	}
	mkParams := func() *Params[T] {
		ps := NewParams[T](dev)
		a, b := ps.Add("a", 3), ps.Add("b", 2, 2)
		copy(a.Data.Host(), []T{0.1, 0.2, 0.3})
		copy(b.Data.Host(), []T{1, 2, 3, 4})
		return ps
	}
	setGrads := func(ps *Params[T], step int) {
		for _, p := range ps.List() {
			for i := range p.Grad.Host() {
				p.Grad.Host()[i] = T(math.Sin(float64(step*7 + i + p.Len())))
			}
		}
	}
	for name, mk := range mks {
		ps := mkParams()
		opt := mk(ps)
		for s := range 3 {
			setGrads(ps, s)
			opt.Step()
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(opt.State()); err != nil {
			t.Fatal(err)
		}
		var st OptimState
		if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
			t.Fatal(err)
		}
		ps2 := mkParams()
		for i, p := range ps.List() {
			copy(ps2.List()[i].Data.Host(), p.Data.Host())
		}
		opt2 := mk(ps2)
		if err := opt2.LoadState(&st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for s := 3; s < 5; s++ {
			setGrads(ps, s)
			setGrads(ps2, s)
			opt.Step()
			opt2.Step()
		}
		for i, p := range ps.List() {
			if q := ps2.List()[i]; !slices.Equal(p.Data.Host(), q.Data.Host()) {
				var z T
				t.Errorf("%T %s: %s after reload %v, want %v", z, name, p.Name, q.Data.Host(), p.Data.Host())
			}
		}
	}
}

func TestOptimizerLoadStateErrors(t *testing.T) {
	ps, _, _ := sparseFixture()
	adam := NewAdam(ps, DefaultAdam(0.1))
	good := adam.State()
	edit := func(f func(s *OptimState)) *OptimState {
		s := adam.State()
		f(s)
		return s
	}
	bad := map[string]*OptimState{
		"kind":     edit(func(s *OptimState) { s.Kind = "sgd" }),
		"missing":  edit(func(s *OptimState) { s.Buffers = s.Buffers[1:] }),
		"repeated": edit(func(s *OptimState) { s.Buffers[1] = s.Buffers[0] }),
		"unknown":  edit(func(s *OptimState) { s.Buffers[0].Param = "nope" }),
		"length":   edit(func(s *OptimState) { s.Buffers[0].Data = s.Buffers[0].Data[1:] }),
	}
	for name, s := range bad {
		s.Steps = 9
		if err := adam.LoadState(s); err == nil {
			t.Errorf("%s: no error", name)
		}
		if adam.steps != 0 {
			t.Fatalf("%s: a failed load changed the state", name)
		}
	}
	if err := adam.LoadState(good); err != nil {
		t.Error(err)
	}
	if err := NewSGD(ps, SGDConfig{LR: 1}).LoadState(good); err == nil {
		t.Error("adam state loaded into SGD")
	}
}
