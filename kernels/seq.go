package kernels

import "math"

// SeqKernels holds the fused kernels of attention over sequences. Shapes: a memory (the
// sequence attended over) is [Ls, B, H] and the queries [Lq, B, H], time-major as everywhere;
// scores and attention weights are [B, Lq, Ls] (or any [rows, cols] whose rows map to batch
// elements as MaskedSoftmax states).
type SeqKernels[T Float] interface {
	// MaskedSoftmax writes y = softmax of each row of x [rows, cols] over its unmasked columns;
	// masked columns get exactly 0, and a row whose columns are all masked is all 0 (never NaN).
	// Row r belongs to batch element b = (r / group) mod B: group = Lq for rows laid out
	// [B, Lq] (scores), group = 1 for rows laid out [Lq, B]. Column c of such a row is masked
	// when c ≥ lengths[b] (lengths [B], nil: none) or pad[b·cols + c] ≠ 0 (pad [B, cols], 1 =
	// padding, nil: none). A negative length masks the whole row.
	MaskedSoftmax(rows, cols, B, group int, y, x Buf[T], lengths Ints, pad Buf[T])
	// SoftmaxBackward accumulates dx += y ⊙ (dy − Σ_c y·dy) on each row of [rows, cols], the
	// gradient through y = softmax(x); masked columns (y = 0) receive nothing.
	SoftmaxBackward(rows, cols int, dx, y, dy Buf[T])
	// AdditiveScores writes the Bahdanau (MLP) attention scores s [B, Lq, Ls]:
	// s[b, i, j] = Σ_h v[h]·tanh(q[i, b, h] + k[j, b, h]) for q [Lq, B, H], k [Ls, B, H], v [H].
	// The [B, Lq, Ls, H] tensor of tanh is never stored.
	AdditiveScores(Lq, Ls, B, H int, s, q, k, v Buf[T])
	// AdditiveScoresBackward accumulates dq, dk and dv (each may be nil: not wanted) from ds
	// [B, Lq, Ls], recomputing the tanh.
	AdditiveScoresBackward(Lq, Ls, B, H int, dq, dk, dv, ds, q, k, v Buf[T])
}

// maskedLen is how many leading columns of a row of batch element b the lengths leave
// unmasked: cols without lengths, else lengths[b] clamped to [0, cols].
func maskedLen(lengths []int32, b, cols int) int {
	if lengths == nil {
		return cols
	}
	return min(max(int(lengths[b]), 0), cols)
}

// MaskedSoftmaxRef is the readable reference of SeqKernels.MaskedSoftmax (float64 inside).
func MaskedSoftmaxRef[T Float](rows, cols, B, group int, y, x Buf[T], lengths Ints, pad Buf[T]) {
	CheckMaskedSoftmax(rows, cols, B, group, y, x, lengths, pad)
	xs, ys, ps := x.Host(), y.Host(), pad.Host()
	for r := 0; r < rows; r++ {
		b := (r / group) % B
		n := maskedLen(lengths.Host(), b, cols)
		masked := func(c int) bool { return c >= n || (ps != nil && ps[b*cols+c] != 0) }
		m := math.Inf(-1)
		for c := 0; c < cols; c++ {
			if !masked(c) {
				m = math.Max(m, float64(xs[r*cols+c]))
			}
		}
		var s float64
		for c := 0; c < cols && !math.IsInf(m, -1); c++ { // all masked (or −∞): zeros
			if !masked(c) {
				s += math.Exp(float64(xs[r*cols+c]) - m)
			}
		}
		for c := 0; c < cols; c++ {
			if masked(c) || math.IsInf(m, -1) {
				ys[r*cols+c] = 0
			} else {
				ys[r*cols+c] = T(math.Exp(float64(xs[r*cols+c])-m) / s)
			}
		}
	}
}

// SoftmaxBackwardRef is the readable reference of SeqKernels.SoftmaxBackward.
func SoftmaxBackwardRef[T Float](rows, cols int, dx, y, dy Buf[T]) {
	CheckSoftmaxBackward(rows, cols, dx, y, dy)
	dxs, ys, dys := dx.Host(), y.Host(), dy.Host()
	for r := 0; r < rows; r++ {
		var dot float64
		for c := 0; c < cols; c++ {
			dot += float64(ys[r*cols+c]) * float64(dys[r*cols+c])
		}
		for c := 0; c < cols; c++ {
			i := r*cols + c
			dxs[i] += T(float64(ys[i]) * (float64(dys[i]) - dot))
		}
	}
}

// AdditiveScoresRef is the readable reference of SeqKernels.AdditiveScores.
func AdditiveScoresRef[T Float](Lq, Ls, B, H int, s, q, k, v Buf[T]) {
	CheckAdditiveScores(Lq, Ls, B, H, s, q, k, v)
	ss, qs, ks, vs := s.Host(), q.Host(), k.Host(), v.Host()
	for b := 0; b < B; b++ {
		for i := 0; i < Lq; i++ {
			for j := 0; j < Ls; j++ {
				var sum float64
				for h := 0; h < H; h++ {
					sum += float64(vs[h]) * math.Tanh(float64(qs[(i*B+b)*H+h])+float64(ks[(j*B+b)*H+h]))
				}
				ss[(b*Lq+i)*Ls+j] = T(sum)
			}
		}
	}
}

// AdditiveScoresBackwardRef is the readable reference of SeqKernels.AdditiveScoresBackward:
// with t = tanh(q[i, b, h] + k[j, b, h]) and g = ds[b, i, j],
// dq[i, b, h] += Σ_j g·v[h]·(1−t²), dk[j, b, h] += Σ_i g·v[h]·(1−t²), dv[h] += Σ_{b,i,j} g·t.
func AdditiveScoresBackwardRef[T Float](Lq, Ls, B, H int, dq, dk, dv, ds, q, k, v Buf[T]) {
	CheckAdditiveScoresBackward(Lq, Ls, B, H, dq, dk, dv, ds, q, k, v)
	qs, ks, vs, dss := q.Host(), k.Host(), v.Host(), ds.Host()
	gq, gk, gv := make([]float64, q.Len()), make([]float64, k.Len()), make([]float64, H)
	for b := 0; b < B; b++ {
		for i := 0; i < Lq; i++ {
			for j := 0; j < Ls; j++ {
				g := float64(dss[(b*Lq+i)*Ls+j])
				for h := 0; h < H; h++ {
					qi, ki := (i*B+b)*H+h, (j*B+b)*H+h
					t := math.Tanh(float64(qs[qi]) + float64(ks[ki]))
					d := g * float64(vs[h]) * (1 - t*t)
					gq[qi] += d
					gk[ki] += d
					gv[h] += g * t
				}
			}
		}
	}
	for _, o := range []struct {
		dst Buf[T]
		src []float64
	}{{dq, gq}, {dk, gk}, {dv, gv}} {
		if o.dst.IsNil() {
			continue
		}
		for i, v := range o.src {
			o.dst.Host()[i] += T(v)
		}
	}
}
