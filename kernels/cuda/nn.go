//go:build cuda || cudaemu

package cuda

import (
	"math"

	"github.com/gosru/gosru/kernels"
)

// The nn kernels (kernels.NNKernels); the CUDA side is nn.cuh. Shapes are checked by the
// kernels.Check functions that the CPU device calls too. Indices (ids, targets) live on the
// GPU, so they are checked there: a bad one raises a flag that the next Sync (or Download)
// turns into an error, where the CPU device panics.

func (d *Device[T]) LayerNorm(rows, cols int, y, x, gamma, beta, mean, rstd kernels.Buf[T], eps T) {
	kernels.CheckLayerNorm(rows, cols, y, x, gamma, beta, mean, rstd)
	if cols == 0 {
		return
	}
	d.a().i(cols).ptr(devPtr(y)).ptr(devPtr(x)).ptr(devPtr(gamma)).ptr(devPtr(beta)).ptr(devPtr(mean)).
		ptr(devPtr(rstd)).f(float64(eps), d.f64)
	d.launch(&d.k.layerNorm, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) LayerNormBackward(rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd kernels.Buf[T]) {
	kernels.CheckLayerNormBackward(rows, cols, dx, dgamma, dbeta, dy, x, gamma, mean, rstd)
	if cols == 0 || rows == 0 {
		return
	}
	if !dx.IsNil() {
		d.a().i(cols).ptr(devPtr(dx)).ptr(devPtr(dy)).ptr(devPtr(x)).ptr(devPtr(gamma)).ptr(devPtr(mean)).
			ptr(devPtr(rstd))
		d.launch(&d.k.layerNormBwd, rows, 1, rowBlock(cols), 1)
	}
	if dgamma.IsNil() && dbeta.IsNil() {
		return
	}
	chunks, rpc := d.colChunks(rows, cols)
	var partial uint64
	if chunks > 1 {
		partial = d.scratchSpace(int64(2*chunks*cols) * elemSize[T]())
	}
	d.a().i(rows).i(cols).ptr(devPtr(dgamma)).ptr(devPtr(dbeta)).ptr(devPtr(dy)).ptr(devPtr(x)).ptr(devPtr(mean)).
		ptr(devPtr(rstd)).ptr(partial).i(rpc)
	d.launch(&d.k.layerNormParam, (cols+31)/32, chunks, 32, 8)
	if chunks > 1 {
		d.a().i(chunks).i(cols).ptr(partial).ptr(devPtr(dgamma)).ptr(devPtr(dbeta))
		d.flat(&d.k.layerNormParamFinish, cols)
	}
}

func (d *Device[T]) LogSoftmax(rows, cols int, y, x kernels.Buf[T]) {
	kernels.CheckLogSoftmax(rows, cols, y, x)
	if cols == 0 {
		return
	}
	d.a().i(cols).ptr(devPtr(y)).ptr(devPtr(x))
	d.launch(&d.k.logSoftmax, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) LogSoftmaxBackward(rows, cols int, dx, y, dy kernels.Buf[T]) {
	kernels.CheckLogSoftmaxBackward(rows, cols, dx, y, dy)
	if cols == 0 {
		return
	}
	d.a().i(cols).ptr(devPtr(dx)).ptr(devPtr(y)).ptr(devPtr(dy))
	d.launch(&d.k.logSoftmaxBwd, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) SoftmaxCrossEntropy(rows, cols int, logProbs, loss, sums, mean, logits kernels.Buf[T],
	targets kernels.Ints, weights kernels.Buf[T], ignoreIndex int32, smoothing T) {
	kernels.CheckSoftmaxCrossEntropy(rows, cols, logProbs, loss, sums, mean, logits, targets, weights, smoothing)
	if cols == 0 || rows == 0 {
		d.Fill(sums, 0)
		d.Fill(mean, 0)
		return
	}
	d.a().i(cols).ptr(devPtr(logProbs)).ptr(devPtr(loss)).ptr(devPtr(logits)).ptr(intsPtr(targets)).
		ptr(devPtr(weights)).i(int(ignoreIndex)).f(float64(smoothing), d.f64).ptr(d.flagsPtr())
	d.launch(&d.k.ceFwd, rows, 1, rowBlock(cols), 1)
	d.a().i(rows).i(cols).ptr(devPtr(loss)).ptr(intsPtr(targets)).ptr(devPtr(weights)).i(int(ignoreIndex)).
		ptr(devPtr(sums)).ptr(devPtr(mean))
	d.launch(&d.k.ceSums, 1, 1, flatBlock, 1)
}

func (d *Device[T]) SoftmaxCrossEntropyBackward(rows, cols int, dlogits, logProbs kernels.Buf[T], targets kernels.Ints,
	weights kernels.Buf[T], ignoreIndex int32, smoothing T, dmean, sums kernels.Buf[T]) {
	kernels.CheckSoftmaxCrossEntropyBackward(rows, cols, dlogits, logProbs, targets, weights, smoothing, dmean, sums)
	if cols == 0 {
		return
	}
	d.a().i(cols).ptr(devPtr(dlogits)).ptr(devPtr(logProbs)).ptr(intsPtr(targets)).ptr(devPtr(weights)).
		i(int(ignoreIndex)).f(float64(smoothing), d.f64).ptr(devPtr(dmean)).ptr(devPtr(sums)).ptr(d.flagsPtr())
	d.launch(&d.k.ceBwd, rows, 1, rowBlock(cols), 1)
}

func (d *Device[T]) Gather(cols int, dst, table kernels.Buf[T], ids kernels.Ints) {
	kernels.CheckGather(cols, dst, table, ids)
	d.a().i(ids.Len()).i(cols).ptr(devPtr(dst)).ptr(devPtr(table)).ptr(intsPtr(ids)).i(table.Len() / cols).
		ptr(d.flagsPtr())
	d.flat(&d.k.gather, ids.Len()*cols)
}

func (d *Device[T]) ScatterAdd(cols int, table, src kernels.Buf[T], ids kernels.Ints) {
	kernels.CheckScatterAdd(cols, table, src, ids)
	d.a().i(ids.Len()).i(cols).ptr(devPtr(table)).ptr(devPtr(src)).ptr(intsPtr(ids)).i(table.Len() / cols).
		ptr(d.flagsPtr())
	d.flat(&d.k.scatterAdd, ids.Len()*cols)
}

func (d *Device[T]) MaxOverTime(L, B, D int, y kernels.Buf[T], argmax kernels.Ints, x, pad kernels.Buf[T]) {
	kernels.CheckMaxOverTime(L, B, D, y, argmax, x, pad)
	d.a().i(L).i(B).i(D).ptr(devPtr(y)).ptr(intsPtr(argmax)).ptr(devPtr(x)).ptr(devPtr(pad))
	d.flat(&d.k.maxOverTime, B*D)
}

func (d *Device[T]) MaxOverTimeBackward(L, B, D int, dx, dy kernels.Buf[T], argmax kernels.Ints) {
	kernels.CheckMaxOverTimeBackward(L, B, D, dx, dy, argmax)
	d.a().i(L).i(B).i(D).ptr(devPtr(dx)).ptr(devPtr(dy)).ptr(intsPtr(argmax))
	d.flat(&d.k.maxOverTimeBwd, B*D)
}

func (d *Device[T]) MeanOverTime(L, B, D int, y, x, pad kernels.Buf[T]) {
	kernels.CheckMeanOverTime(L, B, D, y, x, pad)
	d.a().i(L).i(B).i(D).ptr(devPtr(y)).ptr(devPtr(x)).ptr(devPtr(pad))
	d.flat(&d.k.meanOverTime, B*D)
}

func (d *Device[T]) MeanOverTimeBackward(L, B, D int, dx, dy, pad kernels.Buf[T]) {
	kernels.CheckMeanOverTimeBackward(L, B, D, dx, dy, pad)
	d.a().i(L).i(B).i(D).ptr(devPtr(dx)).ptr(devPtr(dy)).ptr(devPtr(pad))
	d.flat(&d.k.meanOverTimeBwd, B*D)
}

func (d *Device[T]) SGDStep(p, g, mom kernels.Buf[T], lr, momentum, weightDecay T, nesterov bool) {
	kernels.CheckSGDStep(p, g, mom, momentum, nesterov)
	var m uint64
	if momentum != 0 {
		m = devPtr(mom)
	}
	d.a().i(p.Len()).ptr(devPtr(p)).ptr(devPtr(g)).ptr(m).f(float64(lr), d.f64).f(float64(momentum), d.f64).
		f(float64(weightDecay), d.f64).b(nesterov)
	d.flat(&d.k.sgd, p.Len())
}

func (d *Device[T]) AdamStep(p, g, m, v kernels.Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	kernels.CheckAdamStep(p, g, m, v, step)
	// Bias corrections in float64, as on the CPU: 1 − β^t loses all precision in float32 for
	// β2 near 1.
	bc1 := 1 - math.Pow(float64(beta1), float64(step))
	bc2 := 1 - math.Pow(float64(beta2), float64(step))
	d.a().i(p.Len()).ptr(devPtr(p)).ptr(devPtr(g)).ptr(devPtr(m)).ptr(devPtr(v)).
		f(float64(T(float64(lr)/bc1)), d.f64).f(float64(beta1), d.f64).f(float64(beta2), d.f64).
		f(float64(eps), d.f64).f(float64(weightDecay), d.f64).f(float64(T(math.Sqrt(bc2))), d.f64)
	d.flat(&d.k.adam, p.Len())
}

func (d *Device[T]) AdamaxStep(p, g, m, u kernels.Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	kernels.CheckAdamaxStep(p, g, m, u, step)
	bc1 := 1 - math.Pow(float64(beta1), float64(step))
	d.a().i(p.Len()).ptr(devPtr(p)).ptr(devPtr(g)).ptr(devPtr(m)).ptr(devPtr(u)).
		f(float64(T(float64(lr)/bc1)), d.f64).f(float64(beta1), d.f64).f(float64(beta2), d.f64).
		f(float64(eps), d.f64).f(float64(weightDecay), d.f64)
	d.flat(&d.k.adamax, p.Len())
}
