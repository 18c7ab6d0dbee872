package kernels

import "math"

// CTCLossRef is CTCLoss written straight from the recursions, in float64 on host buffers: the
// reference the fused kernels are tested against. It leaves Work alone.
func CTCLossRef[T Float](a *CTCArgs[T]) {
	CheckCTC(a)
	CheckCTCValues(a)
	for n := 0; n < a.B; n++ {
		nll, _, _, _ := ctcSequenceRef(a, n)
		if math.IsInf(nll, 1) && a.ZeroInfinity {
			nll = 0
		}
		a.Loss.Host()[n] = T(nll)
	}
}

// CTCLossBackwardRef is CTCLossBackward from its equations, in float64: it recomputes α and β
// instead of reading Work.
func CTCLossBackwardRef[T Float](a *CTCArgs[T], dlogits, dloss Buf[T]) {
	CheckCTCBackward(a, dlogits, dloss)
	CheckCTCValues(a)
	for n := 0; n < a.B; n++ {
		nll, logProbs, alpha, beta := ctcSequenceRef(a, n)
		if math.IsInf(nll, 1) || alpha == nil {
			continue // infeasible, or no frames: no gradient
		}
		ext := ctcExtendedRef(a, n)
		k := float64(dloss.Host()[n])
		for t := range alpha {
			// ∂loss/∂logProbs[t, c] = −Σ_{s: l'_s = c} α_t(s)·β_t(s)/p; through the log-softmax,
			// Σ_c of it is −1 (every alignment passes one position at t), which leaves
			// ∂loss/∂logits[t, c] = y_t(c) − Σ_{s: l'_s = c} α_t(s)·β_t(s)/p.
			g := make([]float64, a.C)
			for c := range g {
				g[c] = math.Exp(logProbs[t][c])
			}
			for s, c := range ext {
				g[c] -= math.Exp(alpha[t][s] + beta[t][s] + nll)
			}
			row := dlogits.Host()[(t*a.B+n)*a.C : (t*a.B+n+1)*a.C]
			for c, v := range g {
				row[c] += T(k * v)
			}
		}
	}
}

// ctcExtendedRef is l' of sequence n: the blank, then each label followed by the blank.
func ctcExtendedRef[T Float](a *CTCArgs[T], n int) []int {
	ext := []int{a.Blank}
	for _, c := range a.Targets.Host()[n*a.S : n*a.S+int(a.TargetLengths.Host()[n])] {
		ext = append(ext, int(c), a.Blank)
	}
	return ext
}

// ctcSequenceRef returns the loss of sequence n with its log-probabilities [T_n][C], log α and
// log β [T_n][2L+1] (nil when T_n = 0). α_t(s) is the probability of the prefixes l'_{0..s}
// emitted by frames 0..t ending at position s; β_t(s) that of finishing l' from position s at
// t with the frames after t.
func ctcSequenceRef[T Float](a *CTCArgs[T], n int) (nll float64, logProbs, alpha, beta [][]float64) {
	steps := int(a.InputLengths.Host()[n])
	ext := ctcExtendedRef(a, n)
	last := len(ext) - 1
	if steps == 0 {
		if last == 0 {
			return 0, nil, nil, nil
		}
		return math.Inf(1), nil, nil, nil
	}
	logProbs = make([][]float64, steps)
	for t := range logProbs {
		logProbs[t] = logSoftmaxRef(a.Logits.Host()[(t*a.B+n)*a.C : (t*a.B+n+1)*a.C])
	}
	// skip reports whether a path may jump from s−2 to s: l'_s is a label that differs from
	// the label before it.
	skip := func(s int) bool { return s >= 2 && ext[s] != a.Blank && ext[s] != ext[s-2] }
	negInf := math.Inf(-1)
	alpha = make([][]float64, steps)
	beta = make([][]float64, steps)
	for t := range alpha {
		alpha[t] = make([]float64, len(ext))
		beta[t] = make([]float64, len(ext))
		for s := range ext {
			alpha[t][s], beta[t][s] = negInf, negInf
		}
	}
	alpha[0][0] = logProbs[0][ext[0]]
	if last > 0 {
		alpha[0][1] = logProbs[0][ext[1]]
	}
	for t := 1; t < steps; t++ {
		for s := range ext {
			terms := []float64{alpha[t-1][s]}
			if s >= 1 {
				terms = append(terms, alpha[t-1][s-1])
			}
			if skip(s) {
				terms = append(terms, alpha[t-1][s-2])
			}
			alpha[t][s] = logSumExpRef(terms) + logProbs[t][ext[s]]
		}
	}
	beta[steps-1][last] = 0
	if last > 0 {
		beta[steps-1][last-1] = 0
	}
	for t := steps - 2; t >= 0; t-- {
		for s := range ext {
			terms := []float64{beta[t+1][s] + logProbs[t+1][ext[s]]}
			if s+1 <= last {
				terms = append(terms, beta[t+1][s+1]+logProbs[t+1][ext[s+1]])
			}
			if s+2 <= last && skip(s+2) {
				terms = append(terms, beta[t+1][s+2]+logProbs[t+1][ext[s+2]])
			}
			beta[t][s] = logSumExpRef(terms)
		}
	}
	end := []float64{alpha[steps-1][last]}
	if last > 0 {
		end = append(end, alpha[steps-1][last-1])
	}
	return -logSumExpRef(end), logProbs, alpha, beta
}

// logSumExpRef is log Σ exp(x), −Inf when every term is −Inf.
func logSumExpRef(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
