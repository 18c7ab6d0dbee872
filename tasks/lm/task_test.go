package lm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// tinyConfig is a small model for the tiny corpus: 2 layers of 16, tied, with every dropout on
// (so that the run's RNG is exercised).
func tinyConfig(model string) Config {
	c := DefaultConfig()
	c.Model = model
	c.BatchSize, c.EvalBatchSize, c.Unroll = 4, 2, 6
	c.EmbeddingDim, c.Hidden, c.Layers = 16, 16, 2
	c.Dropout, c.RNNDropout = 0.2, 0.1
	return c
}

func tinyTask[T kernels.Float](t testing.TB, dataDir string, cfg Config) *Task[T] {
	task, err := New(cfg, dataDir, kernels.MustCPU[T](), 5)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func tinyRun[T kernels.Float](t *testing.T, task *Task[T], epochs int) *train.Run[T] {
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.Optimizer, cfg.LR, cfg.ClipGradNorm, cfg.WeightDecay = epochs, "sgd", 0.3, 5, 1e-5
	cfg.CheckpointEverySteps, cfg.LogEverySteps = 7, 5
	dir, err := train.NewRunDir(t.TempDir(), "lm", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &train.Run[T]{Dir: dir, Experiment: "lm", ConfigTOML: "#\n", Cfg: cfg, Seed: 3,
		Labels: task.Labels(), Task: task, Dev: task.dev}
}

func params[T kernels.Float](ps *nn.Params[T]) []T {
	var v []T
	for _, p := range ps.List() {
		v = append(v, p.Data.Host()...)
	}
	return v
}

// TestResumeInsideEpoch: a run interrupted inside its second epoch and resumed from the last
// periodic (checkpoint_every_steps) checkpoint ends with exactly the parameters and test
// perplexity of the run that was never interrupted; the carried state is what makes it exact.
func TestResumeInsideEpoch(t *testing.T) {
	data := writeTinyCorpus(t, 400)
	for _, model := range Models {
		t.Run(model, func(t *testing.T) {
			straight := tinyRun(t, tinyTask[float64](t, data, tinyConfig(model)), 3)
			want, err := straight.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			nb := straight.Task.NumBatches()
			stopAt := nb + nb/2 + 3 // inside the second epoch, past a periodic checkpoint

			ctx, cancel := context.WithCancel(context.Background())
			task := tinyTask[float64](t, data, tinyConfig(model))
			first := tinyRun(t, task, 3)
			first.Task = &cancelAfter[float64]{Task: task, n: stopAt, cancel: cancel}
			if _, err := first.Train(ctx, nil); !errors.Is(err, train.ErrInterrupted) {
				t.Fatalf("got %v, want ErrInterrupted", err)
			}
			periodic := filepath.Join(first.Dir, stepName(stopAt/7*7))
			ck, err := train.ReadCheckpoint(periodic)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Epoch != 1 || ck.Cursor == 0 {
				t.Fatalf("checkpoint at epoch %d cursor %d, want inside the second epoch", ck.Epoch, ck.Cursor)
			}
			resumed := tinyRun(t, tinyTask[float64](t, data, tinyConfig(model)), 3)
			resumed.Dir = first.Dir
			got, err := resumed.Train(context.Background(), ck)
			if err != nil {
				t.Fatal(err)
			}
			a, b := params(straight.Task.Params()), params(resumed.Task.Params())
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("parameter %d: resumed %v, straight %v", i, b[i], a[i])
				}
			}
			if got.Test["ppl"] != want.Test["ppl"] || got.Valid["ppl"] != want.Valid["ppl"] {
				t.Fatalf("resumed valid/test ppl %v/%v, straight %v/%v", got.Valid["ppl"], got.Test["ppl"],
					want.Valid["ppl"], want.Test["ppl"])
			}
			// 13 equally likely words would be ppl 13; the counting corpus is far more predictable.
			t.Logf("%s: test ppl %.3f", model, want.Test["ppl"])
			if want.Test["ppl"] > 6 {
				t.Errorf("test ppl %.2f after 3 epochs: the model did not learn", want.Test["ppl"])
			}
		})
	}
}

func stepName(step int) string { return fmt.Sprintf("step-%09d.ckpt", step) }

type cancelAfter[T kernels.Float] struct {
	*Task[T]
	n      int
	cancel func()
}

func (c *cancelAfter[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.Task.Loss(g, i)
}

// TestStateCarried: the loss of a window depends on the state the previous windows left, and
// windows out of order are refused.
func TestStateCarried(t *testing.T) {
	data := writeTinyCorpus(t, 60)
	cfg := tinyConfig("sru")
	cfg.Dropout, cfg.RNNDropout = 0, 0
	task := tinyTask[float64](t, data, cfg)
	g := nn.NewGraph[float64](task.dev, rand.New(rand.NewPCG(1, 1)))
	lossOf := func(i int) float64 {
		g.Reset()
		l, _, err := task.Loss(g, i)
		if err != nil {
			t.Fatal(err)
		}
		return l.Data.Host()[0]
	}
	task.StartEpoch()
	lossOf(0)
	carried := lossOf(1)
	saved, _ := task.SaveState()
	task.StartEpoch()
	task.trainState.next = 1 // window 1 from a zero state
	fresh := lossOf(1)
	if carried == fresh {
		t.Errorf("window 1 has loss %v from window 0's state and from zeros", carried)
	}
	if err := task.LoadState(saved); err != nil {
		t.Fatal(err)
	}
	g.Reset()
	if _, _, err := task.Loss(g, 0); err == nil {
		t.Error("window 0 after the state of window 1: no error")
	}
	if err := task.LoadState(saved[:len(saved)-8]); err == nil {
		t.Error("a truncated state: no error")
	}
}

// TestGradients checks the analytic gradient of the training loss, with tied and untied
// embeddings and sum_over_time, against float64 central differences of L × the mean NLL, on
// every parameter of a tiny SRU and LSTM model.
func TestGradients(t *testing.T) {
	data := writeTinyCorpus(t, 40)
	for _, model := range Models {
		for _, tied := range []bool{true, false} {
			cfg := tinyConfig(model)
			cfg.EmbeddingDim, cfg.Hidden, cfg.Unroll, cfg.Layers = 5, 5, 4, 2
			cfg.Dropout, cfg.RNNDropout, cfg.TieWeights = 0, 0, tied
			cfg.SRU.V1 = false // the weight_c path too
			task := tinyTask[float64](t, data, cfg)
			dev := task.dev
			g := nn.NewGraph[float64](dev, rand.New(rand.NewPCG(1, 1)))
			g.Training = true
			// A nonzero carried state, so that its path is exercised.
			task.StartEpoch()
			g.Reset()
			if _, _, err := task.Loss(g, 0); err != nil {
				t.Fatal(err)
			}
			saved, _ := task.SaveState()
			_, _, L := task.train.window(1, cfg.Unroll)
			meanLoss := func() float64 {
				if err := task.LoadState(saved); err != nil {
					t.Fatal(err)
				}
				g.Reset()
				l, _, err := task.Loss(g, 1)
				if err != nil {
					t.Fatal(err)
				}
				return l.Data.Host()[0]
			}
			task.ps.ZeroGrad()
			if err := task.LoadState(saved); err != nil {
				t.Fatal(err)
			}
			g.Reset()
			loss, _, err := task.Loss(g, 1)
			if err != nil {
				t.Fatal(err)
			}
			g.Backward(loss)
			const h = 1e-6
			checked := 0
			for _, p := range task.ps.List() {
				if !p.NeedsGrad {
					continue
				}
				data, grad := p.Data.Host(), append([]float64(nil), p.Grad.Host()...)
				for i := range data {
					if p.RowSparse && !slices.Contains(p.Touched, int32(i/p.Cols())) {
						continue
					}
					v := data[i]
					data[i] = v + h
					up := meanLoss()
					data[i] = v - h
					down := meanLoss()
					data[i] = v
					num := float64(L) * (up - down) / (2 * h)
					if d := math.Abs(num - grad[i]); d > 1e-6+1e-5*math.Abs(num) {
						t.Fatalf("%s tied=%v: d/d %s[%d]: analytic %.9g, numeric %.9g", model, tied, p.Name, i, grad[i], num)
					}
					checked++
				}
			}
			if checked < 200 {
				t.Fatalf("%s tied=%v: only %d derivatives checked", model, tied, checked)
			}
		}
	}
}

// TestEvaluate: evaluation is deterministic, leaves the training state alone, and its
// perplexity is exp of its loss.
func TestEvaluate(t *testing.T) {
	data := writeTinyCorpus(t, 60)
	task := tinyTask[float32](t, data, tinyConfig("sru"))
	a, err := task.Evaluate("valid")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := task.Evaluate("valid")
	if a["ppl"] != b["ppl"] || math.Abs(a["ppl"]-math.Exp(a["loss"])) > 1e-9*a["ppl"] {
		t.Fatalf("evaluations %v then %v", a, b)
	}
	// An untrained model is near uniform over the 13 words.
	if a["ppl"] < 8 || a["ppl"] > 20 {
		t.Errorf("untrained valid ppl %.2f, want about 13", a["ppl"])
	}
	if _, err := task.Evaluate("train"); err == nil {
		t.Error("split train: no error")
	}
}

func TestGenerate(t *testing.T) {
	data := writeTinyCorpus(t, 60)
	task := tinyTask[float32](t, data, tinyConfig("lstm"))
	gen := func(o SampleOptions) string {
		var b bytes.Buffer
		if err := task.Generate(&b, o); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a := gen(SampleOptions{Words: 40, Temperature: 1, Seed: 4})
	if a != gen(SampleOptions{Words: 40, Temperature: 1, Seed: 4}) {
		t.Error("the same seed gave different text")
	}
	if a == gen(SampleOptions{Words: 40, Temperature: 1, Seed: 5}) {
		t.Error("two seeds gave the same 40 words")
	}
	words := len(strings.Fields(a)) + strings.Count(a, "\n")
	if words < 40 || words > 41 { // <eos> words are line breaks; the last line is ended
		t.Errorf("%d words and line breaks in %q", words, a)
	}
	primed := gen(SampleOptions{Words: 3, Temperature: 0, Prime: "w3 w4"})
	if !strings.HasPrefix(primed, "w3 w4 ") || len(strings.Fields(primed)) > 5 {
		t.Errorf("primed text %q", primed)
	}
	if err := task.Generate(&bytes.Buffer{}, SampleOptions{Words: 1, Prime: "unseen"}); err == nil {
		t.Error("a prime word outside a vocabulary without <unk>: no error")
	}
	if err := task.Generate(&bytes.Buffer{}, SampleOptions{Words: 1, Temperature: -1}); err == nil {
		t.Error("a negative temperature: no error")
	}
}
