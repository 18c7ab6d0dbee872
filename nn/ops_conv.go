package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// ConvPad returns the zero padding of a "same" convolution over time of filter width w: left
// steps before the sequence and right steps after it, left + right = w − 1. Odd widths are
// centred; even widths put the extra step on the right (left = (w−1)/2, right = w/2), so the
// output at step t sees x[t−left .. t+right].
func ConvPad(w int) (left, right int) { return (w - 1) / 2, w / 2 }

// Conv1D is a convolution over time with "same" zero padding (see ConvPad): for x [L, B, Din],
// weight [w·Din, Dout] and bias [Dout] (nil for none) it returns y [L, B, Dout] with
//
//	y[t, b, :] = bias + Σ_j x[t+j−left, b, :]·weight[j·Din:(j+1)·Din, :]
//
// (x is zero outside [0, L)); w = weight.Rows()/Din. It runs as im2col over time into an
// [L·B, w·Din] buffer, then one GEMM: time-major layout makes a shift by one step a shift by
// B rows, so each tap is one strided block copy.
func (g *Graph[T]) Conv1D(x, weight, bias *Tensor[T]) *Tensor[T] {
	if len(x.Shape) != 3 {
		panic(fmt.Sprintf("nn: Conv1D input %v, want [L, B, Din]", x.Shape))
	}
	L, B, din := x.Shape[0], x.Shape[1], x.Shape[2]
	if len(weight.Shape) != 2 || weight.Shape[0]%din != 0 || weight.Shape[0] == 0 {
		panic(fmt.Sprintf("nn: Conv1D weight %v for input %v, want [width·%d, Dout]", weight.Shape, x.Shape, din))
	}
	w, dout := weight.Shape[0]/din, weight.Shape[1]
	if bias != nil && bias.Len() != dout {
		panic(fmt.Sprintf("nn: Conv1D bias %v, want [%d]", bias.Shape, dout))
	}
	out := g.Result([]int{L, B, dout}, x, weight, bias)
	cols := x.Data // width 1 needs no im2col: the columns are x itself
	if w > 1 {
		cols = g.Scratch(L * B * w * din)
		g.im2col(cols, x.Data, L, B, din, w)
	}
	g.Dev.Gemm(false, false, L*B, dout, w*din, 1, cols, w*din, weight.Data, dout, 0, out.Data, dout)
	if bias != nil {
		g.Dev.AddBias(out.Data, bias.Data)
	}
	if out.NeedsGrad {
		op := g.ops.conv1D.get()
		*op = conv1DOp[T]{x: x, weight: weight, bias: bias, out: out, cols: cols, width: w}
		g.Record(op)
	}
	return out
}

// convTap is the part of tap j (shift s = j − left) that reads inside the sequence: output
// steps [t0, t1) read input steps [t0+s, t1+s).
func convTap(L, w, j int) (s, t0, t1 int) {
	left, _ := ConvPad(w)
	s = j - left
	t0, t1 = max(0, -s), min(L, L-s)
	return s, t0, max(t0, t1)
}

// im2col writes cols [L·B, w·Din]: block j of row (t, b) is x[t+j−left, b, :], or zeros.
func (g *Graph[T]) im2col(cols, x kernels.Buf[T], L, B, din, w int) {
	row := w * din // one row of cols
	// Only the first `left` and the last `right` steps hold padding; zero those rows whole and
	// let the copies below overwrite their in-sequence blocks.
	left, right := ConvPad(w)
	head, tail := min(left, L), max(L-right, 0)
	if head > 0 {
		g.Dev.Fill(cols.Slice(0, head*B*row), 0)
	}
	if tail < L {
		g.Dev.Fill(cols.Slice(max(tail, head)*B*row, L*B*row), 0)
	}
	for j := range w {
		s, t0, t1 := convTap(L, w, j)
		if t1 == t0 {
			continue
		}
		rows := (t1 - t0) * B
		dst := cols.Slice(t0*B*row+j*din, (t1-1)*B*row+(B-1)*row+j*din+din)
		src := x.Slice((t0+s)*B*din, (t1+s)*B*din)
		g.Dev.Copy2D(rows, din, dst, row, src, din)
	}
}

type conv1DOp[T kernels.Float] struct {
	x, weight, bias, out *Tensor[T]
	cols                 kernels.Buf[T] // the im2col buffer (x itself for width 1)
	width                int
}

func (o *conv1DOp[T]) Backward(g *Graph[T]) {
	dy := o.out.Grad
	if dy.IsNil() {
		return
	}
	L, B, din := o.x.Shape[0], o.x.Shape[1], o.x.Shape[2]
	w, dout := o.width, o.out.Shape[2]
	n, row := L*B, w*din
	if o.bias != nil && o.bias.NeedsGrad {
		g.Dev.SumRows(g.Grad(o.bias), dy)
	}
	if o.weight.NeedsGrad { // dW += colsᵀ·dY
		g.Dev.Gemm(true, false, row, dout, n, 1, o.cols, row, dy, dout, 1, g.Grad(o.weight), dout)
	}
	if !o.x.NeedsGrad {
		return
	}
	if w == 1 { // dX += dY·Wᵀ directly
		g.Dev.Gemm(false, true, n, din, dout, 1, dy, dout, o.weight.Data, dout, 1, g.Grad(o.x), din)
		return
	}
	// dcols = dY·Wᵀ, then col2im: each tap's block goes back, shifted, onto dX.
	dcols := g.Scratch(n * row)
	g.Dev.Gemm(false, true, n, row, dout, 1, dy, dout, o.weight.Data, dout, 0, dcols, row)
	dx := g.Grad(o.x)
	for j := range w {
		s, t0, t1 := convTap(L, w, j)
		if t1 == t0 {
			continue
		}
		rows := (t1 - t0) * B
		src := dcols.Slice(t0*B*row+j*din, (t1-1)*B*row+(B-1)*row+j*din+din)
		dst := dx.Slice((t0+s)*B*din, (t1+s)*B*din)
		g.Dev.Axpy2D(rows, din, 1, dst, din, src, row)
	}
}
