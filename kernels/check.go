package kernels

import "fmt"

// Argument checks of the nn and LSTM kernels, shared by every device (the CPU device here, the
// CUDA device in kernels/cuda), as SRUArgs.Check is for the SRU. Each panics on the calling
// goroutine, before any work is queued, when the shapes are inconsistent. They check lengths
// only: the values of indices (targets, ids) are each device's business, since a GPU device
// cannot read them without waiting. The names in the messages are constants, so a check that
// passes allocates nothing.

// CheckLayerNorm checks the arguments of LayerNorm.
func CheckLayerNorm[T Float](rows, cols int, y, x, gamma, beta, mean, rstd Buf[T]) {
	mustLen("LayerNorm x", x, rows*cols)
	mustLen("LayerNorm y", y, rows*cols)
	mustLenOpt("LayerNorm gamma", gamma, cols)
	mustLenOpt("LayerNorm beta", beta, cols)
	mustLen("LayerNorm mean", mean, rows)
	mustLen("LayerNorm rstd", rstd, rows)
}

// CheckLayerNormBackward checks the arguments of LayerNormBackward.
func CheckLayerNormBackward[T Float](rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd Buf[T]) {
	mustLen("LayerNormBackward x", x, rows*cols)
	mustLen("LayerNormBackward dy", dy, rows*cols)
	mustLenOpt("LayerNormBackward dx", dx, rows*cols)
	mustLenOpt("LayerNormBackward gamma", gamma, cols)
	mustLenOpt("LayerNormBackward dgamma", dgamma, cols)
	mustLenOpt("LayerNormBackward dbeta", dbeta, cols)
	mustLen("LayerNormBackward mean", mean, rows)
	mustLen("LayerNormBackward rstd", rstd, rows)
	if !dgamma.IsNil() && gamma.IsNil() {
		panic("kernels: LayerNormBackward: dgamma without gamma")
	}
}

// CheckLogSoftmax checks the arguments of LogSoftmax.
func CheckLogSoftmax[T Float](rows, cols int, y, x Buf[T]) {
	mustLen("LogSoftmax x", x, rows*cols)
	mustLen("LogSoftmax y", y, rows*cols)
}

// CheckLogSoftmaxBackward checks the arguments of LogSoftmaxBackward.
func CheckLogSoftmaxBackward[T Float](rows, cols int, dx, y, dy Buf[T]) {
	mustLen("LogSoftmaxBackward y", y, rows*cols)
	mustLen("LogSoftmaxBackward dy", dy, rows*cols)
	mustLen("LogSoftmaxBackward dx", dx, rows*cols)
}

// CheckSoftmaxCrossEntropy checks the shapes of SoftmaxCrossEntropy (not the targets' values)
// and that the smoothing is in [0, 1].
func CheckSoftmaxCrossEntropy[T Float](rows, cols int, logProbs, loss, sums, mean, logits Buf[T], targets Ints,
	weights Buf[T], smoothing T) {
	mustLen("SoftmaxCrossEntropy logits", logits, rows*cols)
	mustLen("SoftmaxCrossEntropy logProbs", logProbs, rows*cols)
	mustLen("SoftmaxCrossEntropy loss", loss, rows)
	mustLen("SoftmaxCrossEntropy sums", sums, 2)
	mustLen("SoftmaxCrossEntropy mean", mean, 1)
	mustLenOpt("SoftmaxCrossEntropy weights", weights, cols)
	mustLenInts("SoftmaxCrossEntropy targets", targets, rows)
	checkSmoothing("SoftmaxCrossEntropy", smoothing)
}

// CheckSoftmaxCrossEntropyBackward checks the shapes of SoftmaxCrossEntropyBackward (not the
// targets' values) and the smoothing.
func CheckSoftmaxCrossEntropyBackward[T Float](rows, cols int, dlogits, logProbs Buf[T], targets Ints,
	weights Buf[T], smoothing T, dmean, sums Buf[T]) {
	mustLen("SoftmaxCrossEntropyBackward logProbs", logProbs, rows*cols)
	mustLen("SoftmaxCrossEntropyBackward dlogits", dlogits, rows*cols)
	mustLenOpt("SoftmaxCrossEntropyBackward weights", weights, cols)
	mustLenInts("SoftmaxCrossEntropyBackward targets", targets, rows)
	mustLen("SoftmaxCrossEntropyBackward dmean", dmean, 1)
	mustLen("SoftmaxCrossEntropyBackward sums", sums, 2)
	checkSmoothing("SoftmaxCrossEntropyBackward", smoothing)
}

func checkSmoothing[T Float](what string, smoothing T) {
	if !(smoothing >= 0 && smoothing <= 1) {
		panic(fmt.Sprintf("kernels: %s label smoothing %v outside [0, 1]", what, smoothing))
	}
}

// CheckGather checks the shapes of Gather (not the ids' values).
func CheckGather[T Float](cols int, dst, table Buf[T], ids Ints) {
	checkTable("Gather", cols, table)
	mustLen("Gather dst", dst, ids.Len()*cols)
}

// CheckScatterAdd checks the shapes of ScatterAdd (not the ids' values).
func CheckScatterAdd[T Float](cols int, table, src Buf[T], ids Ints) {
	checkTable("ScatterAdd", cols, table)
	mustLen("ScatterAdd src", src, ids.Len()*cols)
}

// checkTable panics unless table holds whole rows of cols > 0 elements.
func checkTable[T Float](what string, cols int, table Buf[T]) {
	if cols <= 0 || table.Len()%cols != 0 {
		panic(fmt.Sprintf("kernels: %s: table of %d elements with rows of %d", what, table.Len(), cols))
	}
}

// CheckMaxOverTime checks the arguments of MaxOverTime.
func CheckMaxOverTime[T Float](L, B, D int, y Buf[T], argmax Ints, x, pad Buf[T]) {
	checkLBD("MaxOverTime", L, B, D)
	mustLen("MaxOverTime x", x, L*B*D)
	mustLen("MaxOverTime y", y, B*D)
	mustLenOpt("MaxOverTime pad", pad, L*B)
	mustLenInts("MaxOverTime argmax", argmax, B*D)
}

// CheckMaxOverTimeBackward checks the arguments of MaxOverTimeBackward.
func CheckMaxOverTimeBackward[T Float](L, B, D int, dx, dy Buf[T], argmax Ints) {
	checkLBD("MaxOverTimeBackward", L, B, D)
	mustLen("MaxOverTimeBackward dx", dx, L*B*D)
	mustLen("MaxOverTimeBackward dy", dy, B*D)
	mustLenInts("MaxOverTimeBackward argmax", argmax, B*D)
}

// CheckMeanOverTime checks the arguments of MeanOverTime.
func CheckMeanOverTime[T Float](L, B, D int, y, x, pad Buf[T]) {
	checkLBD("MeanOverTime", L, B, D)
	mustLen("MeanOverTime x", x, L*B*D)
	mustLen("MeanOverTime y", y, B*D)
	mustLenOpt("MeanOverTime pad", pad, L*B)
}

// CheckMeanOverTimeBackward checks the arguments of MeanOverTimeBackward.
func CheckMeanOverTimeBackward[T Float](L, B, D int, dx, dy, pad Buf[T]) {
	checkLBD("MeanOverTimeBackward", L, B, D)
	mustLen("MeanOverTimeBackward dx", dx, L*B*D)
	mustLen("MeanOverTimeBackward dy", dy, B*D)
	mustLenOpt("MeanOverTimeBackward pad", pad, L*B)
}

// checkLBD panics on a negative dimension of a [L, B, D] pooling.
func checkLBD(what string, L, B, D int) {
	if L < 0 || B < 0 || D < 0 {
		panic(fmt.Sprintf("kernels: %s with L=%d, B=%d, D=%d", what, L, B, D))
	}
}

// CheckSGDStep checks the arguments of SGDStep.
func CheckSGDStep[T Float](p, g, mom Buf[T], momentum T, nesterov bool) {
	mustLen("SGDStep g", g, p.Len())
	if momentum != 0 {
		mustLen("SGDStep mom", mom, p.Len())
	}
	if nesterov && momentum == 0 {
		panic("kernels: SGDStep: nesterov without momentum")
	}
}

// CheckAdamStep checks the arguments of AdamStep.
// CheckSumSquaresAcc checks SumSquaresAcc's arguments.
func CheckSumSquaresAcc[T Float](acc, x Buf[T]) { mustLen("SumSquaresAcc acc", acc, 1) }

// CheckClipScale checks ClipScale's arguments.
func CheckClipScale[T Float](dst, sumSquares Buf[T]) { mustLen("ClipScale sumSquares", sumSquares, 1) }

func CheckAdamStep[T Float](p, g, m, v Buf[T], step int) {
	mustLen("AdamStep g", g, p.Len())
	mustLen("AdamStep m", m, p.Len())
	mustLen("AdamStep v", v, p.Len())
	if step < 1 {
		panic(fmt.Sprintf("kernels: AdamStep at step %d (steps count from 1)", step))
	}
}

// CheckAdamaxStep checks the arguments of AdamaxStep.
func CheckAdamaxStep[T Float](p, g, m, u Buf[T], step int) {
	mustLen("AdamaxStep g", g, p.Len())
	mustLen("AdamaxStep m", m, p.Len())
	mustLen("AdamaxStep u", u, p.Len())
	if step < 1 {
		panic(fmt.Sprintf("kernels: AdamaxStep at step %d (steps count from 1)", step))
	}
}

// CheckLSTMCellForward checks the arguments of LSTMCellForward.
func CheckLSTMCellForward[T Float](B, H int, gates, bias, cPrev, hPrev, c, h, y Buf[T], ldy int, pad Buf[T]) {
	checkLSTMCell(B, H, gates, cPrev, c, y, ldy, pad)
	mustLenOpt("LSTM bias", bias, 4*H)
	mustLen("LSTM hPrev", hPrev, B*H)
	mustLen("LSTM h", h, B*H)
}

// CheckLSTMCellBackward checks the arguments of LSTMCellBackward.
func CheckLSTMCellBackward[T Float](B, H int, dgates, dcPrev, dhPrev, gates, cPrev, c, dy Buf[T], ldy int,
	dh, dc, pad Buf[T]) {
	checkLSTMCell(B, H, gates, cPrev, c, dy, ldy, pad)
	mustLen("LSTM dgates", dgates, B*4*H)
	mustLen("LSTM dcPrev", dcPrev, B*H)
	mustLen("LSTM dhPrev", dhPrev, B*H)
	mustLen("LSTM dh", dh, B*H)
	mustLen("LSTM dc", dc, B*H)
}

// checkLSTMCell checks the arguments that the forward and the backward cell share.
func checkLSTMCell[T Float](B, H int, gates, cPrev, c, y Buf[T], ldy int, pad Buf[T]) {
	if B < 0 || H < 0 {
		panic(fmt.Sprintf("kernels: LSTM cell with B=%d, H=%d", B, H))
	}
	mustLen("LSTM gates", gates, B*4*H)
	mustLen("LSTM cPrev", cPrev, B*H)
	mustLen("LSTM c", c, B*H)
	mustLenOpt("LSTM pad", pad, B)
	if !y.IsNil() && B > 0 {
		if ldy < H || y.Len() < (B-1)*ldy+H {
			panic(fmt.Sprintf("kernels: LSTM y/dy of length %d with ldy=%d cannot hold [%d, %d]",
				y.Len(), ldy, B, H))
		}
	}
}

func mustLen[T Float](what string, b Buf[T], n int) {
	if b.Len() != n {
		panic(fmt.Sprintf("kernels: %s has length %d, want %d", what, b.Len(), n))
	}
}

func mustLenOpt[T Float](what string, b Buf[T], n int) {
	if !b.IsNil() {
		mustLen(what, b, n)
	}
}

func mustLenInts(what string, b Ints, n int) {
	if b.Len() != n {
		panic(fmt.Sprintf("kernels: %s has length %d, want %d", what, b.Len(), n))
	}
}
