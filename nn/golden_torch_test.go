package nn

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The files under testdata/ come from scripts/gen_loss_optim_golden.py (PyTorch 1.13, float64).

func readTorchGolden(t *testing.T, name string, cases any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &struct {
		Cases any `json:"cases"`
	}{cases}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestCrossEntropyMatchesTorch: loss and logits gradient of F.cross_entropy with class weights,
// ignore_index and label smoothing.
func TestCrossEntropyMatchesTorch(t *testing.T) {
	var cases []struct {
		Name           string    `json:"name"`
		Rows           int       `json:"rows"`
		Cols           int       `json:"cols"`
		IgnoreIndex    int32     `json:"ignore_index"`
		LabelSmoothing float64   `json:"label_smoothing"`
		Logits         []float64 `json:"logits"`
		Targets        []int32   `json:"targets"`
		Weights        []float64 `json:"weights"`
		Loss           float64   `json:"loss"`
		DLogits        []float64 `json:"dlogits"`
	}
	readTorchGolden(t, "cross_entropy_golden.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		g := NewGraph[float64](cpu64, nil)
		logits := g.FromHost(c.Logits, c.Rows, c.Cols)
		logits.NeedsGrad = true
		var w *Tensor[float64]
		if c.Weights != nil {
			w = g.FromHost(c.Weights, c.Cols)
		}
		loss := g.CrossEntropySmoothed(logits, c.Targets, w, c.IgnoreIndex, c.LabelSmoothing)
		if got := loss.Data.Host()[0]; math.Abs(got-c.Loss) > 1e-12*(1+math.Abs(c.Loss)) {
			t.Errorf("%s: loss %.15g, torch %.15g", c.Name, got, c.Loss)
		}
		g.Backward(loss)
		if !near(logits.Grad.Host(), c.DLogits, 1e-12) {
			t.Errorf("%s: dlogits %v\ntorch %v", c.Name, logits.Grad.Host(), c.DLogits)
		}
	}
}

// TestAdamaxMatchesTorch: parameters after each of several torch.optim.Adamax steps.
func TestAdamaxMatchesTorch(t *testing.T) {
	var cases []struct {
		Name        string      `json:"name"`
		LR          float64     `json:"lr"`
		Beta1       float64     `json:"beta1"`
		Beta2       float64     `json:"beta2"`
		Eps         float64     `json:"eps"`
		WeightDecay float64     `json:"weight_decay"`
		P0          []float64   `json:"p0"`
		Grads       [][]float64 `json:"grads"`
		Params      [][]float64 `json:"params"`
	}
	readTorchGolden(t, "adamax_golden.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		ps := NewParams[float64](cpu64)
		p := ps.Add("p", len(c.P0))
		copy(p.Data.Host(), c.P0)
		opt := NewAdamax(ps, AdamConfig{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, WeightDecay: c.WeightDecay})
		for k, g := range c.Grads {
			copy(p.Grad.Host(), g)
			opt.Step()
			if !near(p.Data.Host(), c.Params[k], 1e-13) {
				t.Errorf("%s step %d: %v\ntorch %v", c.Name, k+1, p.Data.Host(), c.Params[k])
			}
		}
	}
}
