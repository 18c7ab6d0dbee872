package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// Activate returns act(x) elementwise; Identity returns x itself.
func (g *Graph[T]) Activate(act kernels.Act, x *Tensor[T]) *Tensor[T] {
	if act == kernels.Identity {
		return x
	}
	out := g.Result(x.Shape, x)
	g.Dev.Activate(act, out.Data, x.Data)
	if out.NeedsGrad {
		op := g.ops.act.get()
		*op = actOp[T]{act: act, x: x, out: out}
		g.Record(op)
	}
	return out
}

// Sigmoid returns 1/(1+e^−x) elementwise.
func (g *Graph[T]) Sigmoid(x *Tensor[T]) *Tensor[T] { return g.Activate(kernels.Sigmoid, x) }

// Tanh returns tanh(x) elementwise.
func (g *Graph[T]) Tanh(x *Tensor[T]) *Tensor[T] { return g.Activate(kernels.Tanh, x) }

// ReLU returns max(x, 0) elementwise.
func (g *Graph[T]) ReLU(x *Tensor[T]) *Tensor[T] { return g.Activate(kernels.ReLU, x) }

type actOp[T kernels.Float] struct {
	act    kernels.Act
	x, out *Tensor[T]
}

func (o *actOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	g.Dev.ActivateBackward(o.act, g.Grad(o.x), o.out.Data, o.out.Grad)
}

func sameSize[T kernels.Float](what string, a, b *Tensor[T]) {
	if a.Len() != b.Len() {
		panic(fmt.Sprintf("nn: %s of %v and %v", what, a.Shape, b.Shape))
	}
}

// Add returns a + b; they must have the same number of elements (the result has a's shape).
func (g *Graph[T]) Add(a, b *Tensor[T]) *Tensor[T] {
	sameSize("Add", a, b)
	out := g.Result(a.Shape, a, b)
	g.Dev.Add(out.Data, a.Data, b.Data)
	g.recordBinary(false, a, b, out)
	return out
}

// Mul returns a ⊙ b; they must have the same number of elements (the result has a's shape).
func (g *Graph[T]) Mul(a, b *Tensor[T]) *Tensor[T] {
	sameSize("Mul", a, b)
	out := g.Result(a.Shape, a, b)
	g.Dev.Mul(out.Data, a.Data, b.Data, false)
	g.recordBinary(true, a, b, out)
	return out
}

func (g *Graph[T]) recordBinary(mul bool, a, b, out *Tensor[T]) {
	if out.NeedsGrad {
		op := g.ops.binary.get()
		*op = binaryOp[T]{mul: mul, a: a, b: b, out: out}
		g.Record(op)
	}
}

type binaryOp[T kernels.Float] struct {
	mul       bool
	a, b, out *Tensor[T]
}

func (o *binaryOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	// d(a⊙b)/da = b and /db = a; a gradient buffer made just now is written, not added to.
	for i, x := range [2]*Tensor[T]{o.a, o.b} {
		if !x.NeedsGrad {
			continue
		}
		dx, fresh := g.GradInit(x)
		switch {
		case !o.mul && fresh:
			g.Dev.Copy(dx, dy)
		case !o.mul:
			g.Dev.Axpy(dx, 1, dy)
		default:
			other := o.b
			if i == 1 {
				other = o.a
			}
			g.Dev.Mul(dx, dy, other.Data, !fresh)
		}
	}
}

// Scale returns s·x.
func (g *Graph[T]) Scale(x *Tensor[T], s T) *Tensor[T] {
	out := g.Result(x.Shape, x)
	g.Dev.Copy(out.Data, x.Data)
	g.Dev.Scale(out.Data, s)
	if out.NeedsGrad {
		op := g.ops.scale.get()
		*op = scaleOp[T]{x: x, out: out, s: s}
		g.Record(op)
	}
	return out
}

type scaleOp[T kernels.Float] struct {
	x, out *Tensor[T]
	s      T
}

func (o *scaleOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	g.Dev.Axpy(g.Grad(o.x), o.s, o.out.Grad)
}
