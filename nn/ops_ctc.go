package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// CTCReduction says how CTCLoss combines the losses of a batch.
type CTCReduction int

const (
	// CTCMean is PyTorch's 'mean': each sequence's loss divided by max(1, its target length),
	// then averaged over the batch. The default.
	CTCMean CTCReduction = iota
	// CTCSum is the sum of the sequences' losses.
	CTCSum
	// CTCNone keeps one loss per sequence: the result has shape [B].
	CTCNone
)

// CTCOptions configure CTCLoss.
type CTCOptions struct {
	Blank     int // index of the blank class
	Reduction CTCReduction
	// ZeroInfinity gives an infeasible sequence (no alignment: fewer frames than its labels
	// plus its repeated neighbours) loss 0 instead of +Inf. Its gradient is 0 either way.
	ZeroInfinity bool
}

// CTCLoss is the connectionist temporal classification loss over log_softmax(logits), with
// PyTorch's F.ctc_loss semantics (see kernels.CTCKernels for the equations): logits [L, B, C]
// time-major and padded; frames t < inputLengths[n] of sequence n are real; targets[n] holds
// its labels, unpadded (may be empty), each in [0, C) and never the blank. It returns the loss
// (a scalar, or [B] with CTCNone) and the number of infeasible sequences in the batch, whose
// loss is +Inf (0 with ZeroInfinity). The gradient reaches the logits through the log-softmax
// in one fused kernel; padded frames get exactly 0. Nothing is copied to the host: the losses
// are reduced on the device and the backward reads the upstream gradient there. Bad lengths or
// labels panic.
func (g *Graph[T]) CTCLoss(logits *Tensor[T], targets [][]int32, inputLengths []int, o CTCOptions) (*Tensor[T], int) {
	if len(logits.Shape) != 3 {
		panic(fmt.Sprintf("nn: CTCLoss of logits %v, want [L, B, C]", logits.Shape))
	}
	L, B, C := logits.Shape[0], logits.Shape[1], logits.Shape[2]
	if B == 0 || len(targets) != B || len(inputLengths) != B {
		panic(fmt.Sprintf("nn: CTCLoss of logits %v with %d targets and %d input lengths", logits.Shape,
			len(targets), len(inputLengths)))
	}
	if o.Blank < 0 || o.Blank >= C {
		panic(fmt.Sprintf("nn: CTCLoss blank %d outside [0, %d)", o.Blank, C))
	}
	if o.Reduction < CTCMean || o.Reduction > CTCNone {
		panic(fmt.Sprintf("nn: CTCLoss reduction %d", o.Reduction))
	}
	S := 1
	for _, tg := range targets {
		S = max(S, len(tg))
	}
	// Input lengths, target lengths and the padded targets [B, S] go up in one copy.
	host := g.ctcHostInts(2*B + B*S)
	infeasible := 0
	for n, tg := range targets {
		if inputLengths[n] < 0 || inputLengths[n] > L {
			panic(fmt.Sprintf("nn: CTCLoss input length %d of sequence %d outside [0, %d]", inputLengths[n], n, L))
		}
		for i, c := range tg {
			if c < 0 || int(c) >= C || int(c) == o.Blank {
				panic(fmt.Sprintf("nn: CTCLoss label %d at %d of sequence %d outside [0, %d) or the blank %d",
					c, i, n, C, o.Blank))
			}
		}
		if !kernels.CTCFeasible(tg, inputLengths[n]) {
			infeasible++
		}
		host[n], host[B+n] = int32(inputLengths[n]), int32(len(tg))
		row := host[2*B+n*S : 2*B+(n+1)*S]
		clear(row[copy(row, tg):])
	}
	ints := g.Ints(host)

	var out *Tensor[T]
	var perSeq, weights kernels.Buf[T]
	if o.Reduction == CTCNone {
		out = g.Result(g.shape(B), logits)
		perSeq = out.Data
	} else {
		out = g.Result(g.shape(1), logits)
		perSeq = g.Scratch(B)
		w := g.HostScratch(B)
		for n, tg := range targets {
			w[n] = 1
			if o.Reduction == CTCMean {
				w[n] = T(1 / float64(B*max(1, len(tg))))
			}
		}
		weights = g.Scratch(B)
		g.Dev.Upload(weights, w)
	}
	// The record holds the kernel's arguments even when nothing is recorded, so that passing
	// them by pointer allocates nothing.
	op := g.ops.ctc.get()
	*op = ctcOp[T]{logits: logits, out: out, weights: weights, args: kernels.CTCArgs[T]{L: L, B: B, C: C, S: S,
		Blank: o.Blank, ZeroInfinity: o.ZeroInfinity, Logits: logits.Data, InputLengths: ints.Slice(0, B),
		TargetLengths: ints.Slice(B, 2*B), Targets: ints.Slice(2*B, 2*B+B*S), Loss: perSeq,
		Work: g.Scratch(kernels.CTCWorkLen(L, B, S))}}
	g.Dev.CTCLoss(&op.args)
	if o.Reduction != CTCNone {
		weighted := g.Scratch(B)
		g.Dev.Mul(weighted, weights, perSeq, false)
		g.Dev.Fill(out.Data, 0)
		g.Dev.SumRows(out.Data, weighted)
	}
	if out.NeedsGrad {
		g.Record(op)
	}
	return out, infeasible
}

// ctcHostInts returns a host slice of n int32 reused across steps.
func (g *Graph[T]) ctcHostInts(n int) []int32 {
	if cap(g.ops.ctcHost) < n {
		g.ops.ctcHost = make([]int32, n)
	}
	return g.ops.ctcHost[:n]
}

type ctcOp[T kernels.Float] struct {
	logits, out *Tensor[T]
	weights     kernels.Buf[T] // [B] per-sequence weights of a reduced loss; nil for CTCNone
	args        kernels.CTCArgs[T]
}

// Backward turns the upstream gradient into per-sequence weights on the device (w·dout for a
// reduced loss) and runs the fused backward.
func (o *ctcOp[T]) Backward(g *Graph[T]) {
	if o.out.Grad.IsNil() {
		return
	}
	dloss := o.out.Grad
	if !o.weights.IsNil() {
		dloss = g.Scratch(o.args.B)
		g.Dev.MulCyclic(dloss, o.weights, o.out.Grad, false)
	}
	g.Dev.CTCLossBackward(&o.args, g.Grad(o.logits), dloss)
}
