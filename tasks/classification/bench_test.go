package classification

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// BenchmarkEpoch times one training epoch (forward, backward, Adam; no evaluation) of each
// model with the default configuration on the embedded TREC, float32 on the CPU. It reports
// seconds per epoch and milliseconds per step:
//
//	go test -run - -bench Epoch -benchtime 3x ./tasks/classification
func BenchmarkEpoch(b *testing.B) {
	dev := kernels.MustCPU[float32]()
	for _, model := range Models {
		b.Run(model, func(b *testing.B) {
			c := DefaultConfig()
			c.Dataset, c.Model = "trec", model
			task, err := New(c, EmbeddedDataDir, dev, 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			g := nn.NewGraph(dev, rng)
			g.Training = true
			opt := nn.NewAdam(task.Params(), nn.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
			nb := task.NumBatches()
			epoch := func() {
				for _, i := range rng.Perm(nb) {
					g.Reset()
					task.Params().ZeroGrad()
					loss, _, err := task.Loss(g, i)
					if err != nil {
						b.Fatal(err)
					}
					g.Backward(loss)
					opt.Step()
				}
				if err := dev.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			epoch() // warm the graph's arena
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				epoch()
			}
			secs := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(secs, "s/epoch")
			b.ReportMetric(1000*secs/float64(nb), "ms/step")
		})
	}
}

// BenchmarkComponents says where a training step's time goes, for each model at the paper's
// setting: a batch of 32 sentences of 20 words (about MR's mean length), embedded TREC's
// vocabulary. Parts: the embedding lookup with dropout (forward and backward), the encoder
// (SRU, LSTM or CNN with its readout, forward and backward), the classifier (dropout, linear,
// cross entropy), Adam, and the whole step (gradients zeroed, forward, backward, Adam). Each
// iteration times every part once; medians are reported as <part>-ms:
//
//	go test -run - -bench Components -benchtime 200x ./tasks/classification
func BenchmarkComponents(b *testing.B) {
	const B, L = 32, 20
	dev := kernels.MustCPU[float32]()
	for _, model := range Models {
		c := DefaultConfig()
		c.Dataset, c.Model = "trec", model
		task, err := New(c, EmbeddedDataDir, dev, 1)
		if err != nil {
			b.Fatal(err)
		}
		m, ps := task.model, task.Params()
		rng := rand.New(rand.NewPCG(1, 2))
		exs := make([]Example, B)
		for i := range exs {
			exs[i].Label = int32(i % task.classes)
			for range L {
				exs[i].Words = append(exs[i].Words, task.vocab.Words[1+rng.IntN(len(task.vocab.Words)-1)])
			}
		}
		bt := &makeBatches(dev, exs, task.vocab, B, 0, false)[0]
		D, F := c.EmbeddingDim, m.outW.Rows()
		g := nn.NewGraph(dev, rng)
		g.Training = true
		opt := nn.NewAdam(ps, nn.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		seed := func(out *nn.Tensor[float32]) {
			dev.Fill(g.Grad(out), 1e-3)
			g.BackwardFrom()
		}
		input := func(shape ...int) *nn.Tensor[float32] {
			t := g.New(shape...)
			dev.Fill(t.Data, 0.1)
			t.NeedsGrad = true
			return t
		}
		parts := []struct {
			name string
			run  func()
		}{
			{"embedding", func() { seed(m.embed(g, bt)) }},
			{"encoder", func() { seed(m.encode(g, input(L, B, D), bt)) }},
			{"classifier", func() {
				g.Backward(g.CrossEntropy(m.classify(g, input(B, F)), bt.labels, nil, -1))
			}},
			{"adam", func() { opt.Step() }},
			{"step", func() {
				ps.ZeroGrad()
				g.Backward(g.CrossEntropy(m.forward(g, bt), bt.labels, nil, -1))
				opt.Step()
			}},
		}
		b.Run(model, func(b *testing.B) {
			once := func(run func()) time.Duration {
				g.Reset()
				t0 := time.Now()
				run()
				if err := dev.Sync(); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			for _, p := range parts { // warm the arena
				once(p.run)
			}
			times := make([][]time.Duration, len(parts))
			b.ResetTimer()
			for range b.N {
				for i, p := range parts {
					times[i] = append(times[i], once(p.run))
				}
			}
			for i, p := range parts {
				slices.Sort(times[i])
				b.ReportMetric(1000*times[i][len(times[i])/2].Seconds(), p.name+"-ms")
			}
		})
	}
}
