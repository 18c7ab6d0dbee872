package train

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// synthLoaderTask is a synthetic BatchLoader for the prefetch benchmark: loading a batch takes
// load (sleeping, as waiting for a disk would, or spinning, as tokenising would) and its step
// spins for compute.
type synthLoaderTask struct {
	ps            *nn.Params[float64]
	w             *nn.Param[float64]
	load, compute time.Duration
	spinLoad      bool
}

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

func (s *synthLoaderTask) Params() *nn.Params[float64]            { return s.ps }
func (s *synthLoaderTask) NumBatches() int                        { return 4096 }
func (s *synthLoaderTask) Shuffle() bool                          { return true }
func (s *synthLoaderTask) Splits() []string                       { return nil }
func (s *synthLoaderTask) Selection() (string, bool)              { return "loss", false }
func (s *synthLoaderTask) Evaluate(split string) (Metrics, error) { return Metrics{"loss": 0}, nil }
func (s *synthLoaderTask) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	panic("unused")
}

func (s *synthLoaderTask) LoadBatch(i int) (any, error) {
	if s.spinLoad {
		spin(s.load)
	} else {
		time.Sleep(s.load)
	}
	return i, nil
}

func (s *synthLoaderTask) BatchLoss(g *nn.Graph[float64], i int, batch any) (*nn.Tensor[float64], int, error) {
	spin(s.compute)
	return g.Mul(&s.w.Tensor, &s.w.Tensor), 1, nil
}

// BenchmarkPrefetch times a step whose batch takes 2 ms to load and 2 ms to compute, loaded
// in the step (prefetch=0) or ahead in a goroutine (prefetch=2): with the overlap a step costs
// the larger of the two instead of their sum. The loader sleeps (I/O) or spins (a second core
// is busy tokenising).
//
//	go test -run - -bench Prefetch -benchtime 300x ./train
func BenchmarkPrefetch(b *testing.B) {
	dev := kernels.MustCPU[float64]()
	for _, spinLoad := range []bool{false, true} {
		for _, prefetch := range []int{0, 2} {
			kind := "sleep"
			if spinLoad {
				kind = "spin"
			}
			b.Run(fmt.Sprintf("load=%s/prefetch=%d", kind, prefetch), func(b *testing.B) {
				task := &synthLoaderTask{ps: nn.NewParams(dev), load: 2 * time.Millisecond,
					compute: 2 * time.Millisecond, spinLoad: spinLoad}
				task.w = task.ps.Add("w", 1)
				cfg := DefaultConfig()
				cfg.Epochs, cfg.MaxSteps, cfg.LogEverySteps, cfg.Prefetch = 0, b.N, 0, prefetch
				dir, err := NewRunDir(b.TempDir(), "bench", time.Now())
				if err != nil {
					b.Fatal(err)
				}
				run := &Run[float64]{Dir: dir, Experiment: "bench", ConfigTOML: "#\n", Cfg: cfg, Seed: 1, Task: task, Dev: dev}
				b.ResetTimer()
				if _, err := run.Train(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
			})
		}
	}
}
