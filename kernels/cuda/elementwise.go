//go:build cuda || cudaemu

package cuda

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// The memory-bound kernels (kernels.Elementwise). Shapes are checked here, on the calling
// goroutine, exactly as on the CPU device; the kernels are in elementwise.cuh.

func (d *Device[T]) Fill(dst kernels.Buf[T], v T) {
	n := dst.Len()
	if n == 0 || d.err != nil {
		return
	}
	if v == 0 { // +0 is all zero bits in both precisions
		if err := d.be.memset(uintptr(devPtr(dst)), int64(n)*elemSize[T]()); err != nil {
			d.fail(fmt.Errorf("cuda: Fill of %d elements: %w", n, err))
		}
		return
	}
	d.a().ptr(devPtr(dst)).i(n).f(float64(v), d.f64)
	d.flat(&d.k.fill, n)
}

func (d *Device[T]) Copy(dst, src kernels.Buf[T]) {
	sameLen("Copy", dst, src)
	n := dst.Len()
	if n == 0 || d.err != nil {
		return
	}
	if err := d.be.dtod(uintptr(devPtr(dst)), uintptr(devPtr(src)), int64(n)*elemSize[T]()); err != nil {
		d.fail(fmt.Errorf("cuda: Copy of %d elements: %w", n, err))
	}
}

func (d *Device[T]) Copy2D(rows, cols int, dst kernels.Buf[T], ldd int, src kernels.Buf[T], lds int) {
	check2D("Copy2D dst", rows, cols, dst, ldd)
	check2D("Copy2D src", rows, cols, src, lds)
	d.a().i(rows).i(cols).ptr(devPtr(dst)).i(ldd).ptr(devPtr(src)).i(lds)
	d.flat(&d.k.copy2d, rows*cols)
}

func (d *Device[T]) Axpy2D(rows, cols int, alpha T, dst kernels.Buf[T], ldd int, src kernels.Buf[T], lds int) {
	check2D("Axpy2D dst", rows, cols, dst, ldd)
	check2D("Axpy2D src", rows, cols, src, lds)
	d.a().i(rows).i(cols).f(float64(alpha), d.f64).ptr(devPtr(dst)).i(ldd).ptr(devPtr(src)).i(lds)
	d.flat(&d.k.axpy2d, rows*cols)
}

func (d *Device[T]) Axpy(dst kernels.Buf[T], alpha T, x kernels.Buf[T]) {
	sameLen("Axpy", dst, x)
	d.a().ptr(devPtr(dst)).ptr(devPtr(x)).i(dst.Len()).f(float64(alpha), d.f64)
	d.flat(&d.k.axpy, dst.Len())
}

func (d *Device[T]) Scale(dst kernels.Buf[T], alpha T) {
	d.a().ptr(devPtr(dst)).i(dst.Len()).f(float64(alpha), d.f64)
	d.flat(&d.k.scale, dst.Len())
}

func (d *Device[T]) Add(dst, a, b kernels.Buf[T]) {
	sameLen("Add", dst, a, b)
	d.a().ptr(devPtr(dst)).ptr(devPtr(a)).ptr(devPtr(b)).i(dst.Len())
	d.flat(&d.k.add, dst.Len())
}

func (d *Device[T]) Mul(dst, a, b kernels.Buf[T], accumulate bool) {
	sameLen("Mul", dst, a, b)
	d.a().ptr(devPtr(dst)).ptr(devPtr(a)).ptr(devPtr(b)).i(dst.Len()).b(accumulate)
	d.flat(&d.k.mul, dst.Len())
}

func (d *Device[T]) MulCyclic(dst, x, m kernels.Buf[T], accumulate bool) {
	sameLen("MulCyclic", dst, x)
	if dst.Len() > 0 && (m.Len() == 0 || dst.Len()%m.Len() != 0) {
		panic(fmt.Sprintf("cuda: MulCyclic of %d elements by a mask of %d", dst.Len(), m.Len()))
	}
	d.a().ptr(devPtr(dst)).ptr(devPtr(x)).ptr(devPtr(m)).i(dst.Len()).i(m.Len()).b(accumulate)
	d.flat(&d.k.mulCyclic, dst.Len())
}

func (d *Device[T]) AddBias(dst, bias kernels.Buf[T]) {
	cols := bias.Len()
	if cols == 0 || dst.Len()%cols != 0 {
		panic(fmt.Sprintf("cuda: AddBias of a bias of %d to %d elements", cols, dst.Len()))
	}
	d.a().ptr(devPtr(dst)).ptr(devPtr(bias)).i(dst.Len()).i(cols)
	d.flat(&d.k.addBias, dst.Len())
}

func checkAct(act kernels.Act) {
	if act < kernels.Identity || act > kernels.Log {
		panic(fmt.Sprintf("cuda: unknown activation %d", act))
	}
}

func (d *Device[T]) Activate(act kernels.Act, dst, x kernels.Buf[T]) {
	sameLen("Activate", dst, x)
	checkAct(act)
	d.a().ptr(devPtr(dst)).ptr(devPtr(x)).i(dst.Len()).i(int(act))
	d.flat(&d.k.actFwd, dst.Len())
}

func (d *Device[T]) ActivateBackward(act kernels.Act, dx, y, dy kernels.Buf[T]) {
	sameLen("ActivateBackward", dx, y, dy)
	checkAct(act)
	d.a().ptr(devPtr(dx)).ptr(devPtr(y)).ptr(devPtr(dy)).i(dx.Len()).i(int(act))
	d.flat(&d.k.actBwd, dx.Len())
}

// SumRows adds the column sums of a [rows, len(dst)] matrix into dst.
func (d *Device[T]) SumRows(dst, src kernels.Buf[T]) {
	cols := dst.Len()
	if cols == 0 || src.Len()%cols != 0 {
		panic(fmt.Sprintf("cuda: SumRows of %d elements into %d columns", src.Len(), cols))
	}
	d.colsum(src.Len()/cols, cols, devPtr(src), cols, devPtr(dst))
}

// colChunks splits rows of a column reduction over 32-column blocks into chunks so that the
// grid has about 4 blocks per SM; 1 chunk means one pass. The split depends only on the shape
// and the GPU, so results are reproducible.
func (d *Device[T]) colChunks(rows, cols int) (chunks, rowsPerChunk int) {
	colBlocks := (cols + 31) / 32
	want := (4*d.sms + colBlocks - 1) / colBlocks
	chunks = max(1, min(want, (rows+63)/64)) // at least 64 rows a chunk
	rowsPerChunk = (rows + chunks - 1) / chunks
	return (rows + rowsPerChunk - 1) / rowsPerChunk, rowsPerChunk
}

// colsum adds the column sums of rows×cols at src (leading dimension lds) into dst.
func (d *Device[T]) colsum(rows, cols int, src uint64, lds int, dst uint64) {
	if rows == 0 || cols == 0 {
		return
	}
	chunks, rpc := d.colChunks(rows, cols)
	var partial uint64
	if chunks > 1 {
		partial = d.scratchSpace(int64(chunks*cols) * elemSize[T]())
	}
	d.a().i(rows).i(cols).ptr(src).i(lds).ptr(dst).ptr(partial).i(rpc)
	d.launch(&d.k.colsum, (cols+31)/32, chunks, 32, 8)
	if chunks > 1 {
		d.a().i(chunks).i(cols).ptr(partial).ptr(dst)
		d.flat(&d.k.colsumFinish, cols)
	}
}

// reduce returns Σ x or Σ x² in float64, waiting for queued work. The partial sums are one per
// block of a grid fixed by n and the GPU, so the result is reproducible.
func (d *Device[T]) reduce(x kernels.Buf[T], squares bool) float64 {
	n := x.Len()
	if n == 0 {
		return 0
	}
	blocks := min((n+flatBlock-1)/flatBlock, 1024)
	partial := d.scratchSpace(int64(blocks) * 8)
	d.a().ptr(devPtr(x)).i(n).b(squares).ptr(partial)
	d.launch(&d.k.reducePartial, blocks, 1, flatBlock, 1)
	d.a().ptr(partial).i(blocks).ptr(d.resultPtr(0))
	d.launch(&d.k.reduceFinish, 1, 1, flatBlock, 1)
	d.syncStream()
	return d.result(0)
}

func (d *Device[T]) SumSquares(x kernels.Buf[T]) float64 { return d.reduce(x, true) }

func (d *Device[T]) SumSquaresAcc(acc, x kernels.Buf[T]) {
	kernels.CheckSumSquaresAcc(acc, x)
	n := x.Len()
	if n == 0 {
		return
	}
	blocks := min((n+flatBlock-1)/flatBlock, 1024)
	partial := d.scratchSpace(int64(blocks) * 8)
	d.a().ptr(devPtr(x)).i(n).b(true).ptr(partial)
	d.launch(&d.k.reducePartial, blocks, 1, flatBlock, 1)
	d.a().ptr(partial).i(blocks).ptr(devPtr(acc))
	d.launch(&d.k.reduceAcc, 1, 1, flatBlock, 1)
}

func (d *Device[T]) ClipScale(dst, sumSquares kernels.Buf[T], maxNorm T) {
	kernels.CheckClipScale(dst, sumSquares)
	if dst.Len() == 0 {
		return
	}
	d.a().ptr(devPtr(dst)).i(dst.Len()).ptr(devPtr(sumSquares)).f(float64(maxNorm), d.f64)
	d.flat(&d.k.clipScale, dst.Len())
}
func (d *Device[T]) Sum(x kernels.Buf[T]) float64 { return d.reduce(x, false) }
