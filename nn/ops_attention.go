package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
)

// AdditiveScores returns the Bahdanau scores s [B, Lq, Ls] of projected queries q [Lq, B, H]
// and keys k [Ls, B, H] with the vector v [H]: s[b, i, j] = Σ_h v[h]·tanh(q[i, b, h] + k[j, b, h]),
// in one fused kernel that never stores the [B, Lq, Ls, H] tanh.
func (g *Graph[T]) AdditiveScores(q, k, v *Tensor[T]) *Tensor[T] {
	if len(q.Shape) != 3 || len(k.Shape) != 3 || q.Shape[1] != k.Shape[1] || q.Shape[2] != k.Shape[2] ||
		v.Len() != q.Shape[2] {
		panic(fmt.Sprintf("nn: AdditiveScores of q %v, k %v, v %v", q.Shape, k.Shape, v.Shape))
	}
	Lq, B, H, Ls := q.Shape[0], q.Shape[1], q.Shape[2], k.Shape[0]
	out := g.Result(g.shape(B, Lq, Ls), q, k, v)
	g.Dev.AdditiveScores(Lq, Ls, B, H, out.Data, q.Data, k.Data, v.Data)
	if out.NeedsGrad {
		op := g.ops.seq.additive.get()
		*op = additiveScoresOp[T]{q: q, k: k, v: v, out: out}
		g.Record(op)
	}
	return out
}

type additiveScoresOp[T kernels.Float] struct{ q, k, v, out *Tensor[T] }

func (o *additiveScoresOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() {
		return
	}
	var dq, dk, dv kernels.Buf[T]
	if o.q.NeedsGrad {
		dq = g.Grad(o.q)
	}
	if o.k.NeedsGrad {
		dk = g.Grad(o.k)
	}
	if o.v.NeedsGrad {
		dv = g.Grad(o.v)
	}
	Lq, B, H, Ls := o.q.Shape[0], o.q.Shape[1], o.q.Shape[2], o.k.Shape[0]
	g.Dev.AdditiveScoresBackward(Lq, Ls, B, H, dq, dk, dv, o.out.Grad, o.q.Data, o.k.Data, o.v.Data)
}

// Attention scoring functions.
const (
	// AttentionDot is Luong's dot score q·k (query and memory widths must agree).
	AttentionDot = "dot"
	// AttentionGeneral is Luong's general score q·W·k.
	AttentionGeneral = "general"
	// AttentionMLP is Bahdanau's score vᵀ·tanh(W_q·q + W_k·k).
	AttentionMLP = "mlp"
)

// AttentionConfig sizes an attention layer.
type AttentionConfig struct {
	Kind      string // AttentionDot, AttentionGeneral or AttentionMLP
	QueryDim  int    // Dq
	MemoryDim int    // Dm
	Hidden    int    // H, the width of the MLP score (mlp only)
}

// Attention attends from queries [Lq, B, Dq] over a memory [Ls, B, Dm] with padding: it
// returns the attention weights [B, Lq, Ls] (a masked softmax of the scores: padded memory
// positions get weight exactly 0) and the context vectors [Lq, B, Dm] (weights · memory).
type Attention[T kernels.Float] struct {
	Cfg AttentionConfig
	W   *Param[T] // general: [Dq, Dm]; mlp: W_q [Dq, H]; nil for dot
	WK  *Param[T] // mlp: W_k [Dm, H]
	V   *Param[T] // mlp: v [H]
}

// NewAttention creates the layer's parameters in ps, named prefix + "weight", "weight_k",
// "v", drawn uniform in ±1/√fan_in from rng.
func NewAttention[T kernels.Float](ps *Params[T], prefix string, cfg AttentionConfig, rng *rand.Rand) (*Attention[T], error) {
	if cfg.QueryDim <= 0 || cfg.MemoryDim <= 0 {
		return nil, fmt.Errorf("nn: attention with query width %d and memory width %d", cfg.QueryDim, cfg.MemoryDim)
	}
	a := &Attention[T]{Cfg: cfg}
	init := func(p *Param[T], fanIn int) {
		bound := 1 / math.Sqrt(float64(fanIn))
		host := make([]T, p.Len())
		for i := range host {
			host[i] = T((rng.Float64()*2 - 1) * bound)
		}
		ps.Dev.Upload(p.Data, host)
	}
	switch cfg.Kind {
	case AttentionDot:
		if cfg.QueryDim != cfg.MemoryDim {
			return nil, fmt.Errorf("nn: dot attention needs equal query and memory widths, got %d and %d",
				cfg.QueryDim, cfg.MemoryDim)
		}
	case AttentionGeneral:
		a.W = ps.Add(prefix+"weight", cfg.QueryDim, cfg.MemoryDim)
		init(a.W, cfg.QueryDim)
	case AttentionMLP:
		if cfg.Hidden <= 0 {
			return nil, fmt.Errorf("nn: mlp attention with hidden width %d", cfg.Hidden)
		}
		a.W = ps.Add(prefix+"weight", cfg.QueryDim, cfg.Hidden)
		a.WK = ps.Add(prefix+"weight_k", cfg.MemoryDim, cfg.Hidden)
		a.V = ps.Add(prefix+"v", cfg.Hidden)
		init(a.W, cfg.QueryDim)
		init(a.WK, cfg.MemoryDim)
		init(a.V, cfg.Hidden)
	default:
		return nil, fmt.Errorf("nn: unknown attention kind %q (want dot, general or mlp)", cfg.Kind)
	}
	return a, nil
}

// Scores returns the unnormalised scores [B, Lq, Ls] of queries [Lq, B, Dq] against memory
// [Ls, B, Dm].
func (a *Attention[T]) Scores(g *Graph[T], queries, memory *Tensor[T]) *Tensor[T] {
	if len(queries.Shape) != 3 || len(memory.Shape) != 3 || queries.Shape[1] != memory.Shape[1] ||
		queries.Shape[2] != a.Cfg.QueryDim || memory.Shape[2] != a.Cfg.MemoryDim {
		panic(fmt.Sprintf("nn: Attention (%s, Dq=%d, Dm=%d) of queries %v over memory %v", a.Cfg.Kind,
			a.Cfg.QueryDim, a.Cfg.MemoryDim, queries.Shape, memory.Shape))
	}
	switch a.Cfg.Kind {
	case AttentionGeneral:
		queries = g.MatMul(queries, &a.W.Tensor, false, false) // [Lq, B, Dm]
	case AttentionMLP:
		q := g.MatMul(queries, &a.W.Tensor, false, false) // [Lq, B, H]
		k := g.MatMul(memory, &a.WK.Tensor, false, false) // [Ls, B, H]
		return g.AdditiveScores(q, k, &a.V.Tensor)
	}
	return g.BatchMatMul(queries, memory, false, true, TimeMajor, TimeMajor, BatchFirst)
}

// Forward attends with memory lengths on the host (lengths[b] valid steps of batch element b;
// nil: no padding) and returns the context [Lq, B, Dm] and the weights [B, Lq, Ls].
func (a *Attention[T]) Forward(g *Graph[T], queries, memory *Tensor[T], lengths []int32) (context, weights *Tensor[T]) {
	var dev kernels.Ints
	if lengths != nil {
		dev = g.Ints(lengths)
	}
	return a.ForwardMasked(g, queries, memory, dev, kernels.Buf[T]{})
}

// ForwardMasked is Forward with the mask on the device: lengths [B] and/or pad [B, Ls] (1 =
// padding), either nil; see MaskedSoftmax.
func (a *Attention[T]) ForwardMasked(g *Graph[T], queries, memory *Tensor[T], lengths kernels.Ints,
	pad kernels.Buf[T]) (context, weights *Tensor[T]) {
	scores := a.Scores(g, queries, memory)
	weights = g.MaskedSoftmax(scores, memory.Shape[1], queries.Shape[0], lengths, pad)
	context = g.BatchMatMul(weights, memory, false, false, BatchFirst, TimeMajor, TimeMajor)
	return context, weights
}
