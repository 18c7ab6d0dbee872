package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// DropoutMask returns a fresh [n] dropout mask in device memory from g's arena: each element is
// 0 with probability p, else 1/(1−p), drawn from g.RNG. It returns the absent (nil) buffer when
// dropout is off (!g.Training or p == 0), which fused kernels read as "no dropout".
func DropoutMask[T kernels.Float](g *Graph[T], n int, p float64) kernels.Buf[T] {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("nn: dropout probability %g outside [0, 1)", p))
	}
	if !g.Training || p == 0 {
		return kernels.Buf[T]{}
	}
	host := g.HostScratch(n)
	keep := T(1 / (1 - p))
	for i := range host {
		if g.RNG.Float64() < p {
			host[i] = 0
		} else {
			host[i] = keep
		}
	}
	mask := g.Scratch(n)
	g.Dev.Upload(mask, host)
	return mask
}

// Dropout zeroes each element of x with probability p and scales the rest by 1/(1−p), with a
// fresh mask per element. In evaluation (or for p = 0) it returns x itself and records nothing.
func (g *Graph[T]) Dropout(x *Tensor[T], p float64) *Tensor[T] {
	mask := DropoutMask(g, x.Len(), p)
	if mask.IsNil() {
		return x
	}
	return g.applyMask(x, mask, false)
}

// DropoutSeq is variational dropout on a sequence x [L, B, D]: one [B, D] mask is drawn and
// shared by all L steps, as the SRU paper does for its inputs (Gal & Ghahramani 2016).
func (g *Graph[T]) DropoutSeq(x *Tensor[T], p float64) *Tensor[T] {
	if len(x.Shape) != 3 {
		panic(fmt.Sprintf("nn: DropoutSeq of %v, want [L, B, D]", x.Shape))
	}
	mask := DropoutMask(g, x.Shape[1]*x.Shape[2], p)
	if mask.IsNil() {
		return x
	}
	return g.applyMask(x, mask, true)
}

func (g *Graph[T]) applyMask(x *Tensor[T], mask kernels.Buf[T], cyclic bool) *Tensor[T] {
	out := g.Result(x.Shape, x)
	if cyclic {
		g.Dev.MulCyclic(out.Data, x.Data, mask, false)
	} else {
		g.Dev.Mul(out.Data, x.Data, mask, false)
	}
	if out.NeedsGrad {
		op := g.ops.dropout.get()
		*op = dropoutOp[T]{x: x, out: out, mask: mask, cyclic: cyclic}
		g.Record(op)
	}
	return out
}

type dropoutOp[T kernels.Float] struct {
	x, out *Tensor[T]
	mask   kernels.Buf[T]
	cyclic bool
}

func (o *dropoutOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	dx, fresh := g.GradInit(o.x)
	if o.cyclic {
		g.Dev.MulCyclic(dx, o.out.Grad, o.mask, !fresh)
	} else {
		g.Dev.Mul(dx, o.out.Grad, o.mask, !fresh)
	}
}

// DropoutWithMask applies a mask drawn earlier by DropoutMask (nil: no dropout, x itself): for
// variational dropout carried across calls, as when a decoder steps through a sequence. The
// mask has x's size or is shared by every leading slice ([B, D] for x [L, B, D]).
func (g *Graph[T]) DropoutWithMask(x *Tensor[T], mask kernels.Buf[T]) *Tensor[T] {
	if mask.IsNil() {
		return x
	}
	if x.Len()%mask.Len() != 0 {
		panic(fmt.Sprintf("nn: DropoutWithMask of %v with a mask of %d elements", x.Shape, mask.Len()))
	}
	return g.applyMask(x, mask, true)
}
