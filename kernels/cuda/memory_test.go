//go:build cuda || cudaemu

package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// TestMemoryBoundedOverLengths is the CUDA form of the test in package sru: training steps over
// random shapes hold (allocator bytes live plus cached, i.e. all the device memory taken from
// the driver) at most twice the steady state at the largest shape, and a repeated shape takes
// nothing from the driver or the cache's misses. Each model gets its own device, so the counts
// are its own.
func TestMemoryBoundedOverLengths(t *testing.T) {
	maxL, maxB, steps := 200, 32, 300
	steadyDev, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer steadyDev.Close()
	steady := newMemoryModel(t, steadyDev, maxL, maxB)
	for range 3 {
		steady.step(maxL, maxB)
	}
	base := deviceHeld(steadyDev)

	dev, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	m := newMemoryModel(t, dev, maxL, maxB)
	rng := rand.New(rand.NewPCG(7, 8))
	var worst int64
	for i := range steps {
		m.step(1+rng.IntN(maxL), 1+rng.IntN(maxB))
		if i >= steps/10 {
			worst = max(worst, deviceHeld(dev))
		}
	}
	if err := dev.Sync(); err != nil {
		t.Fatal(err)
	}
	t.Logf("device memory at (%d, %d): %.2f MiB; worst over random shapes: %.2f MiB (%.2f×)",
		maxL, maxB, float64(base)/(1<<20), float64(worst)/(1<<20), float64(worst)/float64(base))
	if worst > 2*base {
		t.Errorf("held %d bytes over random shapes, more than 2× the %d of the steady state", worst, base)
	}
	m.step(23, 5)
	_, _, _, _, misses := dev.MemStats()
	for range 3 {
		m.step(23, 5)
	}
	if _, _, _, _, after := dev.MemStats(); after != misses {
		t.Errorf("a repeated shape took %d new blocks from the driver", after-misses)
	}
}

func deviceHeld[T float32 | float64](d *Device[T]) int64 {
	live, cached, _, _, _ := d.MemStats()
	return live + cached
}

// memoryModel is a 2-layer bidirectional SRU with a linear classifier over its mean output.
type memoryModel struct {
	ps  *nn.Params[float32]
	enc *sru.SRU[float32]
	w   *nn.Param[float32]
	opt *nn.SGD[float32]
	g   *nn.Graph[float32]
	x   []float32
	pad []float32
	ys  []int32
}

func newMemoryModel(t *testing.T, dev *Device[float32], maxL, maxB int) *memoryModel {
	ps := nn.NewParams[float32](dev)
	cfg := sru.Config{InputSize: 16, HiddenSize: 32, NumLayers: 2, Bidirectional: true, HasSkipTerm: true, Dropout: 0.1}
	enc, err := sru.New(ps, "enc.", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	g := nn.NewGraph[float32](dev, rand.New(rand.NewPCG(3, 4)))
	g.Training = true
	return &memoryModel{ps: ps, enc: enc, w: ps.Add("w", cfg.OutputSize(), 5), g: g,
		opt: nn.NewSGD(ps, nn.SGDConfig{LR: 0.01}), x: make([]float32, maxL*maxB*16),
		pad: make([]float32, maxL*maxB), ys: make([]int32, maxB)}
}

func (m *memoryModel) step(L, B int) {
	g := m.g
	g.Reset()
	m.ps.ZeroGrad()
	for b := range B { // the last sequence is shorter
		for t := range L {
			m.pad[t*B+b] = 0
			if b == B-1 && t >= (L+1)/2 {
				m.pad[t*B+b] = 1
			}
		}
	}
	pad := g.FromHost(m.pad[:L*B], L, B).Data
	h, _ := m.enc.Forward(g, g.FromHost(m.x[:L*B*16], L, B, 16), nil, pad)
	logits := g.MatMul(g.MeanOverTime(h, pad), &m.w.Tensor, false, false)
	g.Backward(g.CrossEntropy(logits, m.ys[:B], nil, -1))
	m.opt.Step()
}
