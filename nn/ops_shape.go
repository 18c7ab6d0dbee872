package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// Concat joins tensors along the last (feature) axis; all other axes must agree.
func (g *Graph[T]) Concat(xs ...*Tensor[T]) *Tensor[T] {
	if len(xs) == 0 {
		panic("nn: Concat of nothing")
	}
	lead := xs[0].Shape[:len(xs[0].Shape)-1]
	total := 0
	for _, x := range xs {
		s := x.Shape
		if len(s) != len(lead)+1 || !equalInts(s[:len(s)-1], lead) {
			panic(fmt.Sprintf("nn: Concat of %v and %v", xs[0].Shape, s))
		}
		total += x.Cols()
	}
	out := g.Result(g.withLast(xs[0].Shape, total), xs...)
	rows, off := prod(lead), 0
	for _, x := range xs {
		c := x.Cols()
		if rows > 0 && c > 0 {
			g.Dev.Copy2D(rows, c, out.Data.Slice(off, out.Len()), total, x.Data, c)
		}
		off += c
	}
	if out.NeedsGrad {
		op := g.ops.concat.get()
		*op = concatOp[T]{xs: g.ops.keepTensors(xs), out: out}
		g.Record(op)
	}
	return out
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type concatOp[T kernels.Float] struct {
	xs  []*Tensor[T]
	out *Tensor[T]
}

func (o *concatOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	total, off := o.out.Cols(), 0
	rows := prod(o.out.Shape[:len(o.out.Shape)-1])
	for _, x := range o.xs {
		c := x.Cols()
		if x.NeedsGrad && rows > 0 && c > 0 {
			src := dy.Slice(off, dy.Len())
			if dx, fresh := g.GradInit(x); fresh {
				g.Dev.Copy2D(rows, c, dx, c, src, total)
			} else {
				g.Dev.Axpy2D(rows, c, 1, dx, c, src, total)
			}
		}
		off += c
	}
}

// Slice returns the features [from, to) of the last axis of x.
func (g *Graph[T]) Slice(x *Tensor[T], from, to int) *Tensor[T] {
	if from < 0 || to < from || to > x.Cols() {
		panic(fmt.Sprintf("nn: Slice [%d:%d] of %v", from, to, x.Shape))
	}
	w := to - from
	out := g.Result(g.withLast(x.Shape, w), x)
	if rows := x.Rows(); rows > 0 && w > 0 {
		g.Dev.Copy2D(rows, w, out.Data, w, x.Data.Slice(from, x.Len()), x.Cols())
	}
	if out.NeedsGrad {
		op := g.ops.slice.get()
		*op = sliceOp[T]{x: x, out: out, from: from}
		g.Record(op)
	}
	return out
}

type sliceOp[T kernels.Float] struct {
	x, out *Tensor[T]
	from   int
}

func (o *sliceOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	rows, w := o.x.Rows(), o.out.Cols()
	if dy.IsNil() || !o.x.NeedsGrad || rows == 0 || w == 0 {
		return
	}
	dx := g.Grad(o.x) // only a band of columns is written: the rest must be zero or kept
	g.Dev.Axpy2D(rows, w, 1, dx.Slice(o.from, dx.Len()), o.x.Cols(), dy, w)
}
