package kernels

import "fmt"

// CTCKernels is the connectionist temporal classification loss (Graves et al., 2006) fused with
// the log-softmax of its logits, with PyTorch's semantics (F.ctc_loss over
// log_softmax(logits), reduction 'none'). Per sequence n, with l = its target of length
// L_n, l' = l with blanks around and between its labels (2·L_n+1 positions), y_t =
// softmax(logits[t, n, :]) and T_n = InputLengths[n]:
//
//	loss[n] = −log Σ over alignments π of length T_n that collapse to l of Π_t y_t(π_t)
//
// computed in log space by the forward (α) and backward (β) recursions over l'. Its gradient
// with respect to the logits is, at frames t < T_n,
//
//	∂loss[n]/∂logits[t, n, c] = y_t(c) − Σ_{s: l'_s = c} exp(log α_t(s) + log β_t(s) + loss[n])
//
// where α_t(s) includes the emission at t and β_t(s) those after t only (the devices divide by
// Σ_s α_t(s)·β_t(s), which is p at every frame); it is exactly 0 at padded frames t ≥ T_n.
//
// Feasibility: a target with R repeated neighbours (l_i = l_{i−1}) needs T_n ≥ L_n + R. An
// infeasible sequence (T_n = 0 with a non-empty target included) gets loss +Inf, or 0 with
// ZeroInfinity, and in both cases a zero gradient: never NaN (PyTorch gives NaN gradients
// without zero_infinity). T_n = 0 with an empty target has loss 0.
type CTCKernels[T Float] interface {
	// CTCLoss writes a.Loss and fills a.Work for the backward.
	CTCLoss(a *CTCArgs[T])
	// CTCLossBackward accumulates dlogits[t, n, c] += dloss[n]·∂loss[n]/∂logits[t, n, c] for
	// dlogits [L, B, C] and dloss [B] (read on the device), from the same arguments and the
	// Work that CTCLoss filled. The unreduced gradient is used even with ZeroInfinity (it is
	// zero for infeasible sequences either way).
	CTCLossBackward(a *CTCArgs[T], dlogits, dloss Buf[T])
}

// CTCArgs are the arguments of CTCLoss and CTCLossBackward.
//
// Targets are padded: row n of Targets [B, S] holds the TargetLengths[n] labels of sequence n,
// each in [0, C) and never Blank; the rest of the row is ignored. S ≥ max target length (≥ 1
// keeps the buffer non-empty when every target is empty). Indices are checked on the device:
// the CPU device panics on a bad one, a GPU device raises an error flag (Sync returns it) and
// writes NaN to that sequence's loss.
type CTCArgs[T Float] struct {
	L, B, C, S   int  // frames (the longest input), batch, classes (blank included), target capacity
	Blank        int  // index of the blank class, in [0, C)
	ZeroInfinity bool // infeasible sequences get loss 0 instead of +Inf

	Logits        Buf[T] // [L, B, C] time-major, unnormalised; padding past InputLengths
	InputLengths  Ints   // [B], each in [0, L]
	Targets       Ints   // [B, S], padded rows
	TargetLengths Ints   // [B], each in [0, S]

	Loss Buf[T] // out [B]: the per-sequence loss
	// Work is the workspace [CTCWorkLen(L, B, S)]: CTCLoss writes it (log Σ exp of every frame,
	// log α), CTCLossBackward reads it and uses the rest (two rows of log β per sequence). Each
	// frame of log α and log β is stored less its maximum, so that the rounding of T does not
	// grow with the length of the sequence; the loss adds the maxima back in float64.
	Work Buf[T]
}

// CTCWorkLen is the length of CTCArgs.Work: L·B (log-sum-exp of each frame), B·L·(2S+1)
// (log α) and B·2·(2S+1) (log β, two frames at a time).
func CTCWorkLen(L, B, S int) int {
	ext := 2*S + 1
	return L*B + B*L*ext + B*2*ext
}

// ctcWork splits a workspace of CTCWorkLen(L, B, S) elements: lse [L, B], alpha [B, L, 2S+1],
// beta [B, 2, 2S+1]. The devices lay it out the same way.
func ctcWork[T Float](a *CTCArgs[T]) (lse, alpha, beta []T) {
	w := a.Work.Host()
	ext := 2*a.S + 1
	lse = w[:a.L*a.B]
	alpha = w[a.L*a.B : a.L*a.B+a.B*a.L*ext]
	beta = w[a.L*a.B+a.B*a.L*ext:]
	return lse, alpha, beta
}

// CheckCTC checks the shapes of CTCLoss's arguments (not the lengths' and labels' values).
func CheckCTC[T Float](a *CTCArgs[T]) {
	if a.L < 0 || a.B < 0 || a.C < 1 || a.S < 0 {
		panic(fmt.Sprintf("kernels: CTC with L=%d, B=%d, C=%d, S=%d", a.L, a.B, a.C, a.S))
	}
	if a.Blank < 0 || a.Blank >= a.C {
		panic(fmt.Sprintf("kernels: CTC blank %d outside [0, %d)", a.Blank, a.C))
	}
	mustLen("CTC Logits", a.Logits, a.L*a.B*a.C)
	mustLenInts("CTC InputLengths", a.InputLengths, a.B)
	mustLenInts("CTC Targets", a.Targets, a.B*a.S)
	mustLenInts("CTC TargetLengths", a.TargetLengths, a.B)
	mustLen("CTC Loss", a.Loss, a.B)
	mustLen("CTC Work", a.Work, CTCWorkLen(a.L, a.B, a.S))
}

// CheckCTCBackward checks the shapes of CTCLossBackward's arguments.
func CheckCTCBackward[T Float](a *CTCArgs[T], dlogits, dloss Buf[T]) {
	CheckCTC(a)
	mustLen("CTC dlogits", dlogits, a.L*a.B*a.C)
	mustLen("CTC dloss", dloss, a.B)
}

// CheckCTCValues panics on a length or label out of range, naming the sequence (host buffers:
// the CPU device and the reference call it; a GPU device checks on the GPU).
func CheckCTCValues[T Float](a *CTCArgs[T]) {
	in, tl, tg := a.InputLengths.Host(), a.TargetLengths.Host(), a.Targets.Host()
	for n := 0; n < a.B; n++ {
		if in[n] < 0 || int(in[n]) > a.L {
			panic(fmt.Sprintf("kernels: CTC input length %d of sequence %d outside [0, %d]", in[n], n, a.L))
		}
		if tl[n] < 0 || int(tl[n]) > a.S {
			panic(fmt.Sprintf("kernels: CTC target length %d of sequence %d outside [0, %d]", tl[n], n, a.S))
		}
		for i, c := range tg[n*a.S : n*a.S+int(tl[n])] {
			if c < 0 || int(c) >= a.C || int(c) == a.Blank {
				panic(fmt.Sprintf("kernels: CTC label %d at %d of sequence %d outside [0, %d) or the blank %d",
					c, i, n, a.C, a.Blank))
			}
		}
	}
}

// CTCFeasible reports whether a target with these labels has an alignment of inputLength
// frames: inputLength ≥ len(target) + the number of repeated neighbours.
func CTCFeasible(target []int32, inputLength int) bool {
	need := len(target)
	for i := 1; i < len(target); i++ {
		if target[i] == target[i-1] {
			need++
		}
	}
	return inputLength >= need
}
