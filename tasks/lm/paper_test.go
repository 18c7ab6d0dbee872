package lm_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/lm"
	"github.com/gosru/gosru/train"
)

// writeWideCorpus writes a synthetic PTB of the real vocabulary size (9,999 words and <eos>) with
// small valid and test splits, so that the paper-size models are built at their true size.
func writeWideCorpus(t *testing.T) string {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for split, n := range map[string]int{"train": 12000, "valid": 150, "test": 150} {
		var lines []string
		var b strings.Builder
		for i := range n {
			w := rng.IntN(9999)
			if split == "train" && i < 9999 {
				w = i // every word occurs in train
			}
			fmt.Fprintf(&b, "w%d ", w)
			if i%20 == 19 {
				lines, b = append(lines, b.String()), strings.Builder{}
			}
		}
		if b.Len() > 0 {
			lines = append(lines, b.String())
		}
		if err := lm.WriteSplit(dir, "ptb", split, lines); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPaperConfigsRun loads the paper-size experiments (6 layers of 910, tied, batch 32, unroll
// 35, one-stream evaluation) and trains each for 2 steps in float32 through the loop, then
// evaluates test on one stream: the sizes, the schedule and the loss must be sane.
func TestPaperConfigsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size models in -short mode")
	}
	data := writeWideCorpus(t)
	dev := kernels.MustCPU[float32]()
	// SRU: 10k·910 table + 6 × (910·2730 weight + 2·1820 vectors) + 10k bias ≈ 24M, the
	// paper's count; the LSTM: 6 × (2·4·910² + 2·3640) on the same table ≈ 49M.
	wantParams := map[string][2]int{"sru": {23_900_000, 24_200_000}, "lstm": {48_700_000, 49_100_000}}
	for _, model := range lm.Models {
		t.Run(model, func(t *testing.T) {
			e, err := experiments.Load("../../experiments/lm/ptb_"+model+"_paper.toml", []string{"data_dir=" + data})
			if err != nil {
				t.Fatal(err)
			}
			c, ok := experiments.Section[lm.Config](e)
			if !ok {
				t.Fatalf("%s: not an lm experiment", e.Name)
			}
			if c.Layers != 6 || c.Hidden != 910 || !c.TieWeights || c.EvalBatchSize != 1 || c.BatchSize != 32 ||
				c.Dropout != 0.7 || c.RNNDropout != 0.2 || e.Train.LRDecay != 0.98 || e.Train.LRDecayStart != 175 ||
				e.Train.Epochs != 300 || e.Train.ClipGradNorm != 5 || e.Train.WeightDecay != 1e-5 || e.Precision != "float32" {
				t.Fatalf("not the paper's setup: %+v %+v", c, e.Train)
			}
			task, labels, err := experiments.NewTask(e, dev)
			if err != nil {
				t.Fatal(err)
			}
			if n, w := task.Params().Count(), wantParams[model]; n < w[0] || n > w[1] {
				t.Errorf("%d parameters, want %d..%d", n, w[0], w[1])
			}
			cfg := e.Train
			cfg.MaxSteps, cfg.LogEverySteps = 2, 1
			dir, err := train.NewRunDir(t.TempDir(), e.Name, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			run := &train.Run[float32]{Dir: dir, Experiment: e.Name, ConfigTOML: "#\n", Cfg: cfg, Seed: e.Seed,
				Labels: labels, Task: task, Dev: dev}
			sum, err := run.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			events, err := train.ReadEvents(dir)
			if err != nil {
				t.Fatal(err)
			}
			var losses []float64
			for _, ev := range events {
				if ev.Event == "train" {
					losses = append(losses, ev.Loss)
				}
			}
			// Near-uniform at the start: ln 10000 = 9.2 nats per token.
			if len(losses) != 2 || math.Abs(losses[0]-math.Log(10000)) > 1 || math.IsNaN(losses[1]) {
				t.Errorf("training losses %v", losses)
			}
			// Random words cannot be learnt: the perplexity stays large, but it is a number.
			if p := sum.Test["ppl"]; !(p > 1000) || math.IsInf(p, 0) {
				t.Errorf("test ppl %v after 2 steps", p)
			}
		})
	}
}
