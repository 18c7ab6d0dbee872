package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// LayerNorm normalises x over its last axis: (x − mean)/sqrt(var + eps)·gamma + beta, with the
// biased variance (as PyTorch). gamma and beta ([D]) may each be nil.
func (g *Graph[T]) LayerNorm(x, gamma, beta *Tensor[T], eps float64) *Tensor[T] {
	rows, cols := x.Rows(), x.Cols()
	for _, p := range [2]*Tensor[T]{gamma, beta} {
		if p != nil && p.Len() != cols {
			panic(fmt.Sprintf("nn: LayerNorm of %v with an affine parameter of %v", x.Shape, p.Shape))
		}
	}
	out := g.Result(x.Shape, x, gamma, beta)
	mean, rstd := g.Scratch(rows), g.Scratch(rows)
	g.Dev.LayerNorm(rows, cols, out.Data, x.Data, dataOf(gamma), dataOf(beta), mean, rstd, T(eps))
	if out.NeedsGrad {
		op := g.ops.layerNorm.get()
		*op = layerNormOp[T]{x: x, gamma: gamma, beta: beta, out: out, mean: mean, rstd: rstd}
		g.Record(op)
	}
	return out
}

// dataOf is t's data, or the absent buffer for a nil tensor.
func dataOf[T kernels.Float](t *Tensor[T]) kernels.Buf[T] {
	if t == nil {
		return kernels.Buf[T]{}
	}
	return t.Data
}

// gradOf is t's gradient buffer when t needs one, else the absent buffer.
func (g *Graph[T]) gradOf(t *Tensor[T]) kernels.Buf[T] {
	if t == nil || !t.NeedsGrad {
		return kernels.Buf[T]{}
	}
	return g.Grad(t)
}

type layerNormOp[T kernels.Float] struct {
	x, gamma, beta, out *Tensor[T]
	mean, rstd          kernels.Buf[T]
}

func (o *layerNormOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	dx, dgamma, dbeta := g.gradOf(o.x), g.gradOf(o.gamma), g.gradOf(o.beta)
	if dx.IsNil() && dgamma.IsNil() && dbeta.IsNil() {
		return
	}
	g.Dev.LayerNormBackward(o.x.Rows(), o.x.Cols(), dx, dgamma, dbeta, dy, o.x.Data,
		dataOf(o.gamma), o.mean, o.rstd)
}

// LogSoftmax returns log(softmax(x)) over the last axis.
func (g *Graph[T]) LogSoftmax(x *Tensor[T]) *Tensor[T] {
	out := g.Result(x.Shape, x)
	g.Dev.LogSoftmax(x.Rows(), x.Cols(), out.Data, x.Data)
	if out.NeedsGrad {
		op := g.ops.logSoftmax.get()
		*op = logSoftmaxOp[T]{x: x, out: out}
		g.Record(op)
	}
	return out
}

type logSoftmaxOp[T kernels.Float] struct{ x, out *Tensor[T] }

func (o *logSoftmaxOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	g.Dev.LogSoftmaxBackward(o.x.Rows(), o.x.Cols(), g.Grad(o.x), o.out.Data, o.out.Grad)
}
