//go:build cuda || cudaemu

package all_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gosru/gosru/internal/devcheck"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/tasks/lm"
	"github.com/gosru/gosru/tasks/speech"
	"github.com/gosru/gosru/tasks/squad"
	"github.com/gosru/gosru/tasks/translation"
	"github.com/gosru/gosru/train"
)

// taskCase is one task and model trained on both devices.
type taskCase struct {
	name string
	new  func(t *testing.T, dev kernels.Device[float64]) train.Task[float64]
	cfg  train.Config
}

// TestCUDATasks trains every task (each model of it) for a few steps on data the repository
// ships, in float64, once on the CPU device and once on the CUDA device, and checks that the
// two runs agree (internal/devcheck): every logged training loss, every evaluation on the
// validation and test splits (decoding included: SQuAD's span search, translation's beam
// search and BLEU, speech's CTC loss and greedy decoding, the language model's perplexity)
// and every final parameter, within 1e-8, and the predictions of the tasks that write them
// must be the same. The dropouts are on: their masks come from the run's RNG on the host, the
// same on both devices.
func TestCUDATasks(t *testing.T) {
	gpu := devcheck.OpenCUDA[float64](t)
	var cases []taskCase
	for _, model := range classification.Models {
		cases = append(cases, classificationCase(model))
	}
	for _, model := range []string{"sru", "lstm"} {
		cases = append(cases, lmCase(model), squadCase(model), speechCase(model))
	}
	cases = append(cases, translationCase("sru", false), translationCase("lstm", true))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cpu := kernels.MustCPU[float64]()
			want := devcheck.Train(t, c.new(t, cpu), cpu, c.cfg, 3)
			devcheck.Bind(t, gpu) // this subtest's goroutine builds and trains on it
			got := devcheck.Train(t, c.new(t, gpu), gpu, c.cfg, 3)
			devcheck.Compare(t, want, got, 1e-8)
			t.Logf("%d losses, %d evaluation metrics, %d parameters agree; last loss %.6g",
				len(want.Losses), len(want.Evals), len(want.Params), want.Losses[len(want.Losses)-1])
		})
	}
}

// steps is a run of n steps that logs every step's loss, evaluates after the last, clips
// gradients and optimizes with opt.
func steps(n int, opt string, lr float64) train.Config {
	c := train.DefaultConfig()
	c.MaxSteps, c.EvalEverySteps, c.LogEverySteps = n, n, 1
	c.Optimizer, c.LR, c.ClipGradNorm = opt, lr, 5
	return c
}

func classificationCase(model string) taskCase {
	return taskCase{name: "classification/" + model, cfg: steps(6, "adam", 1e-2),
		new: func(t *testing.T, dev kernels.Device[float64]) train.Task[float64] {
			c := classification.DefaultConfig()
			c.Dataset, c.Model = "trec", model
			c.EmbeddingDim, c.Hidden, c.CNNMaps, c.Dropout = 16, 16, 8, 0.1
			return must(classification.New(c, classification.EmbeddedDataDir, dev, 7))(t)
		}}
}

func lmCase(model string) taskCase {
	return taskCase{name: "lm/" + model, cfg: steps(6, "sgd", 0.3),
		new: func(t *testing.T, dev kernels.Device[float64]) train.Task[float64] {
			c := lm.DefaultConfig()
			c.Model = model
			c.BatchSize, c.EvalBatchSize, c.Unroll = 4, 2, 6
			c.EmbeddingDim, c.Hidden, c.Layers = 16, 16, 2
			c.Dropout, c.RNNDropout = 0.2, 0.1
			return must(lm.New(c, tinyLMCorpus(t), dev, 5))(t)
		}}
}

func squadCase(model string) taskCase {
	return taskCase{name: "squad/" + model, cfg: steps(4, "adamax", 0.002),
		new: func(t *testing.T, dev kernels.Device[float64]) train.Task[float64] {
			c := squad.DefaultConfig()
			c.TrainFile, c.DevFile, c.Model = "slice.json", "slice.json", model
			c.EmbeddingDim, c.Hidden, c.DocLayers, c.QuestionLayers = 8, 4, 2, 2
			c.BatchSize, c.EvalBatchSize = 8, 32
			return must(squad.New(c, squadSlice(t), dev, 1))(t)
		}}
}

func speechCase(model string) taskCase {
	return taskCase{name: "speech/" + model, cfg: steps(4, "adam", 1e-2),
		new: func(t *testing.T, dev kernels.Device[float64]) train.Task[float64] {
			c := speech.DefaultConfig()
			c.Corpus, c.Labels, c.ValidFraction = speech.CorpusIsolatedDigits, "chars", 0.34
			c.Features.NumMelBins = 20
			c.SpecAugment = speech.SpecAugmentConfig{FreqMasks: 1, MaxFreqWidth: 4, TimeMasks: 1, MaxTimeWidth: 3}
			c.Model = speech.ModelConfig{Encoder: model, Hidden: 8, Layers: 2, Bidirectional: true}
			c.MaxUtterances = 1
			return must(speech.NewFromCorpus(c, speechCorpus(t), dev, 1))(t)
		}}
}

func translationCase(model string, feed bool) taskCase {
	return taskCase{name: fmt.Sprintf("translation/%s_feed=%v", model, feed), cfg: steps(4, "adam", 1e-3),
		new: func(t *testing.T, dev kernels.Device[float64]) train.Task[float64] {
			c := translation.DefaultConfig()
			c.ExtraSplits = nil
			c.Model, c.InputFeed = model, feed
			c.BPEMerges, c.EmbeddingDim, c.Hidden, c.EncoderLayers, c.DecoderLayers = 100, 8, 8, 2, 2
			c.BatchTokens, c.EvalBatchSize, c.Beam = 200, 8, 2
			return must(translation.New(c, filepath.Join("..", "translation", "testdata"), dev, 1))(t)
		}}
}

// must turns a constructor's (task, error) into a task, failing t on the error.
func must[P train.Task[float64]](task P, err error) func(t *testing.T) train.Task[float64] {
	return func(t *testing.T) train.Task[float64] {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
}

// tinyLMCorpus writes a small corpus of a repeating 12-word cycle as a "ptb" dataset.
func tinyLMCorpus(t *testing.T) string {
	dir := t.TempDir()
	for split, n := range map[string]int{"train": 200, "valid": 20, "test": 20} {
		lines := make([]string, n)
		for i := range lines {
			for k := range 2 + i%6 {
				lines[i] += fmt.Sprintf(" w%d", (i*7+k)%12)
			}
		}
		if err := lm.WriteSplit(dir, "ptb", split, lines); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// squadSlice is a data directory whose squad/slice.json is the shipped SQuAD dev slice.
func squadSlice(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "squad", "testdata", "dev-slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "squad"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "squad", "slice.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// speechCorpus is the three shipped FSDD recordings, train and test alike.
func speechCorpus(t *testing.T) *speech.Corpus {
	c := &speech.Corpus{Name: "testdata", Words: speech.DigitWords, Chars: speech.DigitChars}
	for _, name := range []string{"6_yweweler_3", "6_nicolas_7", "2_theo_34"} {
		a, err := speech.ReadWAV(filepath.Join("..", "speech", "testdata", name+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		digit, speaker, _, err := speech.ParseFSDDName(name + ".wav")
		if err != nil {
			t.Fatal(err)
		}
		u := speech.Utterance{ID: name, Speaker: speaker, Transcript: speech.DigitWordList[digit],
			SampleRate: a.SampleRate, Samples: a.Channel(0)}
		c.Train, c.Test = append(c.Train, u), append(c.Test, u)
	}
	return c
}
