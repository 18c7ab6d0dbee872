package kernels

import (
	"fmt"
	"math"
)

// The elementwise kernels on the CPU. Flat kernels share one task (ewTask) that switches on the
// operation, so a new kernel needs no new dispatch plumbing; jobs under 2·ewGrain elements run
// on the calling goroutine, because below that handing work to other cores costs more than it
// saves. Elementwise results do not depend on how the range is split, and the reductions sum
// fixed-size blocks in order, so every result is independent of the number of workers.

// ewGrain is the least number of elements worth sending to another worker.
const ewGrain = 1 << 14

type ewKind uint8

const (
	ewFill ewKind = iota
	ewCopy
	ewAxpy
	ewScale
	ewAdd
	ewMul
	ewMulCyclic
	ewAct
	ewActBackward
)

// ewTask is one flat elementwise job over [0, len(dst)).
type ewTask[T Float] struct {
	kind  ewKind
	act   Act
	acc   bool
	alpha T
	dst   []T
	a, b  []T
}

func (t *ewTask[T]) Run(lo, hi int) {
	dst := t.dst[lo:hi]
	switch t.kind {
	case ewFill:
		v := t.alpha
		if v == 0 && !math.Signbit(float64(v)) {
			clear(dst) // the runtime's vectorised memory clear: zeroing gradients is most fills
			break
		}
		for i := range dst {
			dst[i] = v
		}
	case ewCopy:
		copy(dst, t.a[lo:hi])
	case ewAxpy:
		x, alpha := t.a[lo:hi], t.alpha
		for i := range dst {
			dst[i] += alpha * x[i]
		}
	case ewScale:
		alpha := t.alpha
		for i := range dst {
			dst[i] *= alpha
		}
	case ewAdd:
		a, b := t.a[lo:hi], t.b[lo:hi]
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case ewMul:
		a, b := t.a[lo:hi], t.b[lo:hi]
		if t.acc {
			for i := range dst {
				dst[i] += a[i] * b[i]
			}
		} else {
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
		}
	case ewMulCyclic:
		mulCyclic(dst, t.a[lo:hi], t.b, lo%len(t.b), t.acc)
	case ewAct:
		activate(t.act, dst, t.a[lo:hi])
	case ewActBackward:
		activateBackward(t.act, dst, t.a[lo:hi], t.b[lo:hi])
	}
}

// mulCyclic handles dst[i] (+)= x[i]·m[(off+i) mod len(m)] one period segment at a time, so the
// inner loop has no modulo.
func mulCyclic[T Float](dst, x, m []T, off int, acc bool) {
	for len(dst) > 0 {
		seg := m[off:]
		n := min(len(seg), len(dst))
		d, xs, ms := dst[:n], x[:n], seg[:n]
		if acc {
			for i := range d {
				d[i] += xs[i] * ms[i]
			}
		} else {
			for i := range d {
				d[i] = xs[i] * ms[i]
			}
		}
		dst, x, off = dst[n:], x[n:], 0
	}
}

func activate[T Float](act Act, y, x []T) {
	x = x[:len(y)]
	if useVec[T]() && len(y) >= vecMinLen {
		switch act {
		case Exp:
			vecUnary(0, f32s(y), f32s(x))
			return
		case Sigmoid:
			vecUnary(1, f32s(y), f32s(x))
			return
		case Tanh:
			vecUnary(2, f32s(y), f32s(x))
			return
		}
	}
	switch act {
	case Identity:
		copy(y, x)
	case Sigmoid:
		for i, v := range x {
			y[i] = sigmoidT(v)
		}
	case Tanh:
		for i, v := range x {
			y[i] = tanhT(v)
		}
	case ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case Exp:
		for i, v := range x {
			y[i] = expT(v)
		}
	case Log:
		for i, v := range x {
			y[i] = T(math.Log(float64(v)))
		}
	default:
		panic(fmt.Sprintf("kernels: unknown activation %d", act))
	}
}

// activateBackward computes dx += dy·act'(x) from y = act(x); for ReLU, y > 0 ⇔ x > 0.
func activateBackward[T Float](act Act, dx, y, dy []T) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	switch act {
	case Identity:
		for i, g := range dy {
			dx[i] += g
		}
	case Sigmoid:
		for i, g := range dy {
			dx[i] += g * y[i] * (1 - y[i])
		}
	case Tanh:
		for i, g := range dy {
			dx[i] += g * (1 - y[i]*y[i])
		}
	case ReLU:
		for i, g := range dy {
			if y[i] > 0 {
				dx[i] += g
			}
		}
	case Exp:
		for i, g := range dy {
			dx[i] += g * y[i]
		}
	case Log:
		for i, g := range dy {
			dx[i] += g * expT(-y[i])
		}
	default:
		panic(fmt.Sprintf("kernels: unknown activation %d", act))
	}
}

// runEw runs the job prepared in d.ew and drops its references to the caller's memory.
func (d *CPU[T]) runEw() {
	t := &d.ew
	n := len(t.dst)
	if n < 2*ewGrain {
		t.Run(0, n)
	} else {
		d.pool.Run(t, n, ewGrain)
	}
	t.dst, t.a, t.b = nil, nil, nil
}

func sameLen[T Float](what string, bufs ...Buf[T]) {
	for _, b := range bufs[1:] {
		if b.Len() != bufs[0].Len() {
			panic(fmt.Sprintf("kernels: %s of buffers of lengths %d and %d", what, bufs[0].Len(), b.Len()))
		}
	}
}

func (d *CPU[T]) Fill(dst Buf[T], v T) {
	d.ew = ewTask[T]{kind: ewFill, dst: dst.Host(), alpha: v}
	d.runEw()
}

func (d *CPU[T]) Copy(dst, src Buf[T]) {
	sameLen("Copy", dst, src)
	d.ew = ewTask[T]{kind: ewCopy, dst: dst.Host(), a: src.Host()}
	d.runEw()
}

func (d *CPU[T]) Axpy(dst Buf[T], alpha T, x Buf[T]) {
	sameLen("Axpy", dst, x)
	d.ew = ewTask[T]{kind: ewAxpy, dst: dst.Host(), a: x.Host(), alpha: alpha}
	d.runEw()
}

func (d *CPU[T]) Scale(dst Buf[T], alpha T) {
	d.ew = ewTask[T]{kind: ewScale, dst: dst.Host(), alpha: alpha}
	d.runEw()
}

func (d *CPU[T]) Add(dst, a, b Buf[T]) {
	sameLen("Add", dst, a, b)
	d.ew = ewTask[T]{kind: ewAdd, dst: dst.Host(), a: a.Host(), b: b.Host()}
	d.runEw()
}

func (d *CPU[T]) Mul(dst, a, b Buf[T], accumulate bool) {
	sameLen("Mul", dst, a, b)
	d.ew = ewTask[T]{kind: ewMul, dst: dst.Host(), a: a.Host(), b: b.Host(), acc: accumulate}
	d.runEw()
}

func (d *CPU[T]) MulCyclic(dst, x, m Buf[T], accumulate bool) {
	sameLen("MulCyclic", dst, x)
	if dst.Len() > 0 && (m.Len() == 0 || dst.Len()%m.Len() != 0) {
		panic(fmt.Sprintf("kernels: MulCyclic of %d elements by a mask of %d", dst.Len(), m.Len()))
	}
	d.ew = ewTask[T]{kind: ewMulCyclic, dst: dst.Host(), a: x.Host(), b: m.Host(), acc: accumulate}
	d.runEw()
}

func (d *CPU[T]) Activate(act Act, dst, x Buf[T]) {
	sameLen("Activate", dst, x)
	d.ew = ewTask[T]{kind: ewAct, act: act, dst: dst.Host(), a: x.Host()}
	d.runEw()
}

func (d *CPU[T]) ActivateBackward(act Act, dx, y, dy Buf[T]) {
	sameLen("ActivateBackward", dx, y, dy)
	d.ew = ewTask[T]{kind: ewActBackward, act: act, dst: dx.Host(), a: y.Host(), b: dy.Host()}
	d.runEw()
}

// ew2DTask runs the strided 2-D kernels: copy and axpy of blocks and bias broadcasting are
// split by rows; SumRows, a reduction over rows, is split by columns so that no two workers
// write one element.
type ew2DTask[T Float] struct {
	kind       ewKind // ewCopy, ewAxpy, ewAdd (AddBias) or ewFill (SumRows)
	rows, cols int
	alpha      T
	dst, src   []T
	ldd, lds   int
}

func (t *ew2DTask[T]) Run(lo, hi int) {
	cols := t.cols
	switch t.kind {
	case ewCopy:
		for r := lo; r < hi; r++ {
			copy(t.dst[r*t.ldd:r*t.ldd+cols], t.src[r*t.lds:r*t.lds+cols])
		}
	case ewAxpy:
		for r := lo; r < hi; r++ {
			d, s := t.dst[r*t.ldd:r*t.ldd+cols], t.src[r*t.lds:r*t.lds+cols]
			for c, v := range s {
				d[c] += t.alpha * v
			}
		}
	case ewAdd: // AddBias: src is the bias
		bias := t.src[:cols]
		for r := lo; r < hi; r++ {
			d := t.dst[r*cols : (r+1)*cols]
			for c, v := range bias {
				d[c] += v
			}
		}
	case ewFill: // SumRows over columns [lo, hi)
		d := t.dst[lo:hi]
		for r := 0; r < t.rows; r++ {
			s := t.src[r*cols+lo : r*cols+hi]
			for c, v := range s {
				d[c] += v
			}
		}
	}
}

// run2D splits n units (rows, or columns for SumRows) of a rows×cols job.
func (d *CPU[T]) run2D(n int) {
	t := &d.ew2d
	if t.rows*t.cols < 2*ewGrain {
		t.Run(0, n)
	} else {
		d.pool.Run(t, n, max(1, ewGrain*n/(t.rows*t.cols)))
	}
	t.dst, t.src = nil, nil
}

// check2D panics unless a rows×cols block with leading dimension ld fits in b.
func check2D[T Float](what string, rows, cols int, b Buf[T], ld int) {
	if rows < 0 || cols < 0 || ld < cols {
		panic(fmt.Sprintf("kernels: %s of %d×%d with leading dimension %d", what, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && (rows-1)*ld+cols > b.Len() {
		panic(fmt.Sprintf("kernels: %s of %d×%d (ld %d) in a buffer of length %d", what, rows, cols, ld, b.Len()))
	}
}

func (d *CPU[T]) Copy2D(rows, cols int, dst Buf[T], ldd int, src Buf[T], lds int) {
	check2D("Copy2D dst", rows, cols, dst, ldd)
	check2D("Copy2D src", rows, cols, src, lds)
	if rows == 0 || cols == 0 {
		return
	}
	d.ew2d = ew2DTask[T]{kind: ewCopy, rows: rows, cols: cols, dst: dst.Host(), ldd: ldd, src: src.Host(), lds: lds}
	d.run2D(rows)
}

func (d *CPU[T]) Axpy2D(rows, cols int, alpha T, dst Buf[T], ldd int, src Buf[T], lds int) {
	check2D("Axpy2D dst", rows, cols, dst, ldd)
	check2D("Axpy2D src", rows, cols, src, lds)
	if rows == 0 || cols == 0 {
		return
	}
	d.ew2d = ew2DTask[T]{kind: ewAxpy, rows: rows, cols: cols, alpha: alpha, dst: dst.Host(), ldd: ldd, src: src.Host(), lds: lds}
	d.run2D(rows)
}

func (d *CPU[T]) AddBias(dst, bias Buf[T]) {
	cols := bias.Len()
	if cols == 0 || dst.Len()%cols != 0 {
		panic(fmt.Sprintf("kernels: AddBias of a bias of %d to %d elements", cols, dst.Len()))
	}
	rows := dst.Len() / cols
	d.ew2d = ew2DTask[T]{kind: ewAdd, rows: rows, cols: cols, dst: dst.Host(), src: bias.Host()}
	d.run2D(rows)
}

func (d *CPU[T]) SumRows(dst, src Buf[T]) {
	cols := dst.Len()
	if cols == 0 || src.Len()%cols != 0 {
		panic(fmt.Sprintf("kernels: SumRows of %d elements into %d columns", src.Len(), cols))
	}
	d.ew2d = ew2DTask[T]{kind: ewFill, rows: src.Len() / cols, cols: cols, dst: dst.Host(), src: src.Host()}
	d.run2D(cols)
}

// redBlock is the size of the blocks whose float64 partial sums a reduction adds in order.
const redBlock = 1 << 13

type reduceTask[T Float] struct {
	x       []T
	squares bool
	part    []float64 // one partial sum per block
}

func (t *reduceTask[T]) Run(lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		x := t.x[blk*redBlock : min((blk+1)*redBlock, len(t.x))]
		var s float64
		if t.squares {
			for _, v := range x {
				s += float64(v) * float64(v)
			}
		} else {
			for _, v := range x {
				s += float64(v)
			}
		}
		t.part[blk] = s
	}
}

func (d *CPU[T]) reduce(x Buf[T], squares bool) float64 {
	t := &d.red
	n := x.Len()
	blocks := (n + redBlock - 1) / redBlock
	if cap(t.part) < blocks {
		t.part = make([]float64, blocks)
	}
	t.x, t.squares, t.part = x.Host(), squares, t.part[:blocks]
	d.pool.Run(t, blocks, 2*ewGrain/redBlock)
	var s float64
	for _, p := range t.part {
		s += p
	}
	t.x = nil
	return s
}

func (d *CPU[T]) SumSquares(x Buf[T]) float64 { return d.reduce(x, true) }

func (d *CPU[T]) SumSquaresAcc(acc, x Buf[T]) {
	CheckSumSquaresAcc(acc, x)
	a := acc.Host()
	a[0] += T(d.reduce(x, true))
}

func (d *CPU[T]) ClipScale(dst, sumSquares Buf[T], maxNorm T) {
	CheckClipScale(dst, sumSquares)
	if f, ok := clipFactor(float64(sumSquares.Host()[0]), float64(maxNorm)); ok {
		d.Scale(dst, T(f))
	}
}

// clipFactor is the factor ClipScale applies for a sum of squares ss, and whether it applies.
func clipFactor(ss, maxNorm float64) (float64, bool) {
	n := math.Sqrt(ss)
	if !(n > maxNorm) || math.IsInf(n, 1) {
		return 1, false
	}
	return maxNorm / (n + 1e-6), true
}
func (d *CPU[T]) Sum(x Buf[T]) float64 { return d.reduce(x, false) }
