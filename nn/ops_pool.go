package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// MaxOverTime returns the maximum over time of x [L, B, D] as [B, D], skipping the steps where
// pad [L, B] is 1 (pad may be nil). A sequence of padding only gives 0 and no gradient. The
// gradient goes to the first step that reached the maximum.
func (g *Graph[T]) MaxOverTime(x *Tensor[T], pad kernels.Buf[T]) *Tensor[T] {
	L, B, D := seqShape("MaxOverTime", x)
	out := g.Result(g.shape(B, D), x)
	argmax := g.arena.ints(B * D)
	g.Dev.MaxOverTime(L, B, D, out.Data, argmax, x.Data, pad)
	g.recordOverTime(true, x, out, pad, argmax)
	return out
}

// MeanOverTime returns the mean over the non-padded steps of x [L, B, D] as [B, D] (pad as in
// MaxOverTime; a sequence of padding only gives 0).
func (g *Graph[T]) MeanOverTime(x *Tensor[T], pad kernels.Buf[T]) *Tensor[T] {
	L, B, D := seqShape("MeanOverTime", x)
	out := g.Result(g.shape(B, D), x)
	g.Dev.MeanOverTime(L, B, D, out.Data, x.Data, pad)
	g.recordOverTime(false, x, out, pad, kernels.Ints{})
	return out
}

func seqShape[T kernels.Float](what string, x *Tensor[T]) (L, B, D int) {
	if len(x.Shape) != 3 {
		panic(fmt.Sprintf("nn: %s of %v, want [L, B, D]", what, x.Shape))
	}
	return x.Shape[0], x.Shape[1], x.Shape[2]
}

func (g *Graph[T]) recordOverTime(isMax bool, x, out *Tensor[T], pad kernels.Buf[T], argmax kernels.Ints) {
	if out.NeedsGrad {
		op := g.ops.overTime.get()
		*op = overTimeOp[T]{max: isMax, x: x, out: out, pad: pad, argmax: argmax}
		g.Record(op)
	}
}

type overTimeOp[T kernels.Float] struct {
	max    bool
	x, out *Tensor[T]
	pad    kernels.Buf[T]
	argmax kernels.Ints
}

func (o *overTimeOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	L, B, D := o.x.Shape[0], o.x.Shape[1], o.x.Shape[2]
	if o.max {
		g.Dev.MaxOverTimeBackward(L, B, D, g.Grad(o.x), o.out.Grad, o.argmax)
	} else {
		g.Dev.MeanOverTimeBackward(L, B, D, g.Grad(o.x), o.out.Grad, o.pad)
	}
}
