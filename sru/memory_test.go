package sru_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// memoryModel is a 2-layer bidirectional SRU with a linear classifier over its mean output,
// trained by SGD: a training step whose buffers scale with the batch's length and size.
type memoryModel struct {
	ps   *nn.Params[float32]
	enc  *sru.SRU[float32]
	w    *nn.Param[float32]
	opt  *nn.SGD[float32]
	g    *nn.Graph[float32]
	x    []float32
	ys   []int32
	rng  *rand.Rand
	pads []float32
}

func newMemoryModel(t testing.TB, dev kernels.Device[float32]) *memoryModel {
	ps := nn.NewParams(dev)
	cfg := sru.Config{InputSize: 16, HiddenSize: 32, NumLayers: 2, Bidirectional: true, HasSkipTerm: true, Dropout: 0.1}
	enc, err := sru.New(ps, "enc.", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	w := ps.Add("w", cfg.OutputSize(), 5)
	g := nn.NewGraph(dev, rand.New(rand.NewPCG(3, 4)))
	g.Training = true
	return &memoryModel{ps: ps, enc: enc, w: w, opt: nn.NewSGD(ps, nn.SGDConfig{LR: 0.01}), g: g,
		x: make([]float32, 200*32*16), ys: make([]int32, 32), pads: make([]float32, 200*32),
		rng: rand.New(rand.NewPCG(5, 6))}
}

// step trains on a padded batch of B sequences of at most L steps.
func (m *memoryModel) step(L, B int) {
	g := m.g
	g.Reset()
	m.ps.ZeroGrad()
	x := g.FromHost(m.x[:L*B*16], L, B, 16)
	pad := m.pads[:L*B]
	for b := range B { // the last sequence is shorter
		for t := range L {
			pad[t*B+b] = 0
			if b == B-1 && t >= (L+1)/2 {
				pad[t*B+b] = 1
			}
		}
	}
	h, _ := m.enc.Forward(g, x, nil, g.FromHost(pad, L, B).Data)
	logits := g.MatMul(g.MeanOverTime(h, g.FromHost(pad, L, B).Data), &m.w.Tensor, false, false)
	g.Backward(g.CrossEntropy(logits, m.ys[:B], nil, -1))
	m.opt.Step()
}

// TestMemoryBoundedOverLengths: training steps over random lengths 1..200 and batch sizes 1..32
// hold at most twice the memory of the steady state at the largest shape (measured after each
// step's backward, the high point of a step), and a repeated shape still allocates nothing.
func TestMemoryBoundedOverLengths(t *testing.T) {
	dev, err := kernels.NewCPU[float32](kernels.CPUOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMemoryBounded(t, newMemoryModel(t, dev), newMemoryModel(t, dev), func(m *memoryModel) int64 { return m.g.HeldBytes() })
}

func checkMemoryBounded(t *testing.T, steady, random *memoryModel, held func(*memoryModel) int64) {
	for range 3 {
		steady.step(200, 32)
	}
	base := held(steady)
	rng := rand.New(rand.NewPCG(7, 8))
	var worst int64
	for i := range 200 {
		random.step(1+rng.IntN(200), 1+rng.IntN(32))
		if i >= 20 {
			worst = max(worst, held(random))
		}
	}
	t.Logf("steady state at (200, 32): %.2f MiB; worst over 180 random shapes: %.2f MiB (%.2f×)",
		mib(base), mib(worst), float64(worst)/float64(base))
	if worst > 2*base {
		t.Errorf("held %.2f MiB over random shapes, more than 2× the %.2f MiB steady state at the largest shape", mib(worst), mib(base))
	}
	if n := testing.AllocsPerRun(5, func() { random.step(57, 13) }); n != 0 {
		t.Errorf("a repeated shape allocates %v times per step", n)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
