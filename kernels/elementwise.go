package kernels

// Act names an elementwise activation.
type Act int

const (
	Identity Act = iota
	Sigmoid
	Tanh
	ReLU
	// Exp is e^x; its backward reads y = e^x.
	Exp
	// Log is the natural logarithm; its backward reads y = log x (1/x = e^−y).
	Log
)

// Elementwise holds the memory-bound kernels: fills, copies, arithmetic, activations, bias
// broadcasting and reductions. Buffers of one call have equal lengths unless stated.
type Elementwise[T Float] interface {
	Fill(dst Buf[T], v T)
	Copy(dst, src Buf[T])
	// Copy2D copies a rows×cols block: dst[r·ldd+c] = src[r·lds+c] (concat/slice on features).
	Copy2D(rows, cols int, dst Buf[T], ldd int, src Buf[T], lds int)
	// Axpy2D accumulates a block: dst[r·ldd+c] += alpha·src[r·lds+c].
	Axpy2D(rows, cols int, alpha T, dst Buf[T], ldd int, src Buf[T], lds int)
	// Axpy: dst += alpha·x.
	Axpy(dst Buf[T], alpha T, x Buf[T])
	// Scale: dst *= alpha.
	Scale(dst Buf[T], alpha T)
	// Add: dst = a + b.
	Add(dst, a, b Buf[T])
	// Mul: dst = a ⊙ b, or dst += a ⊙ b when accumulate.
	Mul(dst, a, b Buf[T], accumulate bool)
	// MulCyclic: dst[i] = x[i]·m[i mod len(m)] (or +=): a [B, D] mask applied to every step of
	// an [L, B, D] sequence (variational dropout).
	MulCyclic(dst, x, m Buf[T], accumulate bool)
	// AddBias: dst[r, c] += bias[c] for a [rows, len(bias)] matrix.
	AddBias(dst, bias Buf[T])
	// SumRows: dst[c] += Σ_r src[r, c] for a [rows, len(dst)] matrix (bias gradients).
	SumRows(dst, src Buf[T])
	// Activate: dst = act(x).
	Activate(act Act, dst, x Buf[T])
	// ActivateBackward: dx += dy ⊙ act'(·), expressed through the forward output y.
	ActivateBackward(act Act, dx, y, dy Buf[T])
	// SumSquares returns Σ x² (waits for queued work).
	SumSquares(x Buf[T]) float64
	// Sum returns Σ x (waits for queued work).
	Sum(x Buf[T]) float64
	// SumSquaresAcc adds Σ x² (summed in float64) to acc[0], a one-element buffer: a norm
	// built on the device, with no transfer to the host.
	SumSquaresAcc(acc, x Buf[T])
	// ClipScale is gradient clipping from a device-side norm n = sqrt(sumSquares[0]): when
	// maxNorm < n < +Inf, dst *= maxNorm/(n + 1e-6) (the factor computed in float64); else dst is
	// left alone.
	ClipScale(dst, sumSquares Buf[T], maxNorm T)
}

// NNKernels holds the fused kernels of the nn layers and the optimizers.
type NNKernels[T Float] interface {
	// LayerNorm over the last axis of a [rows, cols] matrix: y = (x−μ)·rstd·gamma + beta;
	// mean and rstd ([rows]) are saved for the backward. gamma/beta may be nil (no affine).
	LayerNorm(rows, cols int, y, x, gamma, beta, mean, rstd Buf[T], eps T)
	// LayerNormBackward accumulates dx, dgamma, dbeta; each may be nil (not wanted; dgamma
	// needs gamma).
	LayerNormBackward(rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd Buf[T])

	// LogSoftmax over the last axis of [rows, cols]; backward accumulates dx from y and dy.
	LogSoftmax(rows, cols int, y, x Buf[T])
	LogSoftmaxBackward(rows, cols int, dx, y, dy Buf[T])
	// SoftmaxCrossEntropy is cross entropy with label smoothing ε (PyTorch's F.cross_entropy with
	// weight, ignore_index, label_smoothing and mean reduction), all on the device:
	// logProbs = log_softmax(logits) and, on each row r whose target t = targets[r] is not
	// ignoreIndex,
	//
	//	loss[r] = (1−ε)·w[t]·(−logProbs[r, t]) + (ε/cols)·Σ_c w[c]·(−logProbs[r, c])
	//
	// (0 on ignored rows; w = 1 when weights is nil). sums [2] gets Σ_r loss[r] and Σ_r w[t_r]
	// over the non-ignored rows, added in float64, and mean [1] gets sums[0]/sums[1], or 0 when
	// sums[1] = 0. Nothing is copied to the host.
	SoftmaxCrossEntropy(rows, cols int, logProbs, loss, sums, mean, logits Buf[T], targets Ints,
		weights Buf[T], ignoreIndex int32, smoothing T)
	// SoftmaxCrossEntropyBackward accumulates into dlogits the gradient of mean from the
	// forward: dlogits[r] += (dmean[0]/sums[1])·∂loss[r]/∂logits[r] on non-ignored rows, where
	// ∂loss[r]/∂logits[r, c] = ((1−ε)·w[t] + (ε/cols)·Σ_c' w[c'])·softmax[r, c] − (1−ε)·w[t]·[c = t]
	// − (ε/cols)·w[c]. dmean [1] and sums [2] (the forward's) are read on the device; nothing
	// happens when sums[1] = 0.
	SoftmaxCrossEntropyBackward(rows, cols int, dlogits, logProbs Buf[T], targets Ints,
		weights Buf[T], ignoreIndex int32, smoothing T, dmean, sums Buf[T])

	// Gather: dst[r, :] = table[ids[r], :] for rows = len(ids), width cols. A negative id is
	// padding: its row of dst is zeros.
	Gather(cols int, dst, table Buf[T], ids Ints)
	// ScatterAdd: table[ids[r], :] += src[r, :]; ids may repeat, and negative (padding) ids
	// are skipped.
	ScatterAdd(cols int, table, src Buf[T], ids Ints)

	// MaxOverTime: y[b, d] = max over non-padded t of x[t, b, d]; argmax saves t (−1 when the
	// whole sequence is padding, and then y = 0; on ties, the first t). pad [L, B] (1 =
	// padding) may be nil.
	MaxOverTime(L, B, D int, y Buf[T], argmax Ints, x, pad Buf[T])
	MaxOverTimeBackward(L, B, D int, dx, dy Buf[T], argmax Ints)
	// MeanOverTime: y[b, d] = mean over non-padded t of x[t, b, d] (0 for padding only).
	MeanOverTime(L, B, D int, y, x, pad Buf[T])
	MeanOverTimeBackward(L, B, D int, dx, dy, pad Buf[T])

	// SGDStep: g' = g + wd·p; mom = momentum·mom + g' (when momentum > 0, mom non-nil);
	// p −= lr·(nesterov ? g' + momentum·mom : mom or g').
	SGDStep(p, g, mom Buf[T], lr, momentum, weightDecay T, nesterov bool)
	// AdamStep (Kingma & Ba with bias correction, L2 weight decay added to g, as torch.optim.Adam).
	AdamStep(p, g, m, v Buf[T], lr, beta1, beta2, eps, weightDecay T, step int)
	// AdamaxStep (torch.optim.Adamax): g' = g + wd·p; m = β1·m + (1−β1)·g';
	// u = max(β2·u, |g'| + eps); p −= lr/(1 − β1^step) · m/u.
	AdamaxStep(p, g, m, u Buf[T], lr, beta1, beta2, eps, weightDecay T, step int)
}

// LSTMKernels is the fused LSTM cell: one time step of one direction for B batch rows, after
// the caller has put x·W_ihᵀ + h_prev·W_hhᵀ in place in gates; the cell adds the bias
// b = b_ih + b_hh (saving a pass over the gates of the whole sequence) to get the
// pre-activations a. Gate order is PyTorch's (i, f, g, o): row b of gates is [i | f | g | o],
// H each, 4H in all.
//
//	i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//	c = f·c_prev + i·g      h = o·tanh(c)
//
// pad ([B], 1 = padding, nil = none) marks rows whose sequence has ended or not yet begun at
// this step: there the state carries over unchanged, the output is 0 and no gradient reaches
// the gates (PyTorch packed-sequence semantics). y and dy are rows of a wider matrix (the
// [L, B, ndir·H] output of a layer): row b starts at b·ldy.
type LSTMKernels[T Float] interface {
	// LSTMCellForward replaces gates [B, 4H] by the activated gates (the backward reads them;
	// padded rows are left as they were), with bias [4H] (nil: none) added to every row first,
	// and writes c and h [B, H] from cPrev and hPrev [B, H]; at padded rows c = cPrev and
	// h = hPrev. y (nil to skip) gets h, or 0 at padded rows. c and h may not overlap cPrev or
	// hPrev except element for element.
	LSTMCellForward(B, H int, gates, bias, cPrev, hPrev, c, h, y Buf[T], ldy int, pad Buf[T])
	// LSTMCellBackward runs the step backwards. In: the activated gates from the forward,
	// cPrev and c [B, H] (the states entering and leaving the step; tanh(c) is recomputed),
	// dy (the gradient reaching y, nil = zero; ignored at padded rows), dh and dc [B, H] (the
	// gradients reaching h and c through the state: from the next step, or from hn and cn).
	// Out (overwritten): dgates [B, 4H], the pre-activation gradient (0 at padded rows);
	// dcPrev [B, H]; and dhPrev [B, H], which gets dh at padded rows and 0 elsewhere: the caller
	// then accumulates dgates·W_hh into it to complete the gradient reaching h_prev.
	// dgates may be gates, dcPrev may be dc and dhPrev may be dh (in place, one state buffer).
	LSTMCellBackward(B, H int, dgates, dcPrev, dhPrev, gates, cPrev, c, dy Buf[T], ldy int,
		dh, dc, pad Buf[T])
}
