package golden_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
)

// lstmConfig turns a case's config into an lstm.Config; an option the package does not know is
// an error, so a case testing something new fails rather than passing unchecked.
func lstmConfig(c *golden.Case) (lstm.Config, error) {
	known := map[string]bool{"input_size": true, "hidden_size": true, "num_layers": true,
		"bidirectional": true, "dropout": true}
	for k := range c.Config {
		if !known[k] {
			return lstm.Config{}, fmt.Errorf("unsupported LSTM option %q", k)
		}
	}
	var cfg lstm.Config
	var errs []error
	geti := func(k string, def int) int { v, err := c.Int(k, def); errs = append(errs, err); return v }
	cfg.InputSize = geti("input_size", 0)
	cfg.HiddenSize = geti("hidden_size", 0)
	cfg.NumLayers = geti("num_layers", 1)
	b, err := c.Bool("bidirectional", false)
	cfg.Bidirectional = b
	errs = append(errs, err)
	// Dropout acts in training only; golden cases run in evaluation mode.
	cfg.Dropout, err = c.Float("dropout", 0)
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

// checkLSTM builds the lstm module on dev with the case's parameters, runs it on the case's
// input and initial states, and compares y, hn, cn and the gradient of the case's loss with
// respect to x, h0, c0 and every parameter (max abs error ≤ tol).
func checkLSTM[T kernels.Float](t *testing.T, gc *golden.Case, dev kernels.Device[T], tol float64) {
	cfg, err := lstmConfig(gc)
	if err != nil {
		t.Fatal(err)
	}
	ps := nn.NewParams(dev)
	m, err := lstm.New(ps, "", cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// Every parameter of the module must come from the case, and the case may hold no other.
	for _, p := range ps.List() {
		gt := gc.Params[p.Name]
		if gt == nil {
			t.Fatalf("parameter %s is not in the case", p.Name)
		}
		if fmt.Sprint(gt.Shape) != fmt.Sprint(p.Shape) {
			t.Fatalf("parameter %s: case shape %v, module shape %v", p.Name, gt.Shape, p.Shape)
		}
		dev.Upload(p.Data, toT[T](gt.Data))
	}
	if len(ps.List()) != len(gc.Params) {
		var extra []string
		for k := range gc.Params {
			if ps.Get(k) == nil {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		t.Fatalf("the case has parameters the module lacks: %v", extra)
	}
	for _, k := range []string{"mask_pad", "lengths"} {
		if gc.Tensors[k] != nil {
			t.Fatalf("the case has %s; LSTM golden cases with padding are not supported yet", k)
		}
	}

	x := input(dev, gc.Tensors["x"])
	var h0, c0 *nn.Tensor[T]
	if gc.Tensors["h0"] != nil {
		h0 = input(dev, gc.Tensors["h0"])
	}
	if gc.Tensors["c0"] != nil {
		c0 = input(dev, gc.Tensors["c0"])
	}
	g := nn.NewGraph(dev, rand.New(rand.NewPCG(1, 2)))
	y, hn, cn := m.Forward(g, x, h0, c0, kernels.Buf[T]{})
	cmp := comparer{t, tol}
	cmp.check("y", download(dev, y.Data), gc.Tensors["y"])
	cmp.check("hn", download(dev, hn.Data), gc.Tensors["hn"])
	cmp.check("cn", download(dev, cn.Data), gc.Tensors["cn"])

	for _, s := range []struct {
		t   *nn.Tensor[T]
		key string
	}{{y, "grad_y"}, {hn, "grad_hn"}, {cn, "grad_cn"}} {
		if gt := gc.Tensors[s.key]; gt != nil {
			dev.Upload(g.Grad(s.t), toT[T](gt.Data))
		}
	}
	g.BackwardFrom()
	cmp.check("grad x", download(dev, x.Grad), gc.Grads["x"])
	if h0 != nil {
		cmp.check("grad h0", download(dev, h0.Grad), gc.Grads["h0"])
	}
	if c0 != nil {
		cmp.check("grad c0", download(dev, c0.Grad), gc.Grads["c0"])
	}
	for _, p := range ps.List() {
		cmp.check("grad "+p.Name, download(dev, p.Grad), gc.Grads[p.Name])
	}
}
