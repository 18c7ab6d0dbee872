package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// Ops for attention and sequence work: batched matrix products over sequence batches, masked
// softmax, Exp and Log, transposing the two leading axes, row selection (beam reordering) and
// concatenation along time.

// seqPools holds the records of the ops of this file and of ops_attention.go.
type seqPools[T kernels.Float] struct {
	batchMatMul   pool[batchMatMulOp[T]]
	maskedSoftmax pool[maskedSoftmaxOp[T]]
	transpose     pool[transposeOp[T]]
	selectRows    pool[selectRowsOp[T]]
	concatTime    pool[concatTimeOp[T]]
	additive      pool[additiveScoresOp[T]]
}

func (p *seqPools[T]) reset() {
	p.batchMatMul.reset()
	p.maskedSoftmax.reset()
	p.transpose.reset()
	p.selectRows.reset()
	p.concatTime.reset()
	p.additive.reset()
}

// BatchLayout says how a 3-D tensor holds a batch of B matrices of [R, C].
type BatchLayout int

const (
	// BatchFirst is [B, R, C]: matrix b is the contiguous block b.
	BatchFirst BatchLayout = iota
	// TimeMajor is [R, B, C], a sequence batch read in place: matrix b holds rows b, B+b, …,
	// so it starts at b·C with leading dimension B·C. No transposing copy is made.
	TimeMajor
)

// batchView is where the matrices of a batch lie in a buffer.
type batchView struct{ B, R, C, ld, stride int }

func viewOf[T kernels.Float](t *Tensor[T], l BatchLayout) batchView {
	if len(t.Shape) != 3 {
		panic(fmt.Sprintf("nn: BatchMatMul of a %v tensor (want 3 axes)", t.Shape))
	}
	if l == TimeMajor {
		R, B, C := t.Shape[0], t.Shape[1], t.Shape[2]
		return batchView{B: B, R: R, C: C, ld: B * C, stride: C}
	}
	B, R, C := t.Shape[0], t.Shape[1], t.Shape[2]
	return batchView{B: B, R: R, C: C, ld: C, stride: R * C}
}

// BatchMatMul returns, for every batch element b, op(a_b)·op(b_b), where a holds matrices
// [m, k] ([k, m] when transA) and b holds [k, n] ([n, k] when transB), each tensor in its own
// layout; the result has layout out: [B, m, n] (BatchFirst) or [m, B, n] (TimeMajor). It is one
// GemmStridedBatched call forward and at most two backward.
//
// Attention scores of queries q [Lq, B, D] against a memory [Ls, B, D]:
// BatchMatMul(q, mem, false, true, TimeMajor, TimeMajor, BatchFirst) is [B, Lq, Ls]; the
// context of weights w [B, Lq, Ls]: BatchMatMul(w, mem, false, false, BatchFirst, TimeMajor,
// TimeMajor) is [Lq, B, D].
func (g *Graph[T]) BatchMatMul(a, b *Tensor[T], transA, transB bool, la, lb, out BatchLayout) *Tensor[T] {
	va, vb := viewOf(a, la), viewOf(b, lb)
	m, k := va.R, va.C
	if transA {
		m, k = k, m
	}
	kb, n := vb.R, vb.C
	if transB {
		kb, n = n, kb
	}
	if va.B != vb.B || k != kb {
		panic(fmt.Sprintf("nn: BatchMatMul %v (transA=%v) by %v (transB=%v)", a.Shape, transA, b.Shape, transB))
	}
	B := va.B
	shape := g.shape(B, m, n)
	if out == TimeMajor {
		shape = g.shape(m, B, n)
	}
	y := g.Result(shape, a, b)
	vy := viewOf(y, out)
	g.Dev.GemmStridedBatched(transA, transB, m, n, k, 1, a.Data, va.ld, va.stride, b.Data, vb.ld, vb.stride,
		0, y.Data, vy.ld, vy.stride, B)
	if y.NeedsGrad {
		op := g.ops.seq.batchMatMul.get()
		*op = batchMatMulOp[T]{a: a, b: b, out: y, transA: transA, transB: transB, va: va, vb: vb, vy: vy,
			m: m, n: n, k: k}
		g.Record(op)
	}
	return y
}

type batchMatMulOp[T kernels.Float] struct {
	a, b, out      *Tensor[T]
	transA, transB bool
	va, vb, vy     batchView
	m, n, k        int
}

func (o *batchMatMulOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	a, b, va, vb, vy := o.a, o.b, o.va, o.vb, o.vy
	m, n, k, B := o.m, o.n, o.k, va.B
	// The same products as MatMul's backward, per batch element; a fresh gradient is written
	// whole (every matrix of the batch covers its share), so beta is 0 there.
	if a.NeedsGrad { // dA = dY·op(B)ᵀ, stored in A's layout
		da, fresh := g.GradInit(a)
		beta := T(1)
		if fresh {
			beta = 0
		}
		if !o.transA {
			g.Dev.GemmStridedBatched(false, !o.transB, m, k, n, 1, dy, vy.ld, vy.stride, b.Data, vb.ld, vb.stride,
				beta, da, va.ld, va.stride, B)
		} else {
			g.Dev.GemmStridedBatched(o.transB, true, k, m, n, 1, b.Data, vb.ld, vb.stride, dy, vy.ld, vy.stride,
				beta, da, va.ld, va.stride, B)
		}
	}
	if b.NeedsGrad { // dB = op(A)ᵀ·dY, stored in B's layout
		db, fresh := g.GradInit(b)
		beta := T(1)
		if fresh {
			beta = 0
		}
		if !o.transB {
			g.Dev.GemmStridedBatched(!o.transA, false, k, n, m, 1, a.Data, va.ld, va.stride, dy, vy.ld, vy.stride,
				beta, db, vb.ld, vb.stride, B)
		} else {
			g.Dev.GemmStridedBatched(true, o.transA, n, k, m, 1, dy, vy.ld, vy.stride, a.Data, va.ld, va.stride,
				beta, db, vb.ld, vb.stride, B)
		}
	}
}

// MaskedSoftmax returns the softmax of each row of x (viewed [Rows, Cols]) over its unmasked
// columns; masked columns get exactly 0 and a fully masked row is all 0. Row r belongs to batch
// element (r / group) mod B: for scores [B, Lq, Ls], B = B and group = Lq; for rows laid out
// [L, B], group = 1. Column c is masked for batch element b when c ≥ lengths[b] (lengths [B] on
// the device, e.g. from Graph.Ints; nil: none) or pad[b·Cols + c] ≠ 0 (pad [B, Cols], 1 =
// padding; nil: none). With neither it is the plain softmax.
func (g *Graph[T]) MaskedSoftmax(x *Tensor[T], B, group int, lengths kernels.Ints, pad kernels.Buf[T]) *Tensor[T] {
	rows, cols := x.Rows(), x.Cols()
	out := g.Result(x.Shape, x)
	g.Dev.MaskedSoftmax(rows, cols, B, group, out.Data, x.Data, lengths, pad)
	if out.NeedsGrad {
		op := g.ops.seq.maskedSoftmax.get()
		*op = maskedSoftmaxOp[T]{x: x, out: out}
		g.Record(op)
	}
	return out
}

type maskedSoftmaxOp[T kernels.Float] struct{ x, out *Tensor[T] }

func (o *maskedSoftmaxOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	g.Dev.SoftmaxBackward(o.out.Rows(), o.out.Cols(), g.Grad(o.x), o.out.Data, o.out.Grad)
}

// Exp returns e^x elementwise.
func (g *Graph[T]) Exp(x *Tensor[T]) *Tensor[T] { return g.Activate(kernels.Exp, x) }

// Log returns the natural logarithm elementwise (x > 0).
func (g *Graph[T]) Log(x *Tensor[T]) *Tensor[T] { return g.Activate(kernels.Log, x) }

// TransposeLeading swaps the two leading axes: [A, B, rest...] becomes [B, A, rest...] (a copy;
// e.g. [L, B, D] to batch-first [B, L, D] and back).
func (g *Graph[T]) TransposeLeading(x *Tensor[T]) *Tensor[T] {
	if len(x.Shape) < 2 {
		panic(fmt.Sprintf("nn: TransposeLeading of %v", x.Shape))
	}
	A, B := x.Shape[0], x.Shape[1]
	shape := append(g.shape(B, A), x.Shape[2:]...)
	g.shapeBuf = shape
	out := g.Result(shape, x)
	transposeLeading(g.Dev, A, B, x.Len()/max(1, A*B), out.Data, x.Data, false)
	if out.NeedsGrad {
		op := g.ops.seq.transpose.get()
		*op = transposeOp[T]{x: x, out: out}
		g.Record(op)
	}
	return out
}

// transposeLeading writes dst [B, A, D] from src [A, B, D] (or adds it when accumulate) in
// min(A, B) strided block copies.
func transposeLeading[T kernels.Float](dev kernels.Device[T], A, B, D int, dst, src kernels.Buf[T], accumulate bool) {
	if A == 0 || B == 0 || D == 0 {
		return
	}
	block := func(rows int, d kernels.Buf[T], ldd int, s kernels.Buf[T], lds int) {
		if accumulate {
			dev.Axpy2D(rows, D, 1, d, ldd, s, lds)
		} else {
			dev.Copy2D(rows, D, d, ldd, s, lds)
		}
	}
	n := dst.Len()
	if A <= B {
		for a := 0; a < A; a++ { // src rows a·B.. (contiguous) to dst rows b·A + a
			block(B, dst.Slice(a*D, n), A*D, src.Slice(a*B*D, n), D)
		}
		return
	}
	for b := 0; b < B; b++ { // src rows a·B + b to dst rows b·A.. (contiguous)
		block(A, dst.Slice(b*A*D, n), D, src.Slice(b*D, n), B*D)
	}
}

type transposeOp[T kernels.Float] struct{ x, out *Tensor[T] }

func (o *transposeOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	A, B := o.x.Shape[0], o.x.Shape[1]
	dx, fresh := g.GradInit(o.x)
	transposeLeading(g.Dev, B, A, o.x.Len()/max(1, A*B), dx, o.out.Grad, !fresh)
}

// SelectRows returns out[r] = x[ids[r]] along the leading axis: x [N, rest...] gives
// [len(ids), rest...]; a negative id gives a zero row. The gradient is scattered back (added
// where ids repeat). Beam search reorders decoder states [beams, D] with it.
func (g *Graph[T]) SelectRows(x *Tensor[T], ids []int32) *Tensor[T] {
	return g.SelectRowsDevice(x, g.Ints(ids))
}

// SelectRowsDevice is SelectRows with ids already on the device (chosen there, e.g. by a
// beam search kernel); they must stay unchanged until the backward has run. An id ≥ N panics
// on the CPU and raises a device error on a GPU.
func (g *Graph[T]) SelectRowsDevice(x *Tensor[T], ids kernels.Ints) *Tensor[T] {
	if len(x.Shape) == 0 || x.Shape[0] == 0 {
		panic(fmt.Sprintf("nn: SelectRows of %v", x.Shape))
	}
	cols := x.Len() / x.Shape[0]
	shape := append(g.shape(ids.Len()), x.Shape[1:]...)
	g.shapeBuf = shape
	out := g.Result(shape, x)
	if cols == 0 {
		return out
	}
	g.Dev.Gather(cols, out.Data, x.Data, ids)
	if out.NeedsGrad {
		op := g.ops.seq.selectRows.get()
		*op = selectRowsOp[T]{x: x, out: out, ids: ids, cols: cols}
		g.Record(op)
	}
	return out
}

type selectRowsOp[T kernels.Float] struct {
	x, out *Tensor[T]
	ids    kernels.Ints
	cols   int
}

func (o *selectRowsOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() || !o.x.NeedsGrad {
		return
	}
	g.Dev.ScatterAdd(o.cols, g.Grad(o.x), o.out.Grad, o.ids)
}

// ConcatTime joins sequence batches [L_i, B, D...] along time into [ΣL_i, B, D...]; the axes
// after the first must agree.
func (g *Graph[T]) ConcatTime(xs ...*Tensor[T]) *Tensor[T] {
	if len(xs) == 0 {
		panic("nn: ConcatTime of nothing")
	}
	rest := xs[0].Shape[1:]
	L := 0
	for _, x := range xs {
		if len(x.Shape) != len(rest)+1 || !equalInts(x.Shape[1:], rest) {
			panic(fmt.Sprintf("nn: ConcatTime of %v and %v", xs[0].Shape, x.Shape))
		}
		L += x.Shape[0]
	}
	shape := append(g.shape(L), rest...)
	g.shapeBuf = shape
	out := g.Result(shape, xs...)
	off := 0
	for _, x := range xs {
		if n := x.Len(); n > 0 {
			g.Dev.Copy(out.Data.Slice(off, off+n), x.Data)
			off += n
		}
	}
	if out.NeedsGrad {
		op := g.ops.seq.concatTime.get()
		*op = concatTimeOp[T]{xs: g.ops.keepTensors(xs), out: out}
		g.Record(op)
	}
	return out
}

type concatTimeOp[T kernels.Float] struct {
	xs  []*Tensor[T]
	out *Tensor[T]
}

func (o *concatTimeOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	off := 0
	for _, x := range o.xs {
		n := x.Len()
		if x.NeedsGrad && n > 0 {
			src := dy.Slice(off, off+n)
			if dx, fresh := g.GradInit(x); fresh {
				g.Dev.Copy(dx, src)
			} else {
				g.Dev.Axpy(dx, 1, src)
			}
		}
		off += n
	}
}
