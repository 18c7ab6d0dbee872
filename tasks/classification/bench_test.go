package classification

import (
	"math/rand/v2"
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
