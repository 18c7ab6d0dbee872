package classification

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// tinyConfig is a small model on the embedded TREC, for tests that must take seconds.
func tinyConfig(model string) Config {
	c := DefaultConfig()
	c.Dataset, c.Model = "trec", model
	c.EmbeddingDim, c.Hidden, c.CNNMaps = 32, 32, 16
	c.Dropout = 0.1
	return c
}

// TestSmokeTrain trains each model for 150 steps (about an epoch) with train.Run on float32 and checks that the
// training loss falls, the validation loss falls and the accuracies are sane.
func TestSmokeTrain(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	for _, model := range Models {
		t.Run(model, func(t *testing.T) {
			task, err := New(tinyConfig(model), EmbeddedDataDir, dev, 7)
			if err != nil {
				t.Fatal(err)
			}
			before, err := task.Evaluate("valid")
			if err != nil {
				t.Fatal(err)
			}
			cfg := train.DefaultConfig()
			cfg.MaxSteps, cfg.LR, cfg.EvalEverySteps, cfg.LogEverySteps = 150, 1e-2, 50, 25
			dir, err := train.NewRunDir(t.TempDir(), model, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			run := &train.Run[float32]{Dir: dir, Experiment: model, ConfigTOML: "#\n", Cfg: cfg, Seed: 3,
				Labels: task.Labels(), Task: task, Dev: dev}
			sum, err := run.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			events, err := train.ReadEvents(dir)
			if err != nil {
				t.Fatal(err)
			}
			var losses []float64
			for _, e := range events {
				if e.Event == "train" {
					losses = append(losses, e.Loss)
				}
			}
			if len(losses) != 6 || !(losses[5] < 0.85*losses[0]) {
				t.Errorf("training loss per 25 steps %.3f: did not fall", losses)
			}
			if !(sum.Valid["loss"] < before["loss"]) {
				t.Errorf("valid loss %.3f before, %.3f after", before["loss"], sum.Valid["loss"])
			}
			for _, m := range []train.Metrics{before, sum.Valid, sum.Test} {
				if a := m["accuracy"]; !(a >= 0 && a <= 1) || math.IsNaN(m["loss"]) {
					t.Fatalf("metrics %v", m)
				}
			}
			// 6 classes, the largest 23% of the training data: 150 steps must beat guessing it.
			if sum.Valid["accuracy"] < 0.45 || sum.Test["accuracy"] < 0.45 {
				t.Errorf("valid accuracy %.3f, test %.3f after 150 steps", sum.Valid["accuracy"], sum.Test["accuracy"])
			}
			t.Logf("%s: valid loss %.3f → %.3f, accuracy %.3f → %.3f, test %.3f", model,
				before["loss"], sum.Valid["loss"], before["accuracy"], sum.Valid["accuracy"], sum.Test["accuracy"])
		})
	}
}

// TestStepAllocs: a training step (forward, backward, optimizer) allocates nothing once the
// graph has seen the batch shapes.
func TestStepAllocs(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	for _, model := range Models {
		task, err := New(tinyConfig(model), EmbeddedDataDir, dev, 1)
		if err != nil {
			t.Fatal(err)
		}
		g := nn.NewGraph(dev, rand.New(rand.NewPCG(1, 2)))
		g.Training = true
		opt := nn.NewAdam(task.Params(), nn.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		step := func(i int) {
			g.Reset()
			task.Params().ZeroGrad()
			loss, _, err := task.Loss(g, i)
			if err != nil {
				t.Fatal(err)
			}
			g.Backward(loss)
			opt.Step()
		}
		for i := range 3 {
			step(i)
		}
		if n := testing.AllocsPerRun(5, func() { step(1) }); n != 0 {
			t.Errorf("%s: %.0f allocations per step", model, n)
		}
	}
}

// TestEvaluateDeterministic: evaluation has no dropout and draws nothing: twice the same.
func TestEvaluateDeterministic(t *testing.T) {
	task, err := New(tinyConfig("sru"), EmbeddedDataDir, kernels.MustCPU[float64](), 1)
	if err != nil {
		t.Fatal(err)
	}
	a, err := task.Evaluate("test")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := task.Evaluate("test")
	if a["accuracy"] != b["accuracy"] || a["loss"] != b["loss"] {
		t.Fatalf("%v then %v", a, b)
	}
	if _, err := task.Evaluate("dev"); err == nil {
		t.Error("no error for an unknown split")
	}
	st := task.Stats()
	if st.Train != 4906 || st.Valid != 546 || st.Test != 500 || st.Classes != 6 || st.Vocab != len(task.Vocab().Words) {
		t.Errorf("stats %+v", st)
	}
	want := map[string]string{"task": "classification", "dataset": "trec", "model": "sru", "fold": "0"}
	for k, v := range want {
		if task.Labels()[k] != v {
			t.Errorf("labels %v, want %v", task.Labels(), want)
		}
	}
}

// TestLastStepFeature: the RNN feature (each sentence's output at its own last word, or the mean
// or max over its words) ignores padding: the same sentence alone and in a batch beside a
// longer one scores the same, for every readout.
func TestLastStepFeature(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	for _, model := range Models {
		readouts := Readouts
		if model == "cnn" {
			readouts = []string{"last"} // the CNN always takes the max over time
		}
		var first []float64
		for _, r := range readouts {
			c := tinyConfig(model)
			c.Readout = r
			task, err := New(c, EmbeddedDataDir, dev, 5)
			if err != nil {
				t.Fatal(err)
			}
			short, long := ex(0, "What is a fuel cell \\?"), ex(1, "Who wrote the book about the long war of the roses \\?")
			alone := makeBatches(dev, []Example{short}, task.vocab, 2, 0, false)
			padded := makeBatches(dev, []Example{short, long}, task.vocab, 2, 0, false)
			g := nn.NewGraph[float64](dev, nil)
			g.NoGrad = true
			a := slices.Clone(task.model.forward(g, &alone[0]).Data.Host())
			g.Reset()
			b := task.model.forward(g, &padded[0]).Data.Host()[:len(a)]
			for i := range a {
				if math.Abs(a[i]-b[i]) > 1e-12 {
					t.Fatalf("%s, readout %s: logits alone %v, padded %v", model, r, a, b)
				}
			}
			// Same seed, same parameters: a different readout must give different logits.
			if first == nil {
				first = a
			} else if slices.Equal(first, a) {
				t.Errorf("%s: readout %s gives the logits of readout %s", model, r, readouts[0])
			}
		}
	}
}

// TestPretrainedFixed: vectors from a GloVe file reach the table (L2-normalised), valid and
// test words with a vector join the vocabulary, and the frozen table does not move in training.
func TestPretrainedFixed(t *testing.T) {
	root := writeData(t, 200)
	var b strings.Builder
	vec := map[string][]float64{}
	for i := 0; i < 200; i += 3 { // every third sentence's number, and "sentence"
		w := fmt.Sprintf("number%d", i)
		vec[w] = []float64{float64(i + 1), 2, -1, 0.5}
	}
	vec["sentence"] = []float64{3, 0, 4, 0}
	for w, v := range vec {
		fmt.Fprintf(&b, "%s %g %g %g %g\n", w, v[0], v[1], v[2], v[3])
	}
	emb := filepath.Join(t.TempDir(), "vectors.txt")
	os.WriteFile(emb, []byte(b.String()), 0o644)

	c := DefaultConfig()
	c.Dataset, c.Model, c.EmbeddingDim, c.Hidden, c.Layers = "cr", "sru", 4, 8, 1
	c.Embeddings, c.FixEmbeddings = emb, true
	dev := kernels.MustCPU[float64]()
	task, err := New(c, root, dev, 1)
	if err != nil {
		t.Fatal(err)
	}
	if task.Stats().Pretrained != len(vec) || task.Stats().EmbeddingsFormat != "glove" {
		t.Fatalf("stats %+v, want %d pretrained glove words", task.Stats(), len(vec))
	}
	table := task.Params().Get("emb_layer.embedding.weight")
	if table.NeedsGrad {
		t.Fatal("fixed embeddings need a gradient")
	}
	rows := table.Data.Host()
	for w, v := range vec {
		id := task.Vocab().ID(w)
		if id == 0 {
			t.Fatalf("%s with a vector is not in the vocabulary", w)
		}
		n := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2] + v[3]*v[3])
		for k := range 4 {
			if got := rows[int(id)*4+k]; math.Abs(got-v[k]/n) > 1e-12 {
				t.Fatalf("%s[%d] = %g, want %g", w, k, got, v[k]/n)
			}
		}
	}
	for i := range task.Vocab().Words { // random rows are unit too
		var ss float64
		for _, x := range rows[i*4 : i*4+4] {
			ss += x * x
		}
		if math.Abs(ss-1) > 1e-12 {
			t.Fatalf("row %d has norm² %g", i, ss)
		}
	}
	start := slices.Clone(rows)
	cfg := train.DefaultConfig()
	cfg.MaxSteps = 3
	dir, _ := train.NewRunDir(t.TempDir(), "pre", time.Now())
	run := &train.Run[float64]{Dir: dir, Experiment: "pre", ConfigTOML: "#\n", Cfg: cfg, Seed: 1, Task: task, Dev: dev}
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(start, table.Data.Host()) {
		t.Error("the fixed table changed in training")
	}

	c.EmbeddingDim = 5
	if _, err := New(c, root, dev, 1); err == nil || !strings.Contains(err.Error(), "embedding_dim") {
		t.Errorf("dimension mismatch: %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	bad := map[string]func(*Config){
		"dataset":     func(c *Config) { c.Dataset = "imdb" },
		"model":       func(c *Config) { c.Model = "gru" },
		"fold":        func(c *Config) { c.Fold = 10 },
		"fixed":       func(c *Config) { c.Dataset, c.Fold = "sst2", 3 },
		"phrases":     func(c *Config) { c.Phrases = true },
		"batch_size":  func(c *Config) { c.BatchSize = 0 },
		"dropout":     func(c *Config) { c.Dropout = 1 },
		"cnn_widths":  func(c *Config) { c.Model, c.CNNWidths = "cnn", []int{3, 0} },
		"rnn_dropout": func(c *Config) { c.SRU.RNNDropout = -0.1 },
		"hidden_size": func(c *Config) { c.Model, c.Hidden = "lstm", 0 },
		"max_len":     func(c *Config) { c.MaxLen = -1 },
		"readout":     func(c *Config) { c.Readout = "first" },
	}
	for want, mutate := range bad {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v", want, err)
		}
	}
	c := DefaultConfig()
	c.Fold = -1
	if err := c.Validate(); err != nil {
		t.Errorf("fold -1 (all folds) is valid: %v", err)
	}
	if _, err := New(c, EmbeddedDataDir, kernels.MustCPU[float32](), 1); err == nil {
		t.Error("New accepted fold -1")
	}
}
