package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// CrossEntropy is softmax cross entropy with PyTorch's semantics: for logits [N, C] and host
// targets [N] it returns the scalar Σ w[t_r]·nll_r / Σ w[t_r] over the rows whose target is not
// ignoreIndex (w = 1 when weights is nil). The class weights are constants (no gradient). When
// every row is ignored the loss is 0 and no gradient flows (PyTorch gives NaN).
func (g *Graph[T]) CrossEntropy(logits *Tensor[T], targets []int32, weights *Tensor[T], ignoreIndex int32) *Tensor[T] {
	loss, _, _ := g.CrossEntropyStats(logits, targets, weights, ignoreIndex)
	return loss
}

// CrossEntropyStats is CrossEntropy that also returns the summed weighted loss and the summed
// weight (the count of non-ignored rows when unweighted): the pieces of corpus-level
// perplexity and mean loss over many batches.
func (g *Graph[T]) CrossEntropyStats(logits *Tensor[T], targets []int32, weights *Tensor[T],
	ignoreIndex int32) (loss *Tensor[T], sum, weightSum float64) {
	rows, cols := logits.Rows(), logits.Cols()
	if len(targets) != rows {
		panic(fmt.Sprintf("nn: CrossEntropy of %v with %d targets", logits.Shape, len(targets)))
	}
	if weights != nil && weights.Len() != cols {
		panic(fmt.Sprintf("nn: CrossEntropy of %v with class weights %v", logits.Shape, weights.Shape))
	}
	tg := g.Ints(targets)
	logProbs, perRow := g.Scratch(rows*cols), g.Scratch(rows)
	w := dataOf(weights)
	sum, weightSum = g.Dev.SoftmaxCrossEntropy(rows, cols, logProbs, perRow, logits.Data, tg, w, ignoreIndex)
	loss = g.Result(g.shape(1), logits)
	var mean float64
	if weightSum != 0 {
		mean = sum / weightSum
	}
	g.Dev.Fill(loss.Data, T(mean))
	if loss.NeedsGrad && weightSum != 0 {
		op := g.ops.crossEntropy.get()
		*op = crossEntropyOp[T]{logits: logits, out: loss, logProbs: logProbs, targets: tg,
			weights: w, ignore: ignoreIndex, weightSum: weightSum}
		g.Record(op)
	}
	return loss, sum, weightSum
}

type crossEntropyOp[T kernels.Float] struct {
	logits, out *Tensor[T]
	logProbs    kernels.Buf[T]
	targets     kernels.Ints
	weights     kernels.Buf[T]
	ignore      int32
	weightSum   float64
}

func (o *crossEntropyOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() {
		return
	}
	up := g.HostScratch(1)
	g.Dev.Download(up, o.out.Grad)
	scale := T(float64(up[0]) / o.weightSum)
	g.Dev.SoftmaxCrossEntropyBackward(o.logits.Rows(), o.logits.Cols(), g.Grad(o.logits), o.logProbs,
		o.targets, o.weights, o.ignore, scale)
}
