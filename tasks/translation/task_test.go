package translation

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

// tinyConfig is a model small enough for tests.
func tinyConfig(model string, feed bool) Config {
	c := DefaultConfig()
	c.ExtraSplits = nil
	c.Model, c.InputFeed = model, feed
	c.BPEMerges, c.EmbeddingDim, c.Hidden, c.EncoderLayers, c.DecoderLayers = 100, 8, 8, 2, 2
	c.BatchTokens, c.EvalBatchSize = 200, 8
	return c
}

func TestSmokeTrain(t *testing.T) {
	for _, tc := range []struct {
		model string
		feed  bool
	}{{"sru", false}, {"lstm", true}, {"lstm", false}} {
		t.Run(tc.model+map[bool]string{true: "_feed", false: ""}[tc.feed], func(t *testing.T) {
			cfg := tinyConfig(tc.model, tc.feed)
			dev := kernels.MustCPU[float32]()
			task, err := New(cfg, "testdata", dev, 1)
			if err != nil {
				t.Fatal(err)
			}
			tcfg := train.DefaultConfig()
			tcfg.MaxSteps, tcfg.Epochs, tcfg.CheckpointEverySteps = 6, 2, 3
			tcfg.Optimizer, tcfg.LR, tcfg.ClipGradNorm = "adam", 1e-3, 5
			dir, err := train.NewRunDir(t.TempDir(), "translation", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			run := &train.Run[float32]{Dir: dir, Experiment: "translation", ConfigTOML: "#\n", Cfg: tcfg, Seed: 3,
				Labels: task.Labels(), Task: task, Dev: dev}
			sum, err := run.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := sum.Test["bleu"]; !ok {
				t.Fatalf("test metrics %v have no BLEU", sum.Test)
			}
			// The checkpoint carries the vocabulary, and predicting from it restores it.
			path, err := train.LatestCheckpoint(dir)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := train.ReadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(ck.TaskState), `"merges"`) {
				t.Fatalf("checkpoint task state %.80q holds no vocabulary", ck.TaskState)
			}
			var buf bytes.Buffer
			if err := train.Predict[float32](task, ck, "test", &buf); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != 20 {
				t.Fatalf("%d prediction lines, want 20", n)
			}
			m, err := task.Score("test", &buf)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m["decode_sent_per_s"]; !ok {
				t.Fatalf("metrics %v have no decoding speed", m)
			}
			if _, ok := m["bleu"]; !ok {
				t.Fatalf("metrics %v", m)
			}
		})
	}
}

// TestVocabularyState: the checkpoint's vocabulary loads back into a task.
func TestVocabularyState(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	task, err := New(tinyConfig("sru", false), "testdata", dev, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := task.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	if err := task.LoadState(data); err != nil {
		t.Fatal(err)
	}
	other, _ := TrainBPE([]string{"x y z"}, BPEConfig{Merges: 2, MinFrequency: 1})
	odd, _ := json.Marshal(other)
	if err := task.LoadState(odd); err == nil || !strings.Contains(err.Error(), "ids") {
		t.Fatalf("a vocabulary of another size loaded: %v", err)
	}
	kept, _ := task.TrainingPairs()
	if kept != 200 || !slices.Equal(task.Splits(), []string{"valid", "test"}) {
		t.Fatalf("%d pairs, splits %v", kept, task.Splits())
	}
}
