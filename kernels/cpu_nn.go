package kernels

import (
	"fmt"
	"math"
)

// The fused nn kernels on the CPU. Row-wise kernels (layer norm, log-softmax, cross entropy,
// gather) split rows between workers; the reductions over rows (gamma/beta gradients,
// scatter-add, whose ids may repeat) split columns instead, so no two workers write one element
// and no result depends on the number of workers. Indices (targets, ids) are checked on the
// calling goroutine before any worker starts, so a bad index panics where it can be recovered.

// rowGrain is the least number of rows of width cols worth sending to another worker.
func rowGrain(cols int) int { return max(1, ewGrain/max(cols, 1)) }

type layerNormTask[T Float] struct {
	backward              bool
	cols                  int
	y, x, gamma, beta     []T
	mean, rstd            []T
	dx, dgamma, dbeta, dy []T
	eps                   T
}

func (t *layerNormTask[T]) Run(lo, hi int) {
	if t.backward {
		t.backwardRows(lo, hi)
		return
	}
	cols := t.cols
	n := T(cols)
	for r := lo; r < hi; r++ {
		x, y := t.x[r*cols:(r+1)*cols], t.y[r*cols:(r+1)*cols]
		var s T
		for _, v := range x {
			s += v
		}
		mu := s / n
		var ss T
		for _, v := range x {
			ss += (v - mu) * (v - mu)
		}
		rs := T(1 / math.Sqrt(float64(ss/n+t.eps)))
		t.mean[r], t.rstd[r] = mu, rs
		switch {
		case t.gamma != nil && t.beta != nil:
			g, b := t.gamma[:cols], t.beta[:cols]
			for c, v := range x {
				y[c] = (v-mu)*rs*g[c] + b[c]
			}
		case t.gamma != nil:
			g := t.gamma[:cols]
			for c, v := range x {
				y[c] = (v - mu) * rs * g[c]
			}
		default:
			for c, v := range x {
				y[c] = (v - mu) * rs
			}
			if t.beta != nil {
				for c, v := range t.beta[:cols] {
					y[c] += v
				}
			}
		}
	}
}

// backwardRows: with x̂ = (x−μ)·rstd and ĝ = dy·gamma, dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
func (t *layerNormTask[T]) backwardRows(lo, hi int) {
	cols := t.cols
	n := T(cols)
	for r := lo; r < hi; r++ {
		x, dy, dx := t.x[r*cols:(r+1)*cols], t.dy[r*cols:(r+1)*cols], t.dx[r*cols:(r+1)*cols]
		mu, rs := t.mean[r], t.rstd[r]
		var sg, sgx T
		for c, v := range x {
			g := dy[c]
			if t.gamma != nil {
				g *= t.gamma[c]
			}
			sg += g
			sgx += g * (v - mu) * rs
		}
		a, b := sg/n, sgx/n
		for c, v := range x {
			g := dy[c]
			if t.gamma != nil {
				g *= t.gamma[c]
			}
			dx[c] += rs * (g - a - (v-mu)*rs*b)
		}
	}
}

// layerNormParamTask accumulates dgamma and dbeta over columns [lo, hi).
type layerNormParamTask[T Float] struct{ ln *layerNormTask[T] }

func (p *layerNormParamTask[T]) Run(lo, hi int) {
	t := p.ln
	cols := t.cols
	rows := len(t.mean)
	for r := 0; r < rows; r++ {
		x, dy := t.x[r*cols+lo:r*cols+hi], t.dy[r*cols+lo:r*cols+hi]
		mu, rs := t.mean[r], t.rstd[r]
		if t.dgamma != nil {
			dg := t.dgamma[lo:hi]
			for c, v := range x {
				dg[c] += dy[c] * (v - mu) * rs
			}
		}
		if t.dbeta != nil {
			db := t.dbeta[lo:hi]
			for c, v := range dy {
				db[c] += v
			}
		}
	}
}

func (d *CPU[T]) LayerNorm(rows, cols int, y, x, gamma, beta, mean, rstd Buf[T], eps T) {
	CheckLayerNorm(rows, cols, y, x, gamma, beta, mean, rstd)
	if cols == 0 {
		return
	}
	d.ln = layerNormTask[T]{cols: cols, y: y.Host(), x: x.Host(), gamma: gamma.Host(),
		beta: beta.Host(), mean: mean.Host(), rstd: rstd.Host(), eps: eps}
	d.pool.Run(&d.ln, rows, rowGrain(cols))
	d.ln = layerNormTask[T]{}
}

func (d *CPU[T]) LayerNormBackward(rows, cols int, dx, dgamma, dbeta, dy, x, gamma, mean, rstd Buf[T]) {
	CheckLayerNormBackward(rows, cols, dx, dgamma, dbeta, dy, x, gamma, mean, rstd)
	if cols == 0 {
		return
	}
	d.ln = layerNormTask[T]{backward: true, cols: cols, x: x.Host(), gamma: gamma.Host(),
		mean: mean.Host(), rstd: rstd.Host(), dx: dx.Host(), dgamma: dgamma.Host(),
		dbeta: dbeta.Host(), dy: dy.Host()}
	if !dx.IsNil() {
		d.pool.Run(&d.ln, rows, rowGrain(cols))
	}
	if !dgamma.IsNil() || !dbeta.IsNil() {
		d.lnParam.ln = &d.ln
		d.pool.Run(&d.lnParam, cols, max(1, ewGrain/max(rows, 1)))
		d.lnParam.ln = nil
	}
	d.ln = layerNormTask[T]{}
}

// logSoftmaxRow writes y = x − max − log Σ exp(x − max), the max keeping exp from overflowing.
func logSoftmaxRow[T Float](y, x []T) {
	if useVec[T]() && len(x) >= vecMinLen {
		m, s := vecMaxExpSum(f32s(x))
		vecSubConst(f32s(y), f32s(x), m+float32(math.Log(float64(s))))
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var s T
	for _, v := range x {
		s += expT(v - m)
	}
	lse := m + T(math.Log(float64(s)))
	for c, v := range x {
		y[c] = v - lse
	}
}

type logSoftmaxTask[T Float] struct {
	backward bool
	cols     int
	y, x     []T
	dx, dy   []T
}

func (t *logSoftmaxTask[T]) Run(lo, hi int) {
	cols := t.cols
	for r := lo; r < hi; r++ {
		y := t.y[r*cols : (r+1)*cols]
		if !t.backward {
			logSoftmaxRow(y, t.x[r*cols:(r+1)*cols])
			continue
		}
		// dx = dy − softmax·Σdy
		dy, dx := t.dy[r*cols:(r+1)*cols], t.dx[r*cols:(r+1)*cols]
		if useVec[T]() && cols >= vecMinLen {
			vecLogSoftmaxBwdRow(f32s(dx), f32s(y), f32s(dy))
			continue
		}
		var s T
		for _, v := range dy {
			s += v
		}
		for c, v := range y {
			dx[c] += dy[c] - expT(v)*s
		}
	}
}

func (d *CPU[T]) LogSoftmax(rows, cols int, y, x Buf[T]) {
	CheckLogSoftmax(rows, cols, y, x)
	if cols == 0 {
		return
	}
	d.lsm = logSoftmaxTask[T]{cols: cols, y: y.Host(), x: x.Host()}
	d.pool.Run(&d.lsm, rows, rowGrain(cols))
	d.lsm = logSoftmaxTask[T]{}
}

func (d *CPU[T]) LogSoftmaxBackward(rows, cols int, dx, y, dy Buf[T]) {
	CheckLogSoftmaxBackward(rows, cols, dx, y, dy)
	if cols == 0 {
		return
	}
	d.lsm = logSoftmaxTask[T]{backward: true, cols: cols, y: y.Host(), dx: dx.Host(), dy: dy.Host()}
	d.pool.Run(&d.lsm, rows, rowGrain(cols))
	d.lsm = logSoftmaxTask[T]{}
}

type crossEntropyTask[T Float] struct {
	backward        bool
	cols            int
	ignore          int32
	lp, loss, logit []T
	dlogit, w       []T
	targets         []int32
	scale           T
	eps             T // label smoothing
	wsum            T // Σ_c w[c] (cols when unweighted), for the smoothed backward
}

func (t *crossEntropyTask[T]) Run(lo, hi int) {
	cols := t.cols
	for r := lo; r < hi; r++ {
		lp := t.lp[r*cols : (r+1)*cols]
		tg := t.targets[r]
		if !t.backward {
			logSoftmaxRow(lp, t.logit[r*cols:(r+1)*cols])
			if tg == t.ignore {
				t.loss[r] = 0
				continue
			}
			w := T(1)
			if t.w != nil {
				w = t.w[tg]
			}
			if t.eps == 0 {
				t.loss[r] = -w * lp[tg]
				continue
			}
			var s T // Σ_c w[c]·lp[c]
			if t.w != nil {
				for c, v := range lp {
					s += t.w[c] * v
				}
			} else {
				for _, v := range lp {
					s += v
				}
			}
			t.loss[r] = (1-t.eps)*w*(-lp[tg]) - t.eps/T(cols)*s
			continue
		}
		if tg == t.ignore {
			continue
		}
		dl := t.dlogit[r*cols : (r+1)*cols]
		if t.eps == 0 {
			k := t.scale
			if t.w != nil {
				k *= t.w[tg]
			}
			if useVec[T]() && cols >= vecMinLen {
				vecAddScaledExp(f32s(dl), f32s(lp), float32(k), 0)
			} else {
				for c, v := range lp {
					dl[c] += k * expT(v)
				}
			}
			dl[tg] -= k
			continue
		}
		w := T(1)
		if t.w != nil {
			w = t.w[tg]
		}
		kt := t.scale * (1 - t.eps) * w // weight of the target term
		ks := t.scale * t.eps / T(cols) // weight of the uniform term
		a := kt + ks*t.wsum             // weight of the softmax
		if t.w != nil {
			for c, v := range lp {
				dl[c] += a*expT(v) - ks*t.w[c]
			}
		} else if useVec[T]() && cols >= vecMinLen {
			vecAddScaledExp(f32s(dl), f32s(lp), float32(a), float32(-ks))
		} else {
			for c, v := range lp {
				dl[c] += a*expT(v) - ks
			}
		}
		dl[tg] -= kt
	}
}

// checkTargets panics on a target outside [0, cols) that is not ignoreIndex, and returns
// Σ w[t] over the other rows.
func checkTargets[T Float](cols int, targets []int32, w []T, ignore int32) float64 {
	var ws float64
	for r, tg := range targets {
		if tg == ignore {
			continue
		}
		if tg < 0 || int(tg) >= cols {
			panic(fmt.Sprintf("kernels: cross-entropy target %d of row %d outside [0, %d)", tg, r, cols))
		}
		if w != nil {
			ws += float64(w[tg])
		} else {
			ws++
		}
	}
	return ws
}

func (d *CPU[T]) SoftmaxCrossEntropy(rows, cols int, logProbs, loss, sums, mean, logits Buf[T], targets Ints,
	weights Buf[T], ignoreIndex int32, smoothing T) {
	CheckSoftmaxCrossEntropy(rows, cols, logProbs, loss, sums, mean, logits, targets, weights, smoothing)
	var sum, weightSum float64
	if cols > 0 {
		weightSum = checkTargets(cols, targets.Host(), weights.Host(), ignoreIndex)
		d.ce = crossEntropyTask[T]{cols: cols, ignore: ignoreIndex, lp: logProbs.Host(),
			loss: loss.Host(), logit: logits.Host(), w: weights.Host(), targets: targets.Host(), eps: smoothing}
		d.pool.Run(&d.ce, rows, rowGrain(cols))
		d.ce = crossEntropyTask[T]{}
		for _, v := range loss.Host() {
			sum += float64(v)
		}
	}
	s := sums.Host()
	s[0], s[1] = T(sum), T(weightSum)
	mean.Host()[0] = 0
	if weightSum != 0 {
		mean.Host()[0] = T(sum / weightSum)
	}
}

func (d *CPU[T]) SoftmaxCrossEntropyBackward(rows, cols int, dlogits, logProbs Buf[T], targets Ints,
	weights Buf[T], ignoreIndex int32, smoothing T, dmean, sums Buf[T]) {
	CheckSoftmaxCrossEntropyBackward(rows, cols, dlogits, logProbs, targets, weights, smoothing, dmean, sums)
	weightSum := float64(sums.Host()[1])
	if cols == 0 || weightSum == 0 {
		return
	}
	checkTargets(cols, targets.Host(), weights.Host(), ignoreIndex)
	wsum := float64(cols)
	if w := weights.Host(); w != nil {
		wsum = 0
		for _, v := range w {
			wsum += float64(v)
		}
	}
	d.ce = crossEntropyTask[T]{backward: true, cols: cols, ignore: ignoreIndex, lp: logProbs.Host(),
		dlogit: dlogits.Host(), w: weights.Host(), targets: targets.Host(),
		scale: T(float64(dmean.Host()[0]) / weightSum), eps: smoothing, wsum: T(wsum)}
	d.pool.Run(&d.ce, rows, rowGrain(cols))
	d.ce = crossEntropyTask[T]{}
}

// gatherTask copies table rows to dst rows [lo, hi) (Gather), or adds src rows into table
// columns [lo, hi) (ScatterAdd: split by columns because ids may repeat).
type gatherTask[T Float] struct {
	scatter    bool
	cols       int
	dst, table []T
	ids        []int32
}

func (t *gatherTask[T]) Run(lo, hi int) {
	cols := t.cols
	if !t.scatter {
		for r := lo; r < hi; r++ {
			d := t.dst[r*cols : (r+1)*cols]
			if id := int(t.ids[r]); id >= 0 {
				copy(d, t.table[id*cols:(id+1)*cols])
			} else {
				clear(d)
			}
		}
		return
	}
	for r, id := range t.ids {
		if id < 0 {
			continue
		}
		d, s := t.table[int(id)*cols+lo:int(id)*cols+hi], t.dst[r*cols+lo:r*cols+hi]
		for c, v := range s {
			d[c] += v
		}
	}
}

// checkIDs panics on an id past the table of rows of cols > 0 (the shapes checked first).
func checkIDs[T Float](what string, cols int, table Buf[T], ids Ints) {
	n := table.Len() / cols
	for r, id := range ids.Host() {
		if int(id) >= n {
			panic(fmt.Sprintf("kernels: %s: id %d of row %d outside a table of %d rows", what, id, r, n))
		}
	}
}

func (d *CPU[T]) Gather(cols int, dst, table Buf[T], ids Ints) {
	CheckGather(cols, dst, table, ids)
	checkIDs("Gather", cols, table, ids)
	d.gather = gatherTask[T]{cols: cols, dst: dst.Host(), table: table.Host(), ids: ids.Host()}
	d.pool.Run(&d.gather, ids.Len(), rowGrain(cols))
	d.gather = gatherTask[T]{}
}

func (d *CPU[T]) ScatterAdd(cols int, table, src Buf[T], ids Ints) {
	CheckScatterAdd(cols, table, src, ids)
	checkIDs("ScatterAdd", cols, table, ids)
	d.gather = gatherTask[T]{scatter: true, cols: cols, dst: src.Host(), table: table.Host(), ids: ids.Host()}
	d.pool.Run(&d.gather, cols, max(1, ewGrain/max(ids.Len(), 1)))
	d.gather = gatherTask[T]{}
}

// overTimeTask pools [L, B, D] over time for batch rows [lo, hi).
type overTimeTask[T Float] struct {
	kind    ewKind // ewFill: max, ewAxpy: max backward, ewAdd: mean, ewMul: mean backward
	L, B, D int
	y, x    []T // y/x forward; dy/dx backward
	pad     []T
	argmax  []int32
}

func (t *overTimeTask[T]) padded(s, b int) bool { return t.pad != nil && t.pad[s*t.B+b] != 0 }

func (t *overTimeTask[T]) Run(lo, hi int) {
	L, B, D := t.L, t.B, t.D
	for b := lo; b < hi; b++ {
		y := t.y[b*D : (b+1)*D]
		switch t.kind {
		case ewFill:
			am := t.argmax[b*D : (b+1)*D]
			found := false
			for s := 0; s < L; s++ {
				if t.padded(s, b) {
					continue
				}
				x := t.x[(s*B+b)*D : (s*B+b+1)*D]
				if !found {
					copy(y, x)
					for i := range am {
						am[i] = int32(s)
					}
					found = true
					continue
				}
				for i, v := range x {
					if v > y[i] {
						y[i], am[i] = v, int32(s)
					}
				}
			}
			if !found {
				clear(y)
				for i := range am {
					am[i] = -1
				}
			}
		case ewAxpy:
			for i, s := range t.argmax[b*D : (b+1)*D] {
				if s >= 0 {
					t.x[(int(s)*B+b)*D+i] += y[i]
				}
			}
		case ewAdd:
			clear(y)
			n := 0
			for s := 0; s < L; s++ {
				if t.padded(s, b) {
					continue
				}
				n++
				for i, v := range t.x[(s*B+b)*D : (s*B+b+1)*D] {
					y[i] += v
				}
			}
			if n > 0 {
				inv := 1 / T(n)
				for i := range y {
					y[i] *= inv
				}
			}
		case ewMul:
			n := 0
			for s := 0; s < L; s++ {
				if !t.padded(s, b) {
					n++
				}
			}
			if n == 0 {
				continue
			}
			inv := 1 / T(n)
			for s := 0; s < L; s++ {
				if t.padded(s, b) {
					continue
				}
				dx := t.x[(s*B+b)*D : (s*B+b+1)*D]
				for i, v := range y {
					dx[i] += v * inv
				}
			}
		}
	}
}

// overTime runs a pooling kernel whose arguments the caller has checked.
func (d *CPU[T]) overTime(kind ewKind, L, B, D int, y, x, pad Buf[T], argmax Ints) {
	d.ot = overTimeTask[T]{kind: kind, L: L, B: B, D: D, y: y.Host(), x: x.Host(), pad: pad.Host(),
		argmax: argmax.Host()}
	d.pool.Run(&d.ot, B, rowGrain(L*D))
	d.ot = overTimeTask[T]{}
}

func (d *CPU[T]) MaxOverTime(L, B, D int, y Buf[T], argmax Ints, x, pad Buf[T]) {
	CheckMaxOverTime(L, B, D, y, argmax, x, pad)
	d.overTime(ewFill, L, B, D, y, x, pad, argmax)
}

func (d *CPU[T]) MaxOverTimeBackward(L, B, D int, dx, dy Buf[T], argmax Ints) {
	CheckMaxOverTimeBackward(L, B, D, dx, dy, argmax)
	d.overTime(ewAxpy, L, B, D, dy, dx, Buf[T]{}, argmax)
}

func (d *CPU[T]) MeanOverTime(L, B, D int, y, x, pad Buf[T]) {
	CheckMeanOverTime(L, B, D, y, x, pad)
	d.overTime(ewAdd, L, B, D, y, x, pad, Ints{})
}

func (d *CPU[T]) MeanOverTimeBackward(L, B, D int, dx, dy, pad Buf[T]) {
	CheckMeanOverTimeBackward(L, B, D, dx, dy, pad)
	d.overTime(ewMul, L, B, D, dy, dx, pad, Ints{})
}
