package kernels

import "math"

// The CTC loss on the CPU: one sequence per task index, so workers split the batch. Each
// sequence owns its rows of the workspace and its frames of dlogits, so no two workers write
// one element and the result does not depend on the number of workers. Everything is in log
// space in T, with the sums of exponentials taken around their maximum.

type ctcTask[T Float] struct {
	backward       bool
	a              CTCArgs[T]
	dlogits, dloss []T
}

func (t *ctcTask[T]) Run(lo, hi int) {
	for n := lo; n < hi; n++ {
		if t.backward {
			t.backwardSequence(n)
		} else {
			t.forwardSequence(n)
		}
	}
}

// ctcSequence is what both passes need of sequence n: its frames, its labels, and whether it
// has any alignment at all.
func ctcSequence[T Float](a *CTCArgs[T], n int) (steps int, labels []int32, feasible bool) {
	steps = int(a.InputLengths.Host()[n])
	labels = a.Targets.Host()[n*a.S : n*a.S+int(a.TargetLengths.Host()[n])]
	return steps, labels, CTCFeasible(labels, steps)
}

// ctcLabel is l'_s: the blank at even s, label (s−1)/2 at odd s.
func ctcLabel(labels []int32, blank, s int) int {
	if s&1 == 0 {
		return blank
	}
	return int(labels[s>>1])
}

// ctcSkip reports whether an alignment may jump from s−2 to s (odd s ≥ 3 whose label differs
// from the previous one).
func ctcSkip(labels []int32, s int) bool {
	return s&1 == 1 && s >= 3 && labels[s>>1] != labels[s>>1-1]
}

func (t *ctcTask[T]) forwardSequence(n int) {
	a := &t.a
	steps, labels, feasible := ctcSequence(a, n)
	loss := a.Loss.Host()
	switch {
	case !feasible && a.ZeroInfinity:
		loss[n] = 0
		return
	case !feasible:
		loss[n] = T(math.Inf(1))
		return
	case steps == 0:
		loss[n] = 0
		return
	}
	lse, alphaAll, _ := ctcWork(a)
	B, C, stride, ext := a.B, a.C, 2*a.S+1, 2*len(labels)+1
	x := a.Logits.Host()
	for tt := 0; tt < steps; tt++ {
		lse[tt*B+n] = logSumExpRow(x[(tt*B+n)*C : (tt*B+n+1)*C])
	}
	alpha := alphaAll[n*a.L*stride : (n*a.L+steps)*stride]
	negInf := T(math.Inf(-1))
	row := alpha[:ext]
	for s := range row {
		row[s] = negInf
	}
	x0 := x[n*C : (n+1)*C]
	row[0] = x0[a.Blank] - lse[n]
	if ext > 1 {
		row[1] = x0[labels[0]] - lse[n]
	}
	logScale := ctcNormalize(row) // Σ_t of the maxima taken out of the rows
	for tt := 1; tt < steps; tt++ {
		prev, cur := alpha[(tt-1)*stride:(tt-1)*stride+ext], alpha[tt*stride:tt*stride+ext]
		xt, l := x[(tt*B+n)*C:(tt*B+n+1)*C], lse[tt*B+n]
		cur[0] = prev[0] + xt[a.Blank] - l
		for s := 1; s < ext; s++ {
			var v T
			if ctcSkip(labels, s) {
				v = logSumExp3(prev[s], prev[s-1], prev[s-2])
			} else {
				v = logSumExp2(prev[s], prev[s-1])
			}
			cur[s] = v + xt[ctcLabel(labels, a.Blank, s)] - l
		}
		logScale += ctcNormalize(cur)
	}
	loss[n] = T(-(logScale + float64(ctcEnd(alpha[(steps-1)*stride:(steps-1)*stride+ext]))))
}

// ctcNormalize subtracts the row's maximum from it (when finite) and returns that maximum: log α
// and log β are kept relative to their frame's largest entry, so that their magnitudes, and
// with them the rounding of T, stay small however long the sequence.
func ctcNormalize[T Float](row []T) float64 {
	m := row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	if float64(m) == math.Inf(-1) {
		return 0
	}
	for s := range row {
		row[s] -= m
	}
	return float64(m)
}

// ctcEnd is log(α(last) + α(last−1)) of the last row: the alignments that end on the final
// blank or the final label.
func ctcEnd[T Float](row []T) T {
	if len(row) > 1 {
		return logSumExp2(row[len(row)-1], row[len(row)-2])
	}
	return row[0]
}

// backwardSequence walks the frames backwards with log β (normalized like α) and adds, at each
// frame, dloss·(softmax − posterior of each class), the posterior of position s being
// α_t(s)·β_t(s) / Σ_s' α_t(s')·β_t(s') (the sum is p at every frame).
func (t *ctcTask[T]) backwardSequence(n int) {
	a := &t.a
	steps, labels, feasible := ctcSequence(a, n)
	if !feasible || steps == 0 {
		return
	}
	lse, alphaAll, betaAll := ctcWork(a)
	B, C, stride, ext := a.B, a.C, 2*a.S+1, 2*len(labels)+1
	x := a.Logits.Host()
	alpha := alphaAll[n*a.L*stride : (n*a.L+steps)*stride]
	negInf := T(math.Inf(-1))
	k := t.dloss[n]
	// cur is log β_t (the frames after t), next gets log β_{t−1}.
	cur, next := betaAll[2*n*stride:2*n*stride+ext], betaAll[(2*n+1)*stride:(2*n+1)*stride+ext]
	for s := range cur {
		cur[s] = negInf
	}
	cur[ext-1] = 0
	if ext > 1 {
		cur[ext-2] = 0
	}
	for tt := steps - 1; tt >= 0; tt-- {
		xt, l := x[(tt*B+n)*C:(tt*B+n+1)*C], lse[tt*B+n]
		dl := t.dlogits[(tt*B+n)*C : (tt*B+n+1)*C]
		for c, v := range xt {
			dl[c] += k * expT(v-l)
		}
		at := alpha[tt*stride : tt*stride+ext]
		m := negInf
		for s, v := range at {
			m = max(m, v+cur[s])
		}
		var z T
		for s, v := range at {
			e := expT(v + cur[s] - m)
			next[s] = e // next is free until log β_{t−1} goes there
			z += e
		}
		kz := k / z
		for s, e := range next {
			dl[ctcLabel(labels, a.Blank, s)] -= kz * e
		}
		if tt == 0 {
			break
		}
		// log β_{t−1}(s) = log Σ_{s' ∈ {s, s+1, s+2 when it may be skipped to}} β_t(s')·y_t(l'_s')
		next[ext-1] = cur[ext-1] + xt[a.Blank] - l
		for s := 0; s < ext-1; s++ {
			b0 := cur[s] + xt[ctcLabel(labels, a.Blank, s)]
			b1 := cur[s+1] + xt[ctcLabel(labels, a.Blank, s+1)]
			if s+2 < ext && ctcSkip(labels, s+2) {
				next[s] = logSumExp3(b0, b1, cur[s+2]+xt[labels[(s+2)>>1]]) - l
			} else {
				next[s] = logSumExp2(b0, b1) - l
			}
		}
		ctcNormalize(next)
		cur, next = next, cur
	}
}

// logSumExpRow is log Σ exp(x) around the maximum.
func logSumExpRow[T Float](x []T) T {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var s T
	for _, v := range x {
		s += expT(v - m)
	}
	return m + logT(s)
}

// logSumExp2 is log(e^a + e^b), −Inf when both are −Inf.
func logSumExp2[T Float](a, b T) T {
	m := max(a, b)
	if float64(m) == math.Inf(-1) {
		return m
	}
	return m + logT(1+expT(min(a, b)-m))
}

// logSumExp3 is log(e^a + e^b + e^c), −Inf when all three are −Inf.
func logSumExp3[T Float](a, b, c T) T {
	m := max(a, b, c)
	if float64(m) == math.Inf(-1) {
		return m
	}
	return m + logT(expT(a-m)+expT(b-m)+expT(c-m))
}

// logT is the natural logarithm: a fast single-precision one for float32 (within ~2 ulp),
// math.Log for float64.
func logT[T Float](x T) T {
	if isF32[T]() {
		return T(log32(float32(x)))
	}
	return T(math.Log(float64(x)))
}

// log32 computes ln x in float32 for normal positive x (others go to math.Log): x = m·2^e with
// m in [√½, √2), and ln m = 2·atanh(f) with f = (m−1)/(m+1), |f| ≤ 0.1716, by its odd series
// up to f^9 (the next term is below 1e-9 of the result).
func log32(x float32) float32 {
	if !(x >= 1.17549435e-38 && x <= math.MaxFloat32) {
		return float32(math.Log(float64(x)))
	}
	bits := math.Float32bits(x)
	e := int32(bits>>23) - 127
	m := math.Float32frombits(bits&0x7fffff | 0x3f800000)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	f := (m - 1) / (m + 1)
	z := f * f
	p := float32(1.0 / 9)
	p = p*z + 1.0/7
	p = p*z + 1.0/5
	p = p*z + 1.0/3
	p = p*z + 1
	const ln2hi, ln2lo = 0.693359375, -2.12194440e-4
	ef := float32(e)
	return ef*ln2hi + (2*f*p + ef*ln2lo)
}

func (d *CPU[T]) CTCLoss(a *CTCArgs[T]) {
	CheckCTC(a)
	CheckCTCValues(a)
	d.ctc = ctcTask[T]{a: *a}
	d.pool.Run(&d.ctc, a.B, 1)
	d.ctc = ctcTask[T]{}
}

func (d *CPU[T]) CTCLossBackward(a *CTCArgs[T], dlogits, dloss Buf[T]) {
	CheckCTCBackward(a, dlogits, dloss)
	CheckCTCValues(a)
	d.ctc = ctcTask[T]{backward: true, a: *a, dlogits: dlogits.Host(), dloss: dloss.Host()}
	d.pool.Run(&d.ctc, a.B, 1)
	d.ctc = ctcTask[T]{}
}
