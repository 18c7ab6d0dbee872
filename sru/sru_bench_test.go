package sru_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// benchSizes are the paper's speed-figure sizes: batch 32, one layer, D in = D out.
var benchSizes = []struct{ L, D int }{{32, 256}, {128, 512}}

const benchBatch = 32

// BenchmarkSRU times one SRU layer in float32 on the CPU device: the forward pass, the forward
// and backward pass, and the same layer's three GEMMs alone (U = X·W, dW = Xᵀ·dU, dX = dU·Wᵀ),
// which is the floor the fused recurrence should approach.
func BenchmarkSRU(b *testing.B) {
	dev := kernels.MustCPU[float32]()
	b.Logf("device: %s", dev.Name())
	for _, s := range benchSizes {
		L, B, D := s.L, benchBatch, s.D
		ps := nn.NewParams[float32](dev)
		cfg := sru.DefaultConfig(D, D)
		cfg.NumLayers = 1
		m, err := sru.New(ps, "", cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			b.Fatal(err)
		}
		x := randomInput(dev, L, B, D)
		g := nn.NewGraph[float32](dev, rand.New(rand.NewPCG(3, 4)))
		g.Training = true
		step := func(backward bool) {
			g.Reset()
			x.Grad = kernels.Buf[float32]{} // as in a stack: the layer below's h gets a fresh gradient
			h, _ := m.Forward(g, x, nil, kernels.Buf[float32]{})
			if backward {
				dh, _ := g.GradInit(h) // written in full: no need to zero it first
				dev.Fill(dh, 1)
				g.BackwardFrom()
			}
		}
		name := fmt.Sprintf("L=%d,B=%d,D=%d", L, B, D)
		b.Run("fwd/"+name, func(b *testing.B) {
			step(false)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				step(false)
			}
		})
		b.Run("fwdbwd/"+name, func(b *testing.B) {
			step(true)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				step(true)
			}
		})
		b.Run("gemm/"+name, func(b *testing.B) {
			K := m.Layers[0].K
			u := dev.Alloc(L * B * D * K)
			dx := dev.Alloc(L * B * D)
			w := m.Layers[0].Weight
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				dev.Gemm(false, false, L*B, D*K, D, 1, x.Data, D, w.Data, D*K, 0, u, D*K)
				dev.Gemm(true, false, D, D*K, L*B, 1, x.Data, D, u, D*K, 1, w.Grad, D*K)
				dev.Gemm(false, true, L*B, D, D*K, 1, u, D*K, w.Data, D*K, 0, dx, D)
			}
		})
	}
}

func randomInput(dev kernels.Device[float32], L, B, D int) *nn.Tensor[float32] {
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([]float32, L*B*D)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	x := &nn.Tensor[float32]{Data: dev.Alloc(len(v)), Shape: []int{L, B, D}, NeedsGrad: true}
	dev.Upload(x.Data, v)
	return x
}
