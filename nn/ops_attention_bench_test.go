package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// BenchmarkAttention: one forward and backward of the layer at the size of a SQuAD reader's
// passage attention (B = 32 questions of Lq = 40 words over passages of Ls = 300 words, D = 256,
// mlp H = 128), in float32 on the CPU.
func BenchmarkAttention(b *testing.B) {
	const B, Lq, Ls, D, H = 32, 40, 300, 256, 128
	dev := kernels.MustCPU[float32]()
	rng := rand.New(rand.NewPCG(1, 1))
	host := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		return v
	}
	q, mem := host(Lq*B*D), host(Ls*B*D)
	lengths := make([]int32, B)
	for i := range lengths {
		lengths[i] = int32(100 + rng.IntN(Ls-100))
	}
	for _, kind := range []string{AttentionDot, AttentionGeneral, AttentionMLP} {
		b.Run(kind, func(b *testing.B) {
			ps := NewParams[float32](dev)
			a, err := NewAttention(ps, "att.", AttentionConfig{Kind: kind, QueryDim: D, MemoryDim: D, Hidden: H}, rng)
			if err != nil {
				b.Fatal(err)
			}
			g := NewGraph[float32](dev, nil)
			step := func() {
				g.Reset()
				qt, mt := g.FromHost(q, Lq, B, D), g.FromHost(mem, Ls, B, D)
				qt.NeedsGrad, mt.NeedsGrad = true, true
				ctx, _ := a.Forward(g, qt, mt, lengths)
				dev.Fill(g.Grad(ctx), 1)
				g.BackwardFrom()
			}
			step()
			b.ResetTimer()
			for range b.N {
				step()
			}
		})
	}
}
