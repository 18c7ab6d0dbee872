package sru_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// TestModuleFiniteDifferences checks the whole module's gradients (inputs, c0 and every
// parameter) against float64 central differences in training mode, where the golden cases
// (evaluation mode) do not reach: dropout inside the recurrence, variational input dropout,
// together with padding, projection, layer norm and both directions.
func TestModuleFiniteDifferences(t *testing.T) {
	cases := []sru.Config{
		{InputSize: 5, HiddenSize: 3, NumLayers: 2, Dropout: 0.3, RNNDropout: 0.2, Bidirectional: true, HasSkipTerm: true},
		{InputSize: 6, HiddenSize: 4, NumLayers: 2, Dropout: 0.25, ProjectionSize: 2, UseTanh: true, HasSkipTerm: true, Rescale: true, HighwayBias: -1},
		{InputSize: 4, HiddenSize: 4, NumLayers: 2, LayerNorm: true, Dropout: 0.3, HasSkipTerm: true},
		{InputSize: 4, HiddenSize: 4, NumLayers: 1, LayerNorm: true, NormalizeAfter: true, RNNDropout: 0.3, HasSkipTerm: false},
		{InputSize: 3, HiddenSize: 3, NumLayers: 2, V1: true, UseTanh: true, Dropout: 0.2, HasSkipTerm: true},
		{InputSize: 4, HiddenSize: 3, NumLayers: 2, V1: true, UseTanh: true, Dropout: 0.3, DropoutTop: true, RNNDropout: 0.2, Bidirectional: true, HasSkipTerm: true},
		{InputSize: 5, HiddenSize: 3, NumLayers: 3, RNNDropout: 0.3, KeepFirstInput: true, Bidirectional: true, HasSkipTerm: true},
	}
	for i, cfg := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkModule(t, cfg, i%2 == 0) })
	}
}

func checkModule(t *testing.T, cfg sru.Config, padded bool) {
	dev := kernels.MustCPU[float64]()
	ps := nn.NewParams[float64](dev)
	m, err := sru.New(ps, "", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	L, B := 4, 3
	out := cfg.OutputSize()
	rng := rand.New(rand.NewPCG(3, 4))
	newInput := func(shape ...int) *nn.Tensor[float64] {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64()*2 - 1
		}
		return &nn.Tensor[float64]{Data: kernels.HostBuf(v), Grad: kernels.HostBuf(make([]float64, n)), Shape: shape, NeedsGrad: true}
	}
	x := newInput(L, B, cfg.InputSize)
	c0 := newInput(cfg.NumLayers, B, out)
	// Perturb the parameters away from their init so that every term matters.
	for _, p := range ps.List() {
		for i := range p.Data.Host() {
			p.Data.Host()[i] += (rng.Float64()*2 - 1) * 0.3
		}
	}
	var pad kernels.Buf[float64]
	if padded {
		pad = kernels.HostBuf([]float64{0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1}) // lengths 4, 2, 1
	}
	gh := make([]float64, L*B*out)
	gc := make([]float64, cfg.NumLayers*B*out)
	for i := range gh {
		gh[i] = rng.Float64()*2 - 1
	}
	for i := range gc {
		gc[i] = rng.Float64()*2 - 1
	}
	g := nn.NewGraph[float64](dev, nil)
	g.Training = true
	loss := func() float64 {
		g.Reset()
		g.RNG = rand.New(rand.NewPCG(5, 6)) // the same dropout masks every time
		h, c := m.Forward(g, x, c0, pad)
		var l float64
		for i, v := range h.Data.Host() {
			l += v * gh[i]
		}
		for i, v := range c.Data.Host() {
			l += v * gc[i]
		}
		return l
	}
	loss()
	g.Reset()
	g.RNG = rand.New(rand.NewPCG(5, 6))
	h, c := m.Forward(g, x, c0, pad)
	copy(g.Grad(h).Host(), gh)
	copy(g.Grad(c).Host(), gc)
	g.BackwardFrom()

	check := func(name string, data, grad []float64) {
		analytic := append([]float64(nil), grad...)
		for i := range data {
			orig := data[i]
			data[i] = orig + 1e-6
			lp := loss()
			data[i] = orig - 1e-6
			lm := loss()
			data[i] = orig
			num := (lp - lm) / 2e-6
			if math.Abs(num-analytic[i]) > 1e-6*(1+math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %.9g, numeric %.9g", name, i, analytic[i], num)
				return
			}
		}
	}
	check("x", x.Data.Host(), x.Grad.Host())
	check("c0", c0.Data.Host(), c0.Grad.Host())
	for _, p := range ps.List() {
		if p.NeedsGrad {
			check(p.Name, p.Data.Host(), p.Grad.Host())
		} else {
			for _, v := range p.Grad.Host() {
				if v != 0 {
					t.Errorf("frozen %s got a gradient", p.Name)
					break
				}
			}
		}
	}
}

// TestDropoutTop: with dropout_top the last layer's h is dropped in training (it differs from
// the same module's without), and evaluation is unchanged.
func TestDropoutTop(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	cfg := sru.Config{InputSize: 4, HiddenSize: 4, NumLayers: 1, Dropout: 0.5, HasSkipTerm: true}
	top := cfg
	top.DropoutTop = true
	x := &nn.Tensor[float64]{Data: kernels.HostBuf(make([]float64, 3*2*4)), Shape: []int{3, 2, 4}}
	for i := range x.Data.Host() {
		x.Data.Host()[i] = math.Sin(float64(i))
	}
	run := func(cfg sru.Config, training bool) []float64 {
		m, err := sru.New(nn.NewParams[float64](dev), "", cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		g := nn.NewGraph[float64](dev, nil)
		g.Training, g.RNG = training, rand.New(rand.NewPCG(5, 6))
		h, _ := m.Forward(g, x, nil, kernels.Buf[float64]{})
		return append([]float64(nil), h.Data.Host()...)
	}
	// dropout_top also scales the init (block 0 by sqrt(1-dropout), as the official cell's), so
	// each module is compared with itself: training against evaluation.
	if slices.Equal(run(top, false), run(top, true)) {
		t.Error("dropout_top: training output equals evaluation output; the top layer's h is not dropped")
	}
	if !slices.Equal(run(cfg, false), run(cfg, true)) {
		t.Error("without dropout_top a one-layer module's training output differs from evaluation")
	}
}
