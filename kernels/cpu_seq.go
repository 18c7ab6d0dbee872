package kernels

import "math"

// The CPU SeqKernels: masked softmax over rows, and the Bahdanau scores, fused so that the
// [B, Lq, Ls, H] tensor of tanh is never formed.

type seqKind int

const (
	seqMaskedSoftmax seqKind = iota
	seqSoftmaxBackward
	seqAdditive
	seqAdditiveBackward
)

// seqTask is the one task struct of the attention kernels; kind picks the loop.
type seqTask[T Float] struct {
	kind                 seqKind
	rows, cols, B, group int
	Lq, Ls, H            int
	y, x, dx, dy, pad    []T
	lengths              []int32
	s, q, k, v           []T
	dq, dk, dv, ds       []T
}

func (t *seqTask[T]) Run(lo, hi int) {
	switch t.kind {
	case seqMaskedSoftmax:
		t.maskedSoftmax(lo, hi)
	case seqSoftmaxBackward:
		cols := t.cols
		for r := lo; r < hi; r++ {
			y, dy, dx := t.y[r*cols:(r+1)*cols], t.dy[r*cols:(r+1)*cols], t.dx[r*cols:(r+1)*cols]
			var dot T
			for c, v := range y {
				dot += v * dy[c]
			}
			for c, v := range y {
				dx[c] += v * (dy[c] - dot)
			}
		}
	case seqAdditive:
		t.additive(lo, hi)
	case seqAdditiveBackward:
		t.additiveBackward(lo, hi)
	}
}

func (t *seqTask[T]) maskedSoftmax(lo, hi int) {
	cols := t.cols
	for r := lo; r < hi; r++ {
		b := (r / t.group) % t.B
		n := maskedLen(t.lengths, b, cols)
		x, y := t.x[r*cols:(r+1)*cols], t.y[r*cols:(r+1)*cols]
		var pad []T
		if t.pad != nil {
			pad = t.pad[b*cols : (b+1)*cols]
		}
		m := T(math.Inf(-1))
		if pad == nil {
			for _, v := range x[:n] {
				m = max(m, v)
			}
		} else {
			for c, v := range x[:n] {
				if pad[c] == 0 {
					m = max(m, v)
				}
			}
		}
		clear(y[n:])
		if float64(m) < -math.MaxFloat64 { // nothing unmasked, or only −∞: no distribution
			clear(y[:n])
			continue
		}
		// Branch-free passes: shift, exp of the whole row, zero the padded columns, normalise.
		e := y[:n]
		for c, v := range x[:n] {
			e[c] = v - m
		}
		expRow(e)
		if pad != nil {
			for c := range e {
				if pad[c] != 0 {
					e[c] = 0
				}
			}
		}
		var s T
		for _, v := range e {
			s += v
		}
		inv := 1 / s
		for c := range e {
			e[c] *= inv
		}
	}
}

// tanhChunk is how many units the additive kernels take at a time (a stack buffer of tanh).
const tanhChunk = 256

// tanhOfSum sets th[h] = tanh(a[h] + b[h]): for float32 as tanhT computes it, 2/(1+e^−2x) − 1,
// with the exp of the whole row in one loop that the compiler keeps free of calls.
func tanhOfSum[T Float](th, a, b []T) {
	a, b = a[:len(th)], b[:len(th)]
	if !isF32[T]() {
		for h := range th {
			th[h] = T(math.Tanh(float64(a[h] + b[h])))
		}
		return
	}
	for h := range th {
		th[h] = -2 * (a[h] + b[h])
	}
	exp32Row(th)
	for h, e := range th {
		th[h] = 2/(1+e) - 1
	}
}

// expRow replaces each x of a row by e^x (exp32Row for float32, math.Exp for float64).
func expRow[T Float](xs []T) {
	if isF32[T]() {
		exp32Row(xs)
		return
	}
	for i, v := range xs {
		xs[i] = T(math.Exp(float64(v)))
	}
}

// exp32Row replaces each x of a float32 row by exp32(x), by the same steps (see exp32).
func exp32Row[T Float](xs []T) {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
		magic = 12582912.0 // 1.5·2^23
	)
	for i, v := range xs {
		x := min(max(float32(v), -87.3), 88.3)
		t := x*log2e + magic
		nf := t - magic
		n := int32(math.Float32bits(t)) - 0x4B400000
		r := x - nf*ln2hi - nf*ln2lo
		p := float32(1.9875691500e-4)
		p = p*r + 1.3981999507e-3
		p = p*r + 8.3334519073e-3
		p = p*r + 4.1665795894e-2
		p = p*r + 1.6666665459e-1
		p = p*r + 5.0000001201e-1
		xs[i] = T((p*r*r + r + 1) * math.Float32frombits(uint32(n+127)<<23))
	}
}

// additive computes the score rows r = b·Lq + i in [lo, hi).
func (t *seqTask[T]) additive(lo, hi int) {
	B, H, Lq, Ls := t.B, t.H, t.Lq, t.Ls
	var buf [tanhChunk]T
	for r := lo; r < hi; r++ {
		b, i := r/Lq, r%Lq
		q := t.q[(i*B+b)*H : (i*B+b+1)*H]
		out := t.s[r*Ls : (r+1)*Ls]
		for j := range out {
			k := t.k[(j*B+b)*H : (j*B+b+1)*H]
			var sum T
			for h0 := 0; h0 < H; h0 += tanhChunk {
				h1 := min(h0+tanhChunk, H)
				th := buf[:h1-h0]
				tanhOfSum(th, q[h0:h1], k[h0:h1])
				for h, vh := range t.v[h0:h1] {
					sum += vh * th[h]
				}
			}
			out[j] = sum
		}
	}
}

// additiveBackward handles the units h in [lo, hi): each worker owns its units of dq, dk and
// dv, so no two write one element.
func (t *seqTask[T]) additiveBackward(lo, hi int) {
	for h0 := lo; h0 < hi; h0 += tanhChunk {
		t.additiveBackwardUnits(h0, min(h0+tanhChunk, hi))
	}
}

func (t *seqTask[T]) additiveBackwardUnits(lo, hi int) {
	B, H, Lq, Ls := t.B, t.H, t.Lq, t.Ls
	var buf [tanhChunk]T
	tanhs := buf[:hi-lo]
	v := t.v[lo:hi]
	var dv []T
	if t.dv != nil {
		dv = t.dv[lo:hi]
	}
	for b := 0; b < B; b++ {
		for i := 0; i < Lq; i++ {
			qo := (i*B+b)*H + lo
			q := t.q[qo : qo+hi-lo]
			var dq []T
			if t.dq != nil {
				dq = t.dq[qo : qo+hi-lo]
			}
			ds := t.ds[(b*Lq+i)*Ls : (b*Lq+i+1)*Ls]
			for j, g := range ds {
				if g == 0 { // masked positions send nothing
					continue
				}
				ko := (j*B+b)*H + lo
				k := t.k[ko : ko+hi-lo]
				var dk []T
				if t.dk != nil {
					dk = t.dk[ko : ko+hi-lo]
				}
				tanhOfSum(tanhs, q, k)
				// Branch-free passes over the chunk (it stays in L1): dv, then the pre-activation
				// gradient d = g·v·(1−t²) in place of t, then dq and dk.
				if dv != nil {
					for h, th := range tanhs {
						dv[h] += g * th
					}
				}
				for h, th := range tanhs {
					tanhs[h] = g * v[h] * (1 - th*th)
				}
				if dq != nil {
					for h, d := range tanhs {
						dq[h] += d
					}
				}
				if dk != nil {
					for h, d := range tanhs {
						dk[h] += d
					}
				}
			}
		}
	}
}

func (d *CPU[T]) MaskedSoftmax(rows, cols, B, group int, y, x Buf[T], lengths Ints, pad Buf[T]) {
	CheckMaskedSoftmax(rows, cols, B, group, y, x, lengths, pad)
	if cols == 0 {
		return
	}
	d.seq = seqTask[T]{kind: seqMaskedSoftmax, rows: rows, cols: cols, B: B, group: group, y: y.Host(),
		x: x.Host(), lengths: lengths.Host(), pad: pad.Host()}
	d.pool.Run(&d.seq, rows, rowGrain(cols))
	d.seq = seqTask[T]{}
}

func (d *CPU[T]) SoftmaxBackward(rows, cols int, dx, y, dy Buf[T]) {
	CheckSoftmaxBackward(rows, cols, dx, y, dy)
	if cols == 0 {
		return
	}
	d.seq = seqTask[T]{kind: seqSoftmaxBackward, cols: cols, dx: dx.Host(), y: y.Host(), dy: dy.Host()}
	d.pool.Run(&d.seq, rows, rowGrain(cols))
	d.seq = seqTask[T]{}
}

func (d *CPU[T]) AdditiveScores(Lq, Ls, B, H int, s, q, k, v Buf[T]) {
	CheckAdditiveScores(Lq, Ls, B, H, s, q, k, v)
	if Ls == 0 {
		return
	}
	d.seq = seqTask[T]{kind: seqAdditive, Lq: Lq, Ls: Ls, B: B, H: H, s: s.Host(), q: q.Host(), k: k.Host(),
		v: v.Host()}
	d.pool.Run(&d.seq, B*Lq, rowGrain(Ls*H))
	d.seq = seqTask[T]{}
}

func (d *CPU[T]) AdditiveScoresBackward(Lq, Ls, B, H int, dq, dk, dv, ds, q, k, v Buf[T]) {
	CheckAdditiveScoresBackward(Lq, Ls, B, H, dq, dk, dv, ds, q, k, v)
	if dq.IsNil() && dk.IsNil() && dv.IsNil() {
		return
	}
	d.seq = seqTask[T]{kind: seqAdditiveBackward, Lq: Lq, Ls: Ls, B: B, H: H, dq: dq.Host(), dk: dk.Host(),
		dv: dv.Host(), ds: ds.Host(), q: q.Host(), k: k.Host(), v: v.Host()}
	d.pool.Run(&d.seq, H, 16) // 16 units: whole cache lines per worker
	d.seq = seqTask[T]{}
}
