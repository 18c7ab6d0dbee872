package encoder_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

var cpu64 = kernels.MustCPU[float64]()

type namedConfig struct {
	name string
	cfg  encoder.Config
}

// stepCases are unidirectional stacks covering every SRU option and the LSTM.
func stepCases() []namedConfig {
	s := func(c sru.Config) encoder.Config { return encoder.Config{Kind: "sru", SRU: c} }
	l := func(c lstm.Config) encoder.Config { return encoder.Config{Kind: "lstm", LSTM: c} }
	return []namedConfig{
		{"sru k=3", s(sru.Config{InputSize: 4, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true})},
		{"sru k=4", s(sru.Config{InputSize: 5, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true})},
		{"sru no skip", s(sru.Config{InputSize: 5, HiddenSize: 4, NumLayers: 1})},
		{"sru rescale k=3", s(sru.Config{InputSize: 4, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true, Rescale: true, HighwayBias: -1})},
		{"sru rescale k=4", s(sru.Config{InputSize: 5, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true, Rescale: true, HighwayBias: -2})},
		{"sru tanh", s(sru.Config{InputSize: 4, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true, UseTanh: true})},
		{"sru layer norm pre", s(sru.Config{InputSize: 5, HiddenSize: 4, NumLayers: 2, HasSkipTerm: true, LayerNorm: true})},
		{"sru layer norm post", s(sru.Config{InputSize: 5, HiddenSize: 4, NumLayers: 2, HasSkipTerm: true, LayerNorm: true, NormalizeAfter: true})},
		{"sru projection", s(sru.Config{InputSize: 6, HiddenSize: 4, NumLayers: 2, HasSkipTerm: true, ProjectionSize: 2})},
		{"sru v1", s(sru.Config{InputSize: 4, HiddenSize: 4, NumLayers: 1, HasSkipTerm: true, V1: true, UseTanh: true})},
		{"sru 3 layers, dropouts", s(sru.Config{InputSize: 5, HiddenSize: 3, NumLayers: 3, HasSkipTerm: true, Dropout: 0.3, RNNDropout: 0.25, ForgetBias: 1})},
		{"lstm 1 layer", l(lstm.Config{InputSize: 5, HiddenSize: 4, NumLayers: 1})},
		{"lstm 2 layers", l(lstm.Config{InputSize: 5, HiddenSize: 4, NumLayers: 2})},
		{"lstm 2 layers, f bias 1", l(lstm.Config{InputSize: 3, HiddenSize: 5, NumLayers: 2, ForgetBias: 1})},
	}
}

// stepFixture is an encoder with perturbed parameters, an input x [L, B, In] and an initial
// state, all in float64.
type stepFixture struct {
	enc     nn.Encoder[float64]
	ps      *nn.Params[float64]
	L, B    int
	x       *nn.Tensor[float64]
	init    nn.RecurrentState[float64]
	initAll []*nn.Tensor[float64]
}

func newStepFixture(t testing.TB, cfg encoder.Config, L, B int) *stepFixture {
	ps := nn.NewParams[float64](cpu64)
	enc, err := encoder.New(ps, "", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range ps.List() { // move away from the init so that every term matters
		for i := range p.Data.Host() {
			p.Data.Host()[i] += (rng.Float64()*2 - 1) * 0.3
		}
	}
	leaf := func(shape ...int) *nn.Tensor[float64] {
		n := shape[0] * shape[1] * shape[2]
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64()*2 - 1
		}
		return &nn.Tensor[float64]{Data: kernels.HostBuf(v), Grad: kernels.HostBuf(make([]float64, n)), Shape: shape, NeedsGrad: true}
	}
	f := &stepFixture{enc: enc, ps: ps, L: L, B: B, x: leaf(L, B, enc.InputSize())}
	shape, hasH := enc.StateShape(B)
	f.init.C = leaf(shape[:]...)
	f.initAll = append(f.initAll, f.init.C)
	if hasH {
		f.init.H = leaf(shape[:]...)
		f.initAll = append(f.initAll, f.init.H)
	}
	return f
}

// step returns x's step t as a leaf [B, In] whose data and gradient are views of x's.
func (f *stepFixture) step(t int) *nn.Tensor[float64] {
	n := f.B * f.enc.InputSize()
	return &nn.Tensor[float64]{Data: f.x.Data.Slice(t*n, (t+1)*n), Grad: f.x.Grad.Slice(t*n, (t+1)*n),
		Shape: []int{f.B, f.enc.InputSize()}, NeedsGrad: true}
}

func (f *stepFixture) zeroGrads() {
	f.ps.ZeroGrad()
	for _, t := range append([]*nn.Tensor[float64]{f.x}, f.initAll...) {
		clear(t.Grad.Host())
	}
}

// grads copies every gradient: x, the initial state, then each parameter.
func (f *stepFixture) grads() [][]float64 {
	var out [][]float64
	for _, t := range append([]*nn.Tensor[float64]{f.x}, f.initAll...) {
		out = append(out, append([]float64(nil), t.Grad.Host()...))
	}
	for _, p := range f.ps.List() {
		out = append(out, append([]float64(nil), p.Grad.Host()...))
	}
	return out
}

// sequence runs Encode over the whole sequence; with upstream gradients gy [L·B·out] and
// gFinal (one per state part, C first) it also runs the backward.
func (f *stepFixture) sequence(g *nn.Graph[float64], gy []float64, gFinal [][]float64) (y []float64, final [][]float64) {
	out, fin := f.enc.Encode(g, f.x, kernels.Buf[float64]{}, f.init, nil)
	parts := []*nn.Tensor[float64]{fin.C}
	if fin.H != nil {
		parts = append(parts, fin.H)
	}
	if gy != nil {
		copy(g.Grad(out).Host(), gy)
		for i, p := range parts {
			copy(g.Grad(p).Host(), gFinal[i])
		}
		g.BackwardFrom()
	}
	y = append(y, out.Data.Host()...)
	for _, p := range parts {
		final = append(final, append([]float64(nil), p.Data.Host()...))
	}
	return y, final
}

// steps runs the same through a Stepper, one Step per time step (g nil: off the tape, no
// graph; reset: g is reset before every step, off the tape only).
func (f *stepFixture) steps(t *testing.T, st nn.Stepper[float64], g *nn.Graph[float64], reset bool, gy []float64, gFinal [][]float64) (y []float64, final [][]float64) {
	st.Start(g, f.B, f.init)
	n := f.B * f.enc.OutputSize()
	var outs []*nn.Tensor[float64]
	for s := 0; s < f.L; s++ {
		if reset {
			g.Reset()
		}
		h := st.Step(g, f.step(s))
		if len(h.Shape) != 2 || h.Shape[0] != f.B || h.Shape[1] != f.enc.OutputSize() {
			t.Fatalf("Step output %v, want [%d, %d]", h.Shape, f.B, f.enc.OutputSize())
		}
		y = append(y, h.Data.Host()...)
		outs = append(outs, h)
	}
	fin := st.State()
	parts := []*nn.Tensor[float64]{fin.C}
	if fin.H != nil {
		parts = append(parts, fin.H)
	}
	for _, p := range parts {
		final = append(final, append([]float64(nil), p.Data.Host()...))
	}
	if gy != nil {
		for s, h := range outs {
			copy(g.Grad(h).Host(), gy[s*n:(s+1)*n])
		}
		for i, p := range parts {
			copy(g.Grad(p).Host(), gFinal[i])
		}
		g.BackwardFrom()
	}
	return y, final
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func randomValues(n int, rng *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return v
}

// TestStepMatchesSequence checks that L single steps give the full-sequence forward (outputs
// and final states) on and off the tape, in training (the SRU's dropout masks drawn once per
// sequence) and in evaluation, and that on-tape steps give the sequence's gradients.
func TestStepMatchesSequence(t *testing.T) {
	const L, B = 5, 3
	for _, c := range stepCases() {
		cfg := c.cfg
		t.Run(c.name, func(t *testing.T) {
			f := newStepFixture(t, cfg, L, B)
			st, err := f.enc.NewStepper(cpu64)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, y, wantY []float64, fin, wantFin [][]float64) {
				t.Helper()
				if d := maxDiff(y, wantY); d > 1e-12 {
					t.Errorf("%s: outputs differ by %.3g", what, d)
				}
				for i := range wantFin {
					if d := maxDiff(fin[i], wantFin[i]); d > 1e-12 {
						t.Errorf("%s: final state part %d differs by %.3g", what, i, d)
					}
				}
			}
			newGraph := func(training, noGrad bool) *nn.Graph[float64] {
				g := nn.NewGraph[float64](cpu64, rand.New(rand.NewPCG(5, 6)))
				g.Training, g.NoGrad = training, noGrad
				return g
			}

			// Evaluation, off the tape with no graph.
			wantY, wantFin := f.sequence(newGraph(false, true), nil, nil)
			y, fin := f.steps(t, st, nil, false, nil, nil)
			check("no graph", y, wantY, fin, wantFin)

			// Training: the same masks when drawn from the same RNG.
			rng := rand.New(rand.NewPCG(7, 8))
			gy := randomValues(L*B*f.enc.OutputSize(), rng)
			var gFinal [][]float64
			for range wantFin {
				gFinal = append(gFinal, randomValues(len(wantFin[0]), rng))
			}
			f.zeroGrads()
			wantY, wantFin = f.sequence(newGraph(true, false), gy, gFinal)
			wantGrads := f.grads()

			y, fin = f.steps(t, st, newGraph(true, true), true, nil, nil)
			check("NoGrad graph reset every step, training", y, wantY, fin, wantFin)

			f.zeroGrads()
			y, fin = f.steps(t, st, newGraph(true, false), false, gy, gFinal)
			check("on the tape, training", y, wantY, fin, wantFin)
			grads := f.grads()
			for i := range wantGrads {
				name := fmt.Sprint("gradient ", i)
				if i == 0 {
					name = "gradient of x"
				} else if i <= len(f.initAll) {
					name = fmt.Sprint("gradient of the initial state part ", i-1)
				} else {
					name = "gradient of " + f.ps.List()[i-1-len(f.initAll)].Name
				}
				if i <= len(f.initAll) && maxDiff(grads[i], make([]float64, len(grads[i]))) == 0 {
					t.Errorf("%s is zero: no gradient reached it through the steps", name)
				}
				if d := maxDiff(grads[i], wantGrads[i]); d > 1e-10 {
					t.Errorf("%s differs by %.3g", name, d)
				}
			}
		})
	}
}

func TestBidirectionalCannotStep(t *testing.T) {
	for _, cfg := range []encoder.Config{
		{Kind: "sru", SRU: sru.Config{InputSize: 3, HiddenSize: 2, NumLayers: 1, Bidirectional: true}},
		{Kind: "lstm", LSTM: lstm.Config{InputSize: 3, HiddenSize: 2, NumLayers: 1, Bidirectional: true}},
	} {
		enc, err := encoder.New(nn.NewParams[float64](cpu64), "", cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enc.NewStepper(cpu64); err == nil {
			t.Errorf("%s: a bidirectional stack made a Stepper", cfg.Kind)
		} else {
			t.Log(err)
		}
	}
}
