package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// CrossEntropy is softmax cross entropy with PyTorch's semantics: for logits [N, C] and host
// targets [N] it returns the scalar Σ w[t_r]·nll_r / Σ w[t_r] over the rows whose target is not
// ignoreIndex (w = 1 when weights is nil). The class weights are constants (no gradient). When
// every row is ignored the loss is 0 and no gradient flows (PyTorch gives NaN). The loss stays
// on the device: building it and its gradient copies nothing back to the host.
func (g *Graph[T]) CrossEntropy(logits *Tensor[T], targets []int32, weights *Tensor[T], ignoreIndex int32) *Tensor[T] {
	loss, _ := g.crossEntropy(logits, targets, weights, ignoreIndex, 0)
	return loss
}

// CrossEntropySmoothed is CrossEntropy with label smoothing ε in [0, 1], as PyTorch 1.13's
// F.cross_entropy(logits, target, weight, ignore_index=ignoreIndex, label_smoothing=ε) with
// mean reduction: each non-ignored row r with target t contributes
//
//	(1−ε)·w[t]·(−log p[r, t]) + (ε/C)·Σ_c w[c]·(−log p[r, c])
//
// and the sum over rows is divided by Σ_r w[t_r], the same normaliser as without smoothing.
func (g *Graph[T]) CrossEntropySmoothed(logits *Tensor[T], targets []int32, weights *Tensor[T], ignoreIndex int32,
	smoothing float64) *Tensor[T] {
	loss, _ := g.crossEntropy(logits, targets, weights, ignoreIndex, smoothing)
	return loss
}

// CrossEntropyStats is CrossEntropy that also returns the summed weighted loss and the summed
// weight (the count of non-ignored rows when unweighted): the pieces of corpus-level
// perplexity and mean loss over many batches. It downloads the two sums (one device-to-host
// copy), so it is meant for evaluation, not for the training step.
func (g *Graph[T]) CrossEntropyStats(logits *Tensor[T], targets []int32, weights *Tensor[T],
	ignoreIndex int32) (loss *Tensor[T], sum, weightSum float64) {
	loss, sums := g.crossEntropy(logits, targets, weights, ignoreIndex, 0)
	host := g.HostScratch(2)
	g.Dev.Download(host, sums)
	return loss, float64(host[0]), float64(host[1])
}

// crossEntropy builds the loss and returns it with the device buffer [Σ w·loss, Σ w].
func (g *Graph[T]) crossEntropy(logits *Tensor[T], targets []int32, weights *Tensor[T], ignoreIndex int32,
	smoothing float64) (*Tensor[T], kernels.Buf[T]) {
	rows, cols := logits.Rows(), logits.Cols()
	if len(targets) != rows {
		panic(fmt.Sprintf("nn: CrossEntropy of %v with %d targets", logits.Shape, len(targets)))
	}
	if weights != nil && weights.Len() != cols {
		panic(fmt.Sprintf("nn: CrossEntropy of %v with class weights %v", logits.Shape, weights.Shape))
	}
	if !(smoothing >= 0 && smoothing <= 1) {
		panic(fmt.Sprintf("nn: CrossEntropy label smoothing %g outside [0, 1]", smoothing))
	}
	tg := g.Ints(targets)
	logProbs, perRow, sums := g.Scratch(rows*cols), g.Scratch(rows), g.Scratch(2)
	w := dataOf(weights)
	loss := g.Result(g.shape(1), logits)
	g.Dev.SoftmaxCrossEntropy(rows, cols, logProbs, perRow, sums, loss.Data, logits.Data, tg, w, ignoreIndex, T(smoothing))
	if loss.NeedsGrad {
		op := g.ops.crossEntropy.get()
		*op = crossEntropyOp[T]{logits: logits, out: loss, logProbs: logProbs, sums: sums, targets: tg,
			weights: w, ignore: ignoreIndex, smoothing: T(smoothing)}
		g.Record(op)
	}
	return loss, sums
}

type crossEntropyOp[T kernels.Float] struct {
	logits, out    *Tensor[T]
	logProbs, sums kernels.Buf[T]
	targets        kernels.Ints
	weights        kernels.Buf[T]
	ignore         int32
	smoothing      T
}

// Backward reads the upstream gradient and Σ w on the device (no gradient when Σ w = 0).
func (o *crossEntropyOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() {
		return
	}
	g.Dev.SoftmaxCrossEntropyBackward(o.logits.Rows(), o.logits.Cols(), g.Grad(o.logits), o.logProbs,
		o.targets, o.weights, o.ignore, o.smoothing, o.out.Grad, o.sums)
}

// LossTotals accumulates, on the device, the summed weighted loss and the summed weight of many
// cross-entropy batches (CrossEntropyInto), so that an evaluation copies them to the host once
// (Read) instead of once per batch. The totals are kept in T: in float32 a total of 10^5 loses
// about 1e-7 of its value per batch added.
type LossTotals[T kernels.Float] struct {
	dev  kernels.Device[T]
	buf  kernels.Buf[T] // [Σ w·loss, Σ w]
	host []T
}

// NewLossTotals allocates zeroed totals on dev; Free releases them.
func NewLossTotals[T kernels.Float](dev kernels.Device[T]) *LossTotals[T] {
	return &LossTotals[T]{dev: dev, buf: dev.Alloc(2), host: make([]T, 2)}
}

// Reset sets both totals to 0.
func (a *LossTotals[T]) Reset() { a.dev.Fill(a.buf, 0) }

// Read downloads the totals: the summed weighted loss and the summed weight.
func (a *LossTotals[T]) Read() (sum, weightSum float64) {
	a.dev.Download(a.host, a.buf)
	return float64(a.host[0]), float64(a.host[1])
}

// Free returns the device memory.
func (a *LossTotals[T]) Free() { a.dev.Free(a.buf) }

// CrossEntropyInto is CrossEntropy that also adds the batch's Σ w·loss and Σ w to totals, on
// the device.
func (g *Graph[T]) CrossEntropyInto(totals *LossTotals[T], logits *Tensor[T], targets []int32, weights *Tensor[T],
	ignoreIndex int32) *Tensor[T] {
	loss, sums := g.crossEntropy(logits, targets, weights, ignoreIndex, 0)
	g.Dev.Axpy(totals.buf, 1, sums)
	return loss
}
