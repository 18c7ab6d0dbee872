package lstm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// benchSizes are the paper's speed-figure sizes (batch 32, one layer, D in = D out), as in the
// SRU benchmark.
var benchSizes = []struct{ L, D int }{{32, 256}, {128, 512}}

const benchBatch = 32

// BenchmarkLSTM times one LSTM layer in float32 on the CPU device: the forward pass, the
// forward and backward pass, and the same layer's GEMMs alone (gemm-fwd: the input GEMM and
// one recurrent GEMM per step; gemm-fwdbwd: those, one dh GEMM per step, and dW_hh, dW_ih and
// dx), so the time of the fused cell and of everything else is the difference.
func BenchmarkLSTM(b *testing.B) {
	dev := kernels.MustCPU[float32]()
	b.Logf("device: %s", dev.Name())
	for _, s := range benchSizes {
		L, B, D := s.L, benchBatch, s.D
		ps := nn.NewParams[float32](dev)
		m, err := New(ps, "", Config{InputSize: D, HiddenSize: D, NumLayers: 1}, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			b.Fatal(err)
		}
		x := benchInput(dev, L, B, D)
		g := nn.NewGraph[float32](dev, rand.New(rand.NewPCG(3, 4)))
		g.Training = true
		step := func(backward bool) {
			g.Reset()
			x.Grad = kernels.Buf[float32]{} // as in a stack: the layer below's y gets a fresh gradient
			y, _, _ := m.Forward(g, x, nil, nil, kernels.Buf[float32]{})
			if backward {
				dy, _ := g.GradInit(y) // written in full: no need to zero it first
				dev.Fill(dy, 1)
				g.BackwardFrom()
			}
		}
		name := fmt.Sprintf("L=%d,B=%d,D=%d", L, B, D)
		run := func(kind string, f func()) {
			b.Run(kind+"/"+name, func(b *testing.B) {
				f()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					f()
				}
			})
		}
		run("fwd", func() { step(false) })
		run("fwdbwd", func() { step(true) })

		l := m.Layers[0]
		wih, whh := l.WeightIH[0], l.WeightHH[0]
		H, n := D, L*B
		gates, hs := dev.Alloc(n*4*H), dev.Alloc((L+1)*B*H)
		dh, dx := dev.Alloc(B*H), dev.Alloc(n*D)
		gemms := func(backward bool) {
			dev.Gemm(false, true, n, 4*H, D, 1, x.Data, D, wih.Data, D, 0, gates, 4*H)
			for t := 1; t < L; t++ { // the forward skips step 0's product with h0 = 0
				dev.Gemm(false, true, B, 4*H, H, 1, hs.Slice(t*B*H, (t+1)*B*H), H, whh.Data, H, 1,
					gates.Slice(t*B*4*H, (t+1)*B*4*H), 4*H)
			}
			if !backward {
				return
			}
			for t := L - 1; t > 0; t-- {
				dev.Gemm(false, false, B, H, 4*H, 1, gates.Slice(t*B*4*H, (t+1)*B*4*H), 4*H, whh.Data, H,
					1, dh, H)
			}
			dev.Gemm(true, false, 4*H, H, n, 1, gates, 4*H, hs.Slice(0, n*H), H, 1, whh.Grad, H)
			dev.Gemm(true, false, 4*H, D, n, 1, gates, 4*H, x.Data, D, 1, wih.Grad, D)
			dev.Gemm(false, false, n, D, 4*H, 1, gates, 4*H, wih.Data, D, 0, dx, D)
		}
		run("gemm-fwd", func() { gemms(false) })
		run("gemm-fwdbwd", func() { gemms(true) })
	}
}

func benchInput(dev kernels.Device[float32], L, B, D int) *nn.Tensor[float32] {
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([]float32, L*B*D)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	x := &nn.Tensor[float32]{Data: dev.Alloc(len(v)), Shape: []int{L, B, D}, NeedsGrad: true}
	dev.Upload(x.Data, v)
	return x
}
