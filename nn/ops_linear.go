package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// MatMul returns op(a)·op(b) for 2-D views: a is [m, k] ([k, m] when transA), b is [k, n]
// ([n, k] when transB). A tensor of more than two axes is viewed as [Rows, Cols].
func (g *Graph[T]) MatMul(a, b *Tensor[T], transA, transB bool) *Tensor[T] {
	m, k := a.Rows(), a.Cols()
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows(), b.Cols()
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("nn: MatMul %v (transA=%v) by %v (transB=%v)", a.Shape, transA, b.Shape, transB))
	}
	shape := []int{m, n}
	if !transA && len(a.Shape) > 2 { // keep the leading axes: [L, B, k]·[k, n] is [L, B, n]
		shape = g.withLast(a.Shape, n)
	}
	out := g.Result(shape, a, b)
	g.Dev.Gemm(transA, transB, m, n, k, 1, a.Data, a.Cols(), b.Data, b.Cols(), 0, out.Data, n)
	if out.NeedsGrad {
		op := g.ops.matmul.get()
		*op = matmulOp[T]{a: a, b: b, out: out, transA: transA, transB: transB}
		g.Record(op)
	}
	return out
}

type matmulOp[T kernels.Float] struct {
	a, b, out      *Tensor[T]
	transA, transB bool
}

func (o *matmulOp[T]) Backward(g *Graph[T]) {
	a, b, dy := o.a, o.b, o.out.Grad
	if dy.IsNil() {
		return
	}
	m, n := o.out.Rows(), o.out.Cols()
	k := a.Cols()
	if o.transA {
		k = a.Rows()
	}
	if a.NeedsGrad { // dA = dY·op(B)ᵀ, stored in A's layout
		// The product writes all of dA: a fresh gradient is overwritten (beta 0), not zeroed
		// first and added to.
		da, fresh := g.GradInit(a)
		var beta T = 1
		if fresh {
			beta = 0
		}
		if !o.transA {
			g.Dev.Gemm(false, !o.transB, m, k, n, 1, dy, n, b.Data, b.Cols(), beta, da, a.Cols())
		} else {
			g.Dev.Gemm(o.transB, true, k, m, n, 1, b.Data, b.Cols(), dy, n, beta, da, a.Cols())
		}
	}
	if b.NeedsGrad { // dB = op(A)ᵀ·dY, stored in B's layout
		db := g.Grad(b)
		if !o.transB {
			g.Dev.Gemm(!o.transA, false, k, n, m, 1, a.Data, a.Cols(), dy, n, 1, db, b.Cols())
		} else {
			g.Dev.Gemm(true, o.transA, n, k, m, 1, dy, n, a.Data, a.Cols(), 1, db, b.Cols())
		}
	}
}

// AddBias returns x + bias broadcast over the rows of x ([.., D] + [D]).
func (g *Graph[T]) AddBias(x, bias *Tensor[T]) *Tensor[T] {
	if bias.Len() != x.Cols() {
		panic(fmt.Sprintf("nn: AddBias %v + %v", x.Shape, bias.Shape))
	}
	out := g.Result(x.Shape, x, bias)
	g.Dev.Copy(out.Data, x.Data)
	g.Dev.AddBias(out.Data, bias.Data)
	if out.NeedsGrad {
		op := g.ops.addBias.get()
		*op = addBiasOp[T]{x: x, bias: bias, out: out}
		g.Record(op)
	}
	return out
}

type addBiasOp[T kernels.Float] struct{ x, bias, out *Tensor[T] }

func (o *addBiasOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	if o.x.NeedsGrad {
		g.Dev.Axpy(g.Grad(o.x), 1, dy)
	}
	if o.bias.NeedsGrad {
		g.Dev.SumRows(g.Grad(o.bias), dy)
	}
}

// Reshape returns a view of t with another shape of the same size; it shares t's data and
// gradient.
func (g *Graph[T]) Reshape(t *Tensor[T], shape ...int) *Tensor[T] {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if n != t.Len() {
		// a copy: formatting shape itself would move every caller's variadic slice to the heap
		panic(fmt.Sprintf("nn: Reshape %v to %v", t.Shape, append([]int(nil), shape...)))
	}
	v := g.arena.tensor()
	v.Shape = append(v.Shape[:0], shape...)
	v.Data = t.Data
	v.NeedsGrad = t.NeedsGrad && !g.NoGrad
	v.Grad = kernels.Buf[T]{}
	if v.NeedsGrad {
		v.Grad = g.Grad(t)
	}
	return v
}

// Linear returns x·W + b for x [.., in], W [in, out], b [out] (b may be nil).
func (g *Graph[T]) Linear(x, w, b *Tensor[T]) *Tensor[T] {
	y := g.MatMul(x, w, false, false)
	if b != nil {
		y = g.AddBias(y, b)
	}
	return y
}
