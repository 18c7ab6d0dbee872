package lm

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// benchFile is what the benchmark reads of an experiment file.
type benchFile struct {
	LM    Config `toml:"lm"`
	Train struct {
		WeightDecay  float64 `toml:"weight_decay"`
		ClipGradNorm float64 `toml:"clip_grad_norm"`
	} `toml:"train"`
}

// benchConfig reads the CPU-scale experiment of a model (experiments/lm/ptb_<model>_cpu.toml),
// so that the benchmark times the size and settings that are trained.
func benchConfig(b *testing.B, model string) benchFile {
	f := benchFile{LM: DefaultConfig()}
	path := "../../experiments/lm/ptb_" + model + "_cpu.toml"
	if _, err := toml.DecodeFile(path, &f); err != nil {
		b.Fatal(err)
	}
	if f.LM.Model != model {
		b.Fatalf("%s trains %q", path, f.LM.Model)
	}
	return f
}

// BenchmarkComponents times one training step of PTB at the CPU-scale size split by
// component, forward and backward of each alone, for the SRU and the LSTM model:
//
//	embedding  lookup and dropout of the [L, B] window (backward: scatter into the table)
//	recurrent  the SRU or LSTM stack from a carried state
//	softmax    dropout, the [L·B, H]·[H, 10k] output layer and the cross entropy
//	step       the whole step: zeroing the gradients, all of the above, gradient clipping and
//	           the SGD update
//
// It reports the median ms of each part and tokens/s of the whole step:
//
//	go test -run - -bench Components -benchtime 20x ./tasks/lm
func BenchmarkComponents(b *testing.B) {
	const vocab = 10000
	dev := kernels.MustCPU[float32]()
	for _, model := range Models {
		file := benchConfig(b, model)
		cfg := file.LM
		B, L, D := cfg.BatchSize, cfg.Unroll, cfg.EmbeddingDim
		ps := nn.NewParams(dev)
		rng := rand.New(rand.NewPCG(1, 2))
		m, err := newModel(ps, cfg, vocab, rng)
		if err != nil {
			b.Fatal(err)
		}
		st := m.newCarry(dev, B)
		st.reset(dev)
		x, y := make([]int32, L*B), make([]int32, L*B)
		for i := range x {
			x[i], y[i] = int32(rng.IntN(vocab)), int32(rng.IntN(vocab))
		}
		g := nn.NewGraph(dev, rng)
		g.Training = true
		opt := nn.NewSGD(ps, nn.SGDConfig{LR: 0.1, WeightDecay: file.Train.WeightDecay})
		// seed fills the gradient of a component's output with a constant, standing in for
		// the layers above it.
		seed := func(out *nn.Tensor[float32]) {
			dev.Fill(g.Grad(out), 1e-3)
			g.BackwardFrom()
		}
		input := func(cols int) *nn.Tensor[float32] {
			t := g.New(L, B, cols)
			dev.Fill(t.Data, 0.1)
			t.NeedsGrad = true
			return t
		}
		parts := []struct {
			name string
			run  func()
		}{
			{"embedding", func() {
				e := g.Embedding(m.emb, x)
				seed(g.Dropout(g.Reshape(e, L, B, D), cfg.Dropout))
			}},
			{"recurrent", func() { seed(m.recurrent(g, input(D), st)) }},
			{"softmax", func() {
				h := g.Dropout(input(cfg.Hidden), cfg.Dropout)
				g.Backward(g.CrossEntropy(m.output(g, h), y, nil, -1))
			}},
			{"step", func() {
				loss := g.CrossEntropy(m.forward(g, x, L, B, st), y, nil, -1)
				g.Backward(m.scaleGrad(g, loss, float64(L)))
				if file.Train.ClipGradNorm > 0 {
					nn.ClipGradNorm(ps, file.Train.ClipGradNorm)
				}
				opt.Step()
			}},
		}
		b.Run(model, func(b *testing.B) {
			// once times one part; the whole step includes zeroing the gradients, as in training.
			once := func(name string, run func()) time.Duration {
				g.Reset()
				t0 := time.Now()
				ps.ZeroGrad()
				if name != "step" {
					t0 = time.Now()
				}
				run()
				if err := dev.Sync(); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			for _, p := range parts { // warm the arena
				once(p.name, p.run)
			}
			// Each iteration times every part once, so that a change in the machine's load
			// shifts all parts alike; the medians are reported.
			times := make([][]time.Duration, len(parts))
			b.ResetTimer()
			for range b.N {
				for i, p := range parts {
					times[i] = append(times[i], once(p.name, p.run))
				}
			}
			for i, p := range parts {
				slices.Sort(times[i])
				med := times[i][len(times[i])/2].Seconds()
				b.ReportMetric(1000*med, p.name+"-ms")
				if p.name == "step" {
					b.ReportMetric(float64(L*B)/med, "tokens/s")
				}
			}
		})
	}
}
