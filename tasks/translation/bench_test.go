package translation

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// cpuScaleTask builds the CPU-scale task (experiments/translation/*_cpu.toml) on the staged
// data, or skips.
func cpuScaleTask(b testing.TB, model string, feed bool, layers int) *Task[float32] {
	dir, required := dataDir(b)
	if _, err := os.Stat(dir + "/translation/multi30k/train.en.gz"); err != nil && !required {
		b.Skip("no Multi30K; set SRU_DATA")
	}
	c := DefaultConfig()
	c.ExtraSplits = nil
	c.Model, c.InputFeed = model, feed
	c.EmbeddingDim, c.Hidden, c.EncoderLayers, c.DecoderLayers = 256, 256, layers, layers
	c.BPEMerges, c.BatchTokens = 4000, 2048
	t, err := New(c, dir, kernels.MustCPU[float32](), 1)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkTrainStep times forward + backward of the same 2048-token training batches for
// the SRU (1 and 3 layers), the LSTM with input feeding and the LSTM without (target tokens/s
// reported).
func BenchmarkTrainStep(b *testing.B) {
	for _, tc := range []struct {
		model  string
		feed   bool
		layers int
	}{{"sru", false, 1}, {"sru", false, 3}, {"lstm", true, 1}, {"lstm", false, 1}} {
		b.Run(fmt.Sprintf("%s_layers=%d_feed=%v", tc.model, tc.layers, tc.feed), func(b *testing.B) {
			task := cpuScaleTask(b, tc.model, tc.feed, tc.layers)
			g := nn.NewGraph[float32](task.dev, rand.New(rand.NewPCG(1, 2)))
			g.Training = true
			mid := len(task.batches) / 2
			tokens := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt, _ := task.LoadBatch(mid + i%8)
				g.Reset()
				task.ps.ZeroGrad()
				loss, n, err := task.BatchLoss(g, mid+i%8, bt)
				if err != nil {
					b.Fatal(err)
				}
				g.Backward(loss)
				tokens += n
			}
			task.dev.Sync()
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDecode times greedy and beam-5 decoding of 128 validation sentences with the
// untrained CPU-scale models (sentences/s). An untrained model runs every sentence to the
// length limit, so every model decodes the same number of steps and this measures the cost
// of a step; a trained model's speed also depends on when it emits EOS.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct {
		model string
		feed  bool
	}{{"sru", false}, {"lstm", true}, {"lstm", false}} {
		task := cpuScaleTask(b, tc.model, tc.feed, 1)
		exs := task.eval["valid"][:128]
		src := make([][]int32, len(exs))
		for i, e := range exs {
			src[i] = e.src
		}
		for _, beam := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s_feed=%v/beam=%d", tc.model, tc.feed, beam), func(b *testing.B) {
				start := time.Now()
				for i := 0; i < b.N; i++ {
					var err error
					if beam == 1 {
						_, err = greedy(task.model, task.dev, src)
					} else {
						_, err = beamSearch(task.model, task.dev, src, beam, "none", 0)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(src))/time.Since(start).Seconds(), "sentences/s")
			})
		}
	}
}
