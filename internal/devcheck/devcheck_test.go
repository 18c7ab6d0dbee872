package devcheck

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/train"
)

// recorder is a testing.TB that keeps the failures Compare reports.
type recorder struct {
	testing.TB
	errs []string
}

type fatal struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

// compare runs Compare on a recorder and returns what it reported.
func compare(t *testing.T, want, got Result, tol float64) (errs []string) {
	r := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != (fatal{}) {
			panic(v)
		}
		errs = r.errs
	}()
	Compare(r, want, got, tol)
	return r.errs
}

func sample() Result {
	return Result{Device: "a", Losses: []float64{2.5, 2.25, 1e-12},
		Evals:       map[string]float64{"valid@3 accuracy": 0.5, "test@3 accuracy": 0.25},
		Params:      map[string][]float64{"w": {1, -2, 3e5}, "b": {0}},
		Predictions: map[string]string{"test": "one two\nthree\n"}}
}

// TestCompareReports checks that Compare passes equal results and differences within the
// tolerance, and reports each kind of disagreement.
func TestCompareReports(t *testing.T) {
	if errs := compare(t, sample(), sample(), 1e-8); len(errs) != 0 {
		t.Fatalf("equal results: %v", errs)
	}
	within := sample()
	within.Losses[0] *= 1 + 5e-9
	within.Params["w"][2] += 1e-4 // 3e-10 relative
	within.Losses[2] = 5e-9       // absolute below 1
	if errs := compare(t, sample(), within, 1e-8); len(errs) != 0 {
		t.Fatalf("differences within the tolerance: %v", errs)
	}
	for _, tc := range []struct {
		name   string
		change func(r *Result)
		want   string
	}{
		{"loss", func(r *Result) { r.Losses[1] *= 1 + 1e-6 }, "training loss 1"},
		{"NaN loss", func(r *Result) { r.Losses[0] = math.NaN() }, "training loss 0"},
		{"fewer losses", func(r *Result) { r.Losses = r.Losses[:2] }, "logged 2 training losses"},
		{"metric", func(r *Result) { r.Evals["test@3 accuracy"] = 0.3 }, "test@3 accuracy"},
		{"missing metric", func(r *Result) { delete(r.Evals, "valid@3 accuracy") }, "has no valid@3 accuracy"},
		{"extra metric", func(r *Result) { r.Evals["valid@3 f1"] = 1 }, "valid@3 f1: only"},
		{"parameter", func(r *Result) { r.Params["w"][1] = -2.001 }, "parameter w[1]"},
		{"parameter size", func(r *Result) { r.Params["b"] = []float64{0, 0} }, "parameter b: 1 entries"},
		{"prediction", func(r *Result) { r.Predictions["test"] = "one two\nfour\n" }, "test predictions differ first at line 2"},
		{"fewer predictions", func(r *Result) { r.Predictions["test"] = "one two\n" }, "test predictions differ first at line 2"},
		{"no predictions", func(r *Result) { r.Predictions = nil }, "b wrote no test predictions"},
		{"extra predictions", func(r *Result) { r.Predictions["valid"] = "" }, "only b wrote valid predictions"},
	} {
		got := sample()
		got.Device = "b"
		tc.change(&got)
		errs := compare(t, sample(), got, 1e-8)
		if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
			t.Errorf("%s: reported %q, want one report containing %q", tc.name, errs, tc.want)
		}
	}
	if errs := compare(t, Result{Device: "a"}, sample(), 1e-8); len(errs) != 1 || !strings.Contains(errs[0], "nothing to compare") {
		t.Errorf("empty run: reported %q", errs)
	}
}

// TestTrainOnCPU runs Train twice on the CPU device: the same run agrees with itself, and a
// run with another learning rate does not (the check sees real differences in real runs).
func TestTrainOnCPU(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	run := func(lr float64) Result {
		c := classification.DefaultConfig()
		c.Dataset, c.Model, c.EmbeddingDim, c.Hidden = "trec", "sru", 8, 8
		task, err := classification.New(c, classification.EmbeddedDataDir, dev, 7)
		if err != nil {
			t.Fatal(err)
		}
		cfg := train.DefaultConfig()
		cfg.MaxSteps, cfg.EvalEverySteps, cfg.LogEverySteps, cfg.LR = 3, 3, 1, lr
		return Train(t, task, dev, cfg, 3)
	}
	a, b := run(1e-2), run(1e-2)
	if len(a.Losses) != 3 || len(a.Evals) == 0 || len(a.Params) == 0 {
		t.Fatalf("run: %d losses, evaluations %v, %d parameters", len(a.Losses), a.Evals, len(a.Params))
	}
	if errs := compare(t, a, b, 1e-12); len(errs) != 0 {
		t.Fatalf("the same run twice: %v", errs)
	}
	if errs := compare(t, a, run(2e-2), 1e-8); len(errs) == 0 {
		t.Fatal("runs with different learning rates agree")
	}
}
