package golden_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// sruConfig turns a case's config into an sru.Config; an option this package does not know
// is an error, so a case testing something new fails rather than passing unchecked.
func sruConfig(c *golden.Case) (sru.Config, error) {
	known := map[string]bool{"input_size": true, "hidden_size": true, "num_layers": true,
		"bidirectional": true, "has_skip_term": true, "rescale": true, "highway_bias": true,
		"use_tanh": true, "layer_norm": true, "normalize_after": true, "projection_size": true,
		"v1": true, "dropout": true, "rnn_dropout": true}
	for k := range c.Config {
		if !known[k] {
			return sru.Config{}, fmt.Errorf("unsupported SRU option %q", k)
		}
	}
	var cfg sru.Config
	var errs []error
	geti := func(k string, def int) int { v, err := c.Int(k, def); errs = append(errs, err); return v }
	getf := func(k string, def float64) float64 { v, err := c.Float(k, def); errs = append(errs, err); return v }
	getb := func(k string, def bool) bool { v, err := c.Bool(k, def); errs = append(errs, err); return v }
	cfg.InputSize = geti("input_size", 0)
	cfg.HiddenSize = geti("hidden_size", 0)
	cfg.NumLayers = geti("num_layers", 2)
	cfg.Bidirectional = getb("bidirectional", false)
	cfg.HasSkipTerm = getb("has_skip_term", true)
	cfg.Rescale = getb("rescale", false)
	cfg.HighwayBias = getf("highway_bias", 0)
	cfg.UseTanh = getb("use_tanh", false)
	cfg.LayerNorm = getb("layer_norm", false)
	cfg.NormalizeAfter = getb("normalize_after", false)
	cfg.ProjectionSize = geti("projection_size", 0)
	cfg.V1 = getb("v1", false)
	// Dropout settings only matter in training; golden cases run in evaluation mode.
	cfg.Dropout = getf("dropout", 0)
	cfg.RNNDropout = getf("rnn_dropout", 0)
	for _, err := range errs {
		if err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

func toT[T kernels.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func to64[T kernels.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// input makes a persistent tensor from case data with a gradient buffer.
func input[T kernels.Float](dev kernels.Device[T], gt *golden.Tensor) *nn.Tensor[T] {
	t := &nn.Tensor[T]{Data: dev.Alloc(len(gt.Data)), Grad: dev.Alloc(len(gt.Data)),
		Shape: append([]int(nil), gt.Shape...), NeedsGrad: true}
	dev.Upload(t.Data, toT[T](gt.Data))
	return t
}

func download[T kernels.Float](dev kernels.Device[T], b kernels.Buf[T]) []float64 {
	h := make([]T, b.Len())
	dev.Download(h, b)
	return to64(h)
}

// comparer collects max-abs-error checks of one case.
type comparer struct {
	t   *testing.T
	tol float64
}

func (c comparer) check(what string, got []float64, want *golden.Tensor) {
	c.t.Helper()
	if want == nil {
		c.t.Errorf("%s: missing from the case", what)
		return
	}
	if d := golden.MaxAbsDiff(got, want.Data); d > c.tol {
		c.t.Errorf("%s: max abs error %.3g > %.1g", what, d, c.tol)
	}
}

func checkSRU[T kernels.Float](t *testing.T, gc *golden.Case, dev kernels.Device[T], tol float64) {
	cfg, err := sruConfig(gc)
	if err != nil {
		t.Fatal(err)
	}
	ps := nn.NewParams(dev)
	m, err := sru.New(ps, "", cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// Every parameter of the module must come from the case, and the case may hold no other.
	var names []string
	for _, p := range ps.List() {
		gt := gc.Params[p.Name]
		if gt == nil {
			t.Fatalf("parameter %s is not in the case", p.Name)
		}
		if fmt.Sprint(gt.Shape) != fmt.Sprint(p.Shape) {
			t.Fatalf("parameter %s: case shape %v, module shape %v", p.Name, gt.Shape, p.Shape)
		}
		dev.Upload(p.Data, toT[T](gt.Data))
		names = append(names, p.Name)
	}
	if len(names) != len(gc.Params) {
		var extra []string
		for k := range gc.Params {
			if ps.Get(k) == nil {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		t.Fatalf("the case has parameters the module lacks: %v", extra)
	}
	for i, l := range m.Layers {
		if b := gc.Buffers[fmt.Sprintf("rnn_lst.%d.scale_x", i)]; b != nil && l.K == 3 {
			if d := golden.MaxAbsDiff([]float64{float64(l.Alpha)}, b.Data); d > 1e-6 {
				t.Errorf("layer %d: scale_x %v, module α %v", i, b.Data, l.Alpha)
			}
		}
	}

	x := input(dev, gc.Tensors["x"])
	var c0 *nn.Tensor[T]
	if gc.Tensors["c0"] != nil {
		c0 = input(dev, gc.Tensors["c0"])
	}
	var pad kernels.Buf[T]
	if mp := gc.Tensors["mask_pad"]; mp != nil {
		pad = dev.Alloc(len(mp.Data))
		dev.Upload(pad, toT[T](mp.Data))
	}
	g := nn.NewGraph(dev, rand.New(rand.NewPCG(1, 2)))
	h, c := m.Forward(g, x, c0, pad)
	cmp := comparer{t, tol}
	cmp.check("h", download(dev, h.Data), gc.Tensors["h"])
	cmp.check("c", download(dev, c.Data), gc.Tensors["c"])

	dev.Upload(g.Grad(h), toT[T](gc.Tensors["grad_h"].Data))
	dev.Upload(g.Grad(c), toT[T](gc.Tensors["grad_c"].Data))
	g.BackwardFrom()
	cmp.check("grad x", download(dev, x.Grad), gc.Grads["x"])
	if c0 != nil {
		cmp.check("grad c0", download(dev, c0.Grad), gc.Grads["c0"])
	}
	for _, p := range ps.List() {
		cmp.check("grad "+p.Name, download(dev, p.Grad), gc.Grads[p.Name])
	}
}
