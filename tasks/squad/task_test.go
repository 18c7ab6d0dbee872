package squad

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// sliceDataDir is a data directory whose squad/ holds the shipped dev slice as both train and
// dev.
func sliceDataDir(t testing.TB) string {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "dev-slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "squad"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "squad", "slice.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tinyConfig(model string) Config {
	c := DefaultConfig()
	c.TrainFile, c.DevFile, c.Model = "slice.json", "slice.json", model
	c.EmbeddingDim, c.Hidden, c.DocLayers, c.QuestionLayers = 8, 4, 2, 2
	c.BatchSize, c.EvalBatchSize = 8, 16
	return c
}

// TestReaderGradient checks the gradient of the whole reader (embeddings, aligned question
// embedding, features, both encoders with every layer concatenated, self-attention merge,
// bilinear scores, the loss), dropout on, against float64 central differences, for SRU and
// LSTM encoders, with fixed pretrained vectors, with the POS and NER one-hots (inputs: the
// gradient is unaffected but for the wider first layer), and with the dropouts of the two
// official readers (dropout_output, the LSTM's dropout_input, the SRU's dropout on its top
// layer; the SRU's rnn_dropout off).
func TestReaderGradient(t *testing.T) {
	for _, variant := range []string{"sru", "lstm", "sru-pretrained", "sru-posner", "sru-drqa", "lstm-drqa"} {
		t.Run(variant, func(t *testing.T) {
			model, drqa := strings.CutSuffix(variant, "-drqa")
			model, tagged := strings.CutSuffix(model, "-posner")
			model, pretrained := strings.CutSuffix(model, "-pretrained")
			cfg := tinyConfig(model)
			cfg.POS, cfg.NER = tagged, tagged
			cfg.EmbeddingDim, cfg.Hidden = 5, 3
			if pretrained { // fixed vectors with tuned rows: two tables summed
				cfg.Embeddings, cfg.TunePartial = writeGloVe(t, t.TempDir(), 5), 10
			}
			cfg.DropoutEmb, cfg.DropoutRNN = 0.3, 0.2
			if drqa { // the dropouts of the two official readers; the SRU's input dropout off
				cfg.DropoutOutput, cfg.LSTM.DropoutInput, cfg.ConcatLayers = true, true, false
				zero := 0.0
				cfg.SRU.RNNDropout, cfg.SRU.DropoutTop = &zero, true
			}
			task, err := New(cfg, sliceDataDir(t), kernels.MustCPU[float64](), 3)
			if err != nil {
				t.Fatal(err)
			}
			// A tiny input: three questions of two short paragraphs.
			var qs []int32
			for qi, q := range task.train.prep.Questions {
				if len(task.train.docIDs[q.Paragraph]) < 130 && q.First >= 0 && len(qs) < 3 {
					qs = append(qs, int32(qi))
				}
			}
			b := makeBatch[float64](task.train, qs)
			g := nn.NewGraph[float64](task.dev, nil)
			g.Training = true
			forward := func() *nn.Tensor[float64] {
				g.Reset()
				g.RNG = rand.New(rand.NewPCG(9, 9)) // the same dropout masks every time
				return task.model.loss(g, b)
			}
			loss := func() float64 { return forward().Data.Host()[0] }
			if drqa { // the extra dropouts are there: without them the loss differs
				both := loss()
				task.model.cfg.DropoutOutput = false
				inputOnly := loss()
				task.model.cfg.LSTM.DropoutInput = false
				if both == inputOnly {
					t.Error("dropout_output changes nothing")
				}
				if model == "lstm" && loss() == inputOnly {
					t.Error("lstm.dropout_input changes nothing")
				}
				task.model.cfg.DropoutOutput, task.model.cfg.LSTM.DropoutInput = true, true
			}
			task.ps.ZeroGrad()
			g.Backward(forward())
			rng := rand.New(rand.NewPCG(4, 4))
			checked := 0
			for _, p := range task.ps.List() {
				if !p.NeedsGrad { // the 2017 SRU's weight_c, fixed at 0
					continue
				}
				data, grad := p.Data.Host(), append([]float64(nil), p.Grad.Host()...)
				var idx []int
				if p.RowSparse { // entries of rows the batch uses
					for _, r := range p.Touched {
						idx = append(idx, int(r)*p.Cols()+rng.IntN(p.Cols()))
					}
					rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
					idx = idx[:min(len(idx), 8)]
				} else {
					for k := 0; k < min(6, len(data)); k++ {
						idx = append(idx, rng.IntN(len(data)))
					}
				}
				for _, i := range idx {
					const eps = 1e-6
					old := data[i]
					data[i] = old + eps
					up := loss()
					data[i] = old - eps
					down := loss()
					data[i] = old
					num := (up - down) / (2 * eps)
					if math.Abs(num-grad[i]) > 1e-6+1e-5*math.Abs(num) {
						t.Errorf("%s[%d]: tape %.10g, finite differences %.10g", p.Name, i, grad[i], num)
					}
					checked++
				}
			}
			t.Logf("%d entries of %d parameters checked", checked, len(task.ps.List()))
		})
	}
}

// TestSmokeRun trains a few steps on the shipped slice with the loop (prefetching, epoch
// re-bucketing, dev prediction scored with the official metric), for SRU and LSTM, and for
// the SRU with the POS and NER features.
func TestSmokeRun(t *testing.T) {
	for _, variant := range []string{"sru", "lstm", "sru-posner"} {
		t.Run(variant, func(t *testing.T) {
			model, tagged := strings.CutSuffix(variant, "-posner")
			sc := tinyConfig(model)
			sc.POS, sc.NER = tagged, tagged
			task, err := New(sc, sliceDataDir(t), kernels.MustCPU[float32](), 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg := train.DefaultConfig()
			cfg.Epochs, cfg.Optimizer, cfg.LR, cfg.ClipGradNorm = 2, "adamax", 0.002, 20
			dir, err := train.NewRunDir(t.TempDir(), "squad", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			run := &train.Run[float32]{Dir: dir, Experiment: "squad", ConfigTOML: "#\n", Cfg: cfg, Seed: 1,
				Labels: task.Labels(), Task: task, Dev: task.dev}
			sum, err := run.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", sum)
			var buf bytes.Buffer
			if err := task.Predict("valid", &buf); err != nil {
				t.Fatal(err)
			}
			var preds map[string]string
			if err := json.Unmarshal(buf.Bytes(), &preds); err != nil {
				t.Fatal(err)
			}
			if len(preds) != len(task.valid.prep.Questions) {
				t.Fatalf("%d predictions for %d questions", len(preds), len(task.valid.prep.Questions))
			}
			m, err := task.Score("valid", bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if !(m["f1"] >= m["exact_match"] && m["f1"] <= 100) {
				t.Fatalf("scores %v", m)
			}
		})
	}
}
