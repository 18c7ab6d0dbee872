package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func TestGradAdditiveScores(t *testing.T) {
	checkGrad(t, gradCase{
		name:   "additive scores",
		shapes: [][]int{{3, 2, 4}, {5, 2, 4}, {4}},
		f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
			return g.AdditiveScores(in[0], in[1], in[2])
		},
	})
}

// attentionFromInputs makes an Attention whose parameters are the test's input tensors
// (inputs 2.. in the order W, WK, V), so that checkGrad perturbs them.
func attentionFromInputs(kind string, Dq, Dm, H int, in []*Tensor[float64]) *Attention[float64] {
	a := &Attention[float64]{Cfg: AttentionConfig{Kind: kind, QueryDim: Dq, MemoryDim: Dm, Hidden: H}}
	param := func(i int) *Param[float64] { return &Param[float64]{Tensor: *in[i], Name: "p"} }
	switch kind {
	case AttentionGeneral:
		a.W = param(2)
	case AttentionMLP:
		a.W, a.WK, a.V = param(2), param(3), param(4)
	}
	return a
}

const attLq, attLs, attB, attDq, attDm, attH = 3, 4, 3, 2, 3, 5

var attLengths = []int32{4, 2, 0} // full, padded, all padding

func attentionShapes(kind string) [][]int {
	shapes := [][]int{{attLq, attB, attDq}, {attLs, attB, attDm}}
	switch kind {
	case AttentionDot:
		shapes[0][2] = attDm
	case AttentionGeneral:
		shapes = append(shapes, []int{attDq, attDm})
	case AttentionMLP:
		shapes = append(shapes, []int{attDq, attH}, []int{attDm, attH}, []int{attH})
	}
	return shapes
}

// TestGradAttention checks the whole layer, context and weights, with padded memory, for
// every score.
func TestGradAttention(t *testing.T) {
	for _, kind := range []string{AttentionDot, AttentionGeneral, AttentionMLP} {
		for _, out := range []string{"context", "weights"} {
			checkGrad(t, gradCase{
				name:   "attention " + kind + " " + out,
				shapes: attentionShapes(kind),
				f: func(g *Graph[float64], in []*Tensor[float64]) *Tensor[float64] {
					Dq := in[0].Shape[2]
					a := attentionFromInputs(kind, Dq, attDm, attH, in)
					ctx, w := a.Forward(g, in[0], in[1], attLengths)
					if out == "weights" {
						return w
					}
					return ctx
				},
			})
		}
	}
}

// TestAttentionPadding: padded memory positions get weight exactly 0, a batch element with no
// memory gets zero context, and changing padded memory values changes nothing, on every score.
func TestAttentionPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, kind := range []string{AttentionDot, AttentionGeneral, AttentionMLP} {
		Dq := attDq
		if kind == AttentionDot {
			Dq = attDm
		}
		ps := NewParams[float64](cpu64)
		a, err := NewAttention(ps, "att.", AttentionConfig{Kind: kind, QueryDim: Dq, MemoryDim: attDm, Hidden: attH}, rng)
		if err != nil {
			t.Fatal(err)
		}
		q, mem := randHost(rng, attLq*attB*Dq), randHost(rng, attLs*attB*attDm)
		run := func(mem []float64) (ctx, w []float64) {
			g := NewGraph[float64](cpu64, nil)
			c, wt := a.Forward(g, g.FromHost(q, attLq, attB, Dq), g.FromHost(mem, attLs, attB, attDm), attLengths)
			return append([]float64(nil), c.Data.Host()...), append([]float64(nil), wt.Data.Host()...)
		}
		ctx, w := run(mem)
		for b := 0; b < attB; b++ {
			for i := 0; i < attLq; i++ {
				var sum float64
				for j := 0; j < attLs; j++ {
					v := w[(b*attLq+i)*attLs+j]
					if j >= int(attLengths[b]) && v != 0 {
						t.Errorf("%s: weight of padded [b=%d, i=%d, j=%d] = %v", kind, b, i, j, v)
					}
					sum += v
				}
				if want := min(1, float64(attLengths[b])); sum < want-1e-12 || sum > want+1e-12 {
					t.Errorf("%s: weights of [b=%d, i=%d] sum to %v, want %v", kind, b, i, sum, want)
				}
			}
		}
		for i := 0; i < attLq; i++ { // batch element 2 has no memory: zero context
			for d := 0; d < attDm; d++ {
				if v := ctx[(i*attB+2)*attDm+d]; v != 0 {
					t.Errorf("%s: context of an empty memory = %v", kind, v)
				}
			}
		}
		changed := append([]float64(nil), mem...)
		for j := 0; j < attLs; j++ {
			for b := 0; b < attB; b++ {
				if j >= int(attLengths[b]) {
					for d := 0; d < attDm; d++ {
						changed[(j*attB+b)*attDm+d] = 1e3 * (rng.Float64() - 0.5)
					}
				}
			}
		}
		ctx2, w2 := run(changed)
		for i := range ctx {
			if ctx[i] != ctx2[i] {
				t.Fatalf("%s: padded memory changed the context at %d: %v vs %v", kind, i, ctx[i], ctx2[i])
			}
		}
		for i := range w {
			if w[i] != w2[i] {
				t.Fatalf("%s: padded memory changed the weights at %d", kind, i)
			}
		}
	}
}

// TestAttentionPadMask: a [B, Ls] pad mask on the device gives the same result as the lengths
// it encodes.
func TestAttentionPadMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	ps := NewParams[float64](cpu64)
	a, err := NewAttention(ps, "att.", AttentionConfig{Kind: AttentionMLP, QueryDim: attDq, MemoryDim: attDm, Hidden: attH}, rng)
	if err != nil {
		t.Fatal(err)
	}
	q, mem := randHost(rng, attLq*attB*attDq), randHost(rng, attLs*attB*attDm)
	pad := make([]float64, attB*attLs)
	for b := range attB {
		for j := int(attLengths[b]); j < attLs; j++ {
			pad[b*attLs+j] = 1
		}
	}
	g := NewGraph[float64](cpu64, nil)
	qt, mt := g.FromHost(q, attLq, attB, attDq), g.FromHost(mem, attLs, attB, attDm)
	c1, _ := a.Forward(g, qt, mt, attLengths)
	c2, _ := a.ForwardMasked(g, qt, mt, kernels.Ints{}, g.FromHost(pad, attB, attLs).Data)
	for i, v := range c1.Data.Host() {
		if v != c2.Data.Host()[i] {
			t.Fatalf("lengths and pad differ at %d: %v vs %v", i, v, c2.Data.Host()[i])
		}
	}
}

func TestNewAttentionErrors(t *testing.T) {
	ps := NewParams[float64](cpu64)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, cfg := range []AttentionConfig{
		{Kind: "cosine", QueryDim: 2, MemoryDim: 2},
		{Kind: AttentionDot, QueryDim: 2, MemoryDim: 3},
		{Kind: AttentionMLP, QueryDim: 2, MemoryDim: 3},
		{Kind: AttentionGeneral, QueryDim: 0, MemoryDim: 3},
	} {
		if _, err := NewAttention(ps, "a.", cfg, rng); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	a, err := NewAttention(ps, "b.", AttentionConfig{Kind: AttentionMLP, QueryDim: 2, MemoryDim: 3, Hidden: 4}, rng)
	if err != nil || a.W.Shape[1] != 4 || a.WK.Shape[0] != 3 || a.V.Len() != 4 || ps.Count() != 8+12+4 {
		t.Fatalf("mlp attention: %v, %d params", err, ps.Count())
	}
}

// TestAttentionNoAllocs: a steady-state forward and backward of the layer allocate nothing
// beyond the first step.
func TestAttentionNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	ps := NewParams[float64](cpu64)
	a, err := NewAttention(ps, "att.", AttentionConfig{Kind: AttentionMLP, QueryDim: attDq, MemoryDim: attDm, Hidden: attH}, rng)
	if err != nil {
		t.Fatal(err)
	}
	q, mem := randHost(rng, attLq*attB*attDq), randHost(rng, attLs*attB*attDm)
	g := NewGraph[float64](cpu64, nil)
	step := func() {
		g.Reset()
		ctx, _ := a.Forward(g, g.FromHost(q, attLq, attB, attDq), g.FromHost(mem, attLs, attB, attDm), attLengths)
		g.Dev.Fill(g.Grad(ctx), 1)
		g.BackwardFrom()
	}
	step()
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
