package speech

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// TestGradAcousticModelCTC: central finite differences of the CTC loss (mean reduction)
// through the whole acoustic model, for every parameter, in float64: SRU and LSTM,
// bidirectional and unidirectional with a label delay, a batch of two utterances of
// different lengths (one with a repeated label, which needs a blank between).
func TestGradAcousticModelCTC(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	const dim, classes = 3, 4
	rng := rand.New(rand.NewPCG(3, 4))
	feats := []*Features{randomFeatures(rng, 6, dim, 0), randomFeatures(rng, 4, dim, 0)}
	targets := [][]int32{{1, 1, 3}, {2}}
	for _, kind := range []string{"sru", "lstm"} {
		for _, bidir := range []bool{true, false} {
			cfg := ModelConfig{Encoder: kind, Hidden: 2, Layers: 2, Bidirectional: bidir, HighwayBias: -0.5}
			if !bidir {
				cfg.Delay = 1
			}
			name := fmt.Sprintf("%s/bidirectional=%v", kind, bidir)
			ps := nn.NewParams(dev)
			m, err := NewAcousticModel(ps, dim, classes, cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			x, L, lengths := m.BatchInput(feats)
			g := nn.NewGraph[float64](dev, nil)
			g.Training = true
			loss := func() *nn.Tensor[float64] {
				g.Reset()
				out, bad := g.CTCLoss(m.Logits(g, g.FromHost(x, L+cfg.Delay, len(feats), dim), lengths), targets, lengths,
					ctcOptions)
				if bad != 0 {
					t.Fatalf("%s: %d infeasible", name, bad)
				}
				return out
			}
			ps.ZeroGrad()
			g.Backward(loss())
			const eps, tol = 1e-6, 1e-6
			checked := 0
			for _, p := range ps.List() {
				analytic := append([]float64(nil), p.Grad.Host()...)
				data := p.Data.Host()
				for j := range data {
					orig := data[j]
					data[j] = orig + eps
					lp := loss().Data.Host()[0]
					data[j] = orig - eps
					lm := loss().Data.Host()[0]
					data[j] = orig
					num := (lp - lm) / (2 * eps)
					if d := math.Abs(num - analytic[j]); !(d <= tol*(1+math.Abs(num))) {
						t.Errorf("%s: d/d %s[%d]: analytic %.10g, numeric %.10g", name, p.Name, j, analytic[j], num)
					}
					checked++
				}
			}
			if checked < 50 {
				t.Fatalf("%s: %d gradients checked", name, checked)
			}
		}
	}
}

// testdataCorpus is the three shipped FSDD recordings (testdata/README.md), train and test
// alike: a corpus for smoke tests only.
func testdataCorpus(t *testing.T) *Corpus {
	t.Helper()
	c := &Corpus{Name: "testdata", Words: DigitWords, Chars: DigitChars}
	for _, name := range []string{"6_yweweler_3", "6_nicolas_7", "2_theo_34"} {
		a, err := ReadWAV(filepath.Join("testdata", name+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		digit, speaker, _, err := ParseFSDDName(name + ".wav")
		if err != nil {
			t.Fatal(err)
		}
		u := Utterance{ID: name, Speaker: speaker, Transcript: DigitWordList[digit], SampleRate: a.SampleRate,
			Samples: a.Channel(0)}
		c.Train = append(c.Train, u)
		c.Test = append(c.Test, u)
	}
	return c
}

// smokeConfig is a tiny model on testdataCorpus, with SpecAugment.
func smokeConfig(encoder string, bidir bool) Config {
	c := DefaultConfig()
	c.Corpus, c.Labels, c.ValidFraction = CorpusIsolatedDigits, "chars", 0.34
	c.Features.NumMelBins = 20
	c.SpecAugment = SpecAugmentConfig{FreqMasks: 1, MaxFreqWidth: 4, TimeMasks: 1, MaxTimeWidth: 3}
	c.Model = ModelConfig{Encoder: encoder, Hidden: 16, Layers: 1, Bidirectional: bidir}
	if !bidir {
		c.Model.Delay = 2
	}
	c.MaxUtterances = 1
	return c
}

// TestSmokeTrain runs a few training steps with train.Run on the shipped recordings, for the
// SRU and the LSTM: the losses are finite, evaluation gives the loss and the scores, Predict
// writes one `id transcript` line per utterance and Score reads them back.
func TestSmokeTrain(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	for _, model := range []struct {
		encoder string
		bidir   bool
	}{{"sru", false}, {"lstm", true}} {
		name := fmt.Sprintf("%s/bidirectional=%v", model.encoder, model.bidir)
		task, err := NewFromCorpus(smokeConfig(model.encoder, model.bidir), testdataCorpus(t), dev, 1)
		if err != nil {
			t.Fatal(err)
		}
		if s := task.Stats(); s.Train != 2 || s.Valid != 1 || s.Test != 3 || s.Classes != DigitChars.NumClasses() || s.InfeasibleTrain != 0 {
			t.Fatalf("%s: stats %+v", name, s)
		}
		cfg := train.DefaultConfig()
		cfg.MaxSteps, cfg.LR, cfg.LogEverySteps = 6, 1e-2, 2
		dir, err := train.NewRunDir(t.TempDir(), "smoke", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		run := &train.Run[float32]{Dir: dir, Experiment: "smoke", ConfigTOML: "#\n", Cfg: cfg, Seed: 3,
			Labels: task.Labels(), Task: task, Dev: dev}
		sum, err := run.Train(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		events, err := train.ReadEvents(dir)
		if err != nil {
			t.Fatal(err)
		}
		steps := 0
		for _, e := range events {
			if e.Event == "train" {
				steps++
				if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) || e.Loss <= 0 {
					t.Errorf("%s: training loss %g", name, e.Loss)
				}
			}
		}
		if steps == 0 {
			t.Fatalf("%s: no training events", name)
		}
		for _, m := range []train.Metrics{sum.Test} {
			for _, k := range []string{"loss", "wer", "cer", "sentence_accuracy", "infeasible"} {
				if v, ok := m[k]; !ok || math.IsNaN(v) || v < 0 {
					t.Errorf("%s: test %s = %v (present %v) in %v", name, k, v, ok, m)
				}
			}
		}
		var buf bytes.Buffer
		if err := task.Predict("test", &buf); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "6_yweweler_3") {
			t.Fatalf("%s: predictions %q", name, buf.String())
		}
		scores, err := task.Score("test", strings.NewReader(buf.String()))
		if err != nil || scores["wer"] != sum.Test["wer"] {
			t.Errorf("%s: scores %v (%v), run's test %v", name, scores, err, sum.Test)
		}
		perfect, err := task.Score("test", strings.NewReader("6_yweweler_3 six\n6_nicolas_7  six \n2_theo_34 two\n"))
		if err != nil || perfect["wer"] != 0 || perfect["cer"] != 0 || perfect["sentence_accuracy"] != 1 {
			t.Errorf("%s: perfect predictions scored %v (%v)", name, perfect, err)
		}
		t.Logf("%s: test %v", name, sum.Test)
	}
}

// TestBeginEpochDeterministic: re-bucketing depends only on the RNG's state, keeps every
// training utterance exactly once, and SpecAugment masks drawn from the graph's RNG repeat
// with its state, so that a resumed run rebuilds the same batches and masks.
func TestBeginEpochDeterministic(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	cfg := smokeConfig("sru", true)
	cfg.ValidFraction = 0.1 // 1 of 3 held out
	task, err := NewFromCorpus(cfg, testdataCorpus(t), dev, 1)
	if err != nil {
		t.Fatal(err)
	}
	batches := func(seed uint64) string {
		if err := task.BeginEpoch(0, rand.New(rand.NewPCG(seed, 9))); err != nil {
			t.Fatal(err)
		}
		seen := map[int]int{}
		for _, b := range task.batches {
			for _, i := range b {
				seen[i]++
			}
		}
		if len(seen) != task.stats.Train {
			t.Fatalf("batches %v cover %d of %d utterances", task.batches, len(seen), task.stats.Train)
		}
		return fmt.Sprint(task.batches)
	}
	if a, b := batches(5), batches(5); a != b {
		t.Errorf("same RNG state, batches %s then %s", a, b)
	}
	loss := func(seed uint64) float64 {
		g := nn.NewGraph[float64](dev, rand.New(rand.NewPCG(seed, 1)))
		g.Training = true
		l, _, err := task.Loss(g, 0)
		if err != nil {
			t.Fatal(err)
		}
		return l.Data.Host()[0]
	}
	if a, b := loss(7), loss(7); a != b {
		t.Errorf("same RNG state, losses %g and %g", a, b)
	}
}

// TestStepAllocs: a training step (forward with SpecAugment, CTC, backward, optimizer)
// allocates nothing once the graph has seen the batch shapes.
func TestStepAllocs(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	for _, encoder := range []string{"sru", "lstm"} {
		task, err := NewFromCorpus(smokeConfig(encoder, false), testdataCorpus(t), dev, 1)
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
		for i := range task.NumBatches() {
			step(i)
		}
		if n := testing.AllocsPerRun(5, func() { step(0) }); n != 0 {
			t.Errorf("%s: %.0f allocations per step", encoder, n)
		}
	}
}

// TestBeamTranscripts: with beam > 1 the task decodes every utterance by prefix beam search
// (the decoder itself is tested against brute force in decode_test.go).
func TestBeamTranscripts(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	task, err := NewFromCorpus(smokeConfig("sru", true), testdataCorpus(t), dev, 1)
	if err != nil {
		t.Fatal(err)
	}
	greedy, err := task.Transcripts("test")
	if err != nil {
		t.Fatal(err)
	}
	task.cfg.Beam = 4
	beam, err := task.Transcripts("test")
	if err != nil {
		t.Fatal(err)
	}
	if len(beam) != len(greedy) || len(beam) != 3 {
		t.Fatalf("greedy %q, beam %q", greedy, beam)
	}
	t.Logf("greedy %q, beam %q", greedy, beam)
}
