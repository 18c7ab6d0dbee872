package kernels

// Act names an elementwise activation.
type Act int

const (
	Identity Act = iota
	Sigmoid
	Tanh
	ReLU
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
}

// NNKernels holds the fused kernels of the nn layers and the optimizers.
type NNKernels[T Float] interface {
	// LayerNorm over the last axis of a [rows, cols] matrix: y = (x−μ)·rstd·gamma + beta;
	// mean and rstd ([rows]) are saved for the backward. gamma/beta may be nil (no affine).
	LayerNorm(rows, cols int, y, x, gamma, beta, mean, rstd Buf[T], eps T)
	// LayerNormBackward accumulates dx, dgamma, dbeta (dgamma/dbeta nil when no affine).
	LayerNormBackward(rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd Buf[T])

	// LogSoftmax over the last axis of [rows, cols]; backward accumulates dx from y and dy.
	LogSoftmax(rows, cols int, y, x Buf[T])
	LogSoftmaxBackward(rows, cols int, dx, y, dy Buf[T])
	// SoftmaxCrossEntropy: logProbs = log_softmax(logits) and loss[r] = −w[t]·logProbs[r, t]
	// with t = targets[r]; rows whose target is ignoreIndex get loss 0. weights ([cols]) may be
	// nil. It returns Σ_r loss[r] and Σ_r w[t_r] over non-ignored rows (waits for queued work).
	SoftmaxCrossEntropy(rows, cols int, logProbs, loss, logits Buf[T], targets Ints,
		weights Buf[T], ignoreIndex int32) (sum, weightSum float64)
	// SoftmaxCrossEntropyBackward: dlogits += scale·w[t]·(softmax − onehot(t)) on non-ignored
	// rows.
	SoftmaxCrossEntropyBackward(rows, cols int, dlogits, logProbs Buf[T], targets Ints,
		weights Buf[T], ignoreIndex int32, scale T)

	// Gather: dst[r, :] = table[ids[r], :] for rows = len(ids), width cols.
	Gather(cols int, dst, table Buf[T], ids Ints)
	// ScatterAdd: table[ids[r], :] += src[r, :].
	ScatterAdd(cols int, table, src Buf[T], ids Ints)

	// MaxOverTime: y[b, d] = max over non-padded t of x[t, b, d]; argmax saves t (−1 when the
	// whole sequence is padding, and then y = 0). pad [L, B] (1 = padding) may be nil.
	MaxOverTime(L, B, D int, y Buf[T], argmax Ints, x, pad Buf[T])
	MaxOverTimeBackward(L, B, D int, dx, dy Buf[T], argmax Ints)
	// MeanOverTime: y[b, d] = mean over non-padded t of x[t, b, d].
	MeanOverTime(L, B, D int, y, x, pad Buf[T])
	MeanOverTimeBackward(L, B, D int, dx, dy, pad Buf[T])

	// SGDStep: g' = g + wd·p; mom = momentum·mom + g' (when momentum > 0, mom non-nil);
	// p −= lr·(nesterov ? g' + momentum·mom : mom or g').
	SGDStep(p, g, mom Buf[T], lr, momentum, weightDecay T, nesterov bool)
	// AdamStep (Kingma & Ba with bias correction, L2 weight decay added to g, as torch.optim.Adam).
	AdamStep(p, g, m, v Buf[T], lr, beta1, beta2, eps, weightDecay T, step int)
}

// LSTMKernels is the fused LSTM cell (PyTorch gate order i, f, g, o).
type LSTMKernels[T Float] interface {
	// LSTMCellForward turns pre-activation gates [B, 4H] (x·W_ihᵀ + h·W_hhᵀ + biases, in place)
	// into activated gates, and writes c and h [B, H]. At rows where pad[b] = 1 (pad may be nil)
	// the state carries over: c = cPrev, h = hPrev, and y (if non-nil) gets 0, else y = h.
	LSTMCellForward(B, H int, gates, cPrev, hPrev, c, h, y, pad Buf[T])
	// LSTMCellBackward: from dh (the gradient reaching h, [B, H]) and dc (the gradient reaching
	// c from the next step, [B, H]), it writes dgates [B, 4H] (pre-activation) and dcPrev, and
	// for padded rows passes dh/dc straight to dhPrevCarry/dcPrev (dhPrevCarry += dh there).
	LSTMCellBackward(B, H int, dgates, dcPrev, dhPrevCarry, gates, cPrev, c, dh, dc, pad Buf[T])
}
