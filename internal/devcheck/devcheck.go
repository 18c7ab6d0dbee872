// Package devcheck checks that a task trains the same on two devices. The same task, seed and
// training configuration in float64 on the CPU device and on another device (the CUDA device
// in the cuda-tagged tests of tasks/all: on the emulator in CI, on a GPU in
// scripts/gpu_check.sh) must log the same training losses and evaluation metrics, end with the
// same parameters, up to the rounding of sums taken in another order, and write the same
// predictions. Dropout masks are drawn on the host from the run's RNG, so they are the same on
// both devices.
package devcheck

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

// Result is what one training run logged and where its parameters ended.
type Result struct {
	Device string
	// Losses are the logged training losses, in order (log_every_steps).
	Losses []float64
	// Evals are the evaluations: "<split>@<step> <metric>" → value. Throughputs (metrics
	// named *_per_s, such as translation's decode_sent_per_s) are left out: they measure the
	// machine, not the model.
	Evals map[string]float64
	// Params are the final parameters by name.
	Params map[string][]float64
	// Predictions are what a task that writes predictions (train.Predictor) writes for its
	// last split (test where it has one) with the final parameters.
	Predictions map[string]string
}

// Bind makes dev usable from the calling goroutine (kernels.Bind), failing t if it cannot. A
// test binds before it builds a task on the device.
func Bind[T kernels.Float](t testing.TB, dev kernels.Device[T]) {
	t.Helper()
	if err := kernels.Bind(dev); err != nil {
		t.Fatal(err)
	}
}

// Train runs task on dev (the device the task was built on, bound to the calling goroutine)
// with train.Run for cfg and seed in a fresh directory, and returns what it logged, its final
// parameters and its predictions. The device comparisons run float64; task tests of float32
// runs use it too.
func Train[T kernels.Float](t testing.TB, task train.Task[T], dev kernels.Device[T], cfg train.Config, seed uint64) Result {
	t.Helper()
	dir, err := train.NewRunDir(t.TempDir(), "devcheck", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run := &train.Run[T]{Dir: dir, Experiment: "devcheck", ConfigTOML: "#\n", Cfg: cfg, Seed: seed,
		Task: task, Dev: dev}
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatalf("%s: %v", dev.Name(), err)
	}
	events, err := train.ReadEvents(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := Result{Device: dev.Name(), Evals: map[string]float64{}, Params: map[string][]float64{}}
	for _, e := range events {
		switch e.Event {
		case "train":
			r.Losses = append(r.Losses, e.Loss)
		case "eval":
			for k, v := range e.Metrics {
				if strings.HasSuffix(k, "_per_s") {
					continue
				}
				r.Evals[fmt.Sprintf("%s@%d %s", e.Split, e.Step, k)] = v
			}
		}
	}
	if p, ok := task.(train.Predictor); ok && len(task.Splits()) > 0 {
		split := task.Splits()[len(task.Splits())-1] // the test split where there is one
		var buf bytes.Buffer
		if err := p.Predict(split, &buf); err != nil {
			t.Fatalf("%s: predicting %s: %v", dev.Name(), split, err)
		}
		r.Predictions = map[string]string{split: buf.String()}
	}
	for _, p := range task.Params().List() {
		host := make([]T, p.Data.Len())
		dev.Download(host, p.Data)
		r.Params[p.Name] = make([]float64, len(host))
		for i, v := range host {
			r.Params[p.Name][i] = float64(v)
		}
	}
	if err := dev.Sync(); err != nil {
		t.Fatalf("%s: %v", dev.Name(), err)
	}
	return r
}

// Compare fails t where got differs from want by more than tol, relative to the larger
// magnitude (absolute below 1): a loss, an evaluation metric or a parameter entry (the worst
// entry of each parameter is reported); and where their predictions differ at all (the first
// differing line of each split is reported). Runs that logged nothing to compare fail too.
func Compare(t testing.TB, want, got Result, tol float64) {
	t.Helper()
	if len(want.Losses) == 0 || len(want.Evals) == 0 || len(want.Params) == 0 {
		t.Fatalf("%s: %d losses, %d evaluation metrics, %d parameters: nothing to compare",
			want.Device, len(want.Losses), len(want.Evals), len(want.Params))
	}
	far := func(a, b float64) bool {
		return !(math.Abs(a-b) <= tol*max(1, math.Abs(a), math.Abs(b))) // NaN is far
	}
	if len(got.Losses) != len(want.Losses) {
		t.Errorf("%s logged %d training losses, %s %d", got.Device, len(got.Losses), want.Device, len(want.Losses))
	}
	for i := range min(len(got.Losses), len(want.Losses)) {
		if far(want.Losses[i], got.Losses[i]) {
			t.Errorf("training loss %d: %s %.12g, %s %.12g", i, want.Device, want.Losses[i], got.Device, got.Losses[i])
		}
	}
	for _, k := range sortedKeys(want.Evals) {
		g, ok := got.Evals[k]
		if !ok {
			t.Errorf("%s: %s has no %s", k, got.Device, k)
		} else if far(want.Evals[k], g) {
			t.Errorf("%s: %s %.12g, %s %.12g", k, want.Device, want.Evals[k], got.Device, g)
		}
	}
	for _, k := range sortedKeys(got.Evals) {
		if _, ok := want.Evals[k]; !ok {
			t.Errorf("%s: only %s has it", k, got.Device)
		}
	}
	for _, split := range sortedKeys(want.Predictions) {
		w := want.Predictions[split]
		g, ok := got.Predictions[split]
		if !ok {
			t.Errorf("%s wrote no %s predictions", got.Device, split)
			continue
		}
		if w == g {
			continue
		}
		wl, gl := strings.Split(w, "\n"), strings.Split(g, "\n")
		for i := range max(len(wl), len(gl)) {
			if i >= len(wl) || i >= len(gl) || wl[i] != gl[i] {
				t.Errorf("%s predictions differ first at line %d of %d: %s %.200q, %s %.200q", split, i+1, len(wl),
					want.Device, at(wl, i), got.Device, at(gl, i))
				break
			}
		}
	}
	for _, split := range sortedKeys(got.Predictions) {
		if _, ok := want.Predictions[split]; !ok {
			t.Errorf("only %s wrote %s predictions", got.Device, split)
		}
	}
	for _, name := range sortedKeys(want.Params) {
		w, g := want.Params[name], got.Params[name]
		if len(w) != len(g) {
			t.Errorf("parameter %s: %d entries on %s, %d on %s", name, len(w), want.Device, len(g), got.Device)
			continue
		}
		worst, at := 0.0, -1
		for i := range w {
			if d := math.Abs(w[i]-g[i]) / max(1, math.Abs(w[i]), math.Abs(g[i])); far(w[i], g[i]) && !(d <= worst) {
				worst, at = d, i
			}
		}
		if at >= 0 {
			t.Errorf("parameter %s[%d]: %s %.12g, %s %.12g (worst of %d entries)", name, at, want.Device, w[at], got.Device, g[at], len(w))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}
