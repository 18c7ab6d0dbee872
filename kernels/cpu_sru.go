package kernels

import "sync/atomic"

// The fused SRU recurrence on the CPU. The parallel index is the column col = dir·H + unit;
// a worker owns a range of columns for every batch row and every step, so the per-column
// gradient sums (bias, weight_c) need no reduction across workers. Within a step the inner loop
// runs over contiguous columns of one (t, b) row, which keeps memory access sequential.

// On the vector path (vec.go) the C kernel runs every combination of K, tanh, skip and saved
// gates, masks, padding and C0 vectorised across columns. There the parallel index is the batch
// row (dir·B + b) when there are enough rows: a worker then walks whole contiguous rows, which
// measured 25% faster per element than half rows, and the per-column gradient sums are kept per
// chunk and added up afterwards in index order (so the result does not depend on which worker
// ran which chunk). With fewer rows than that it splits columns like the pure-Go kernel.

// colGrain is the least number of columns worth sending to another worker.
const colGrain = 16

type sruForwardTask[T Float] struct {
	a      *SRUArgs[T]
	ones   []T  // [out] ones: the vector kernel's mask when there is none
	byRows bool // the index is dir·B + b (vector path), else the column
}

type sruBackwardTask[T Float] struct {
	a       *SRUArgs[T]
	g       *SRUGrads[T]
	gcState []T // [B, out] running dL/dc when the caller wants no GC0
	// The vector kernel reads rows in place of absent operands: ones for the mask, zeros for
	// the zero initial state, and a [2·out] sink for the weight_c gradient when v1 has none.
	ones, zeros, gwcSink []T
	byRows               bool
	// By rows, chunk k (numbered as the workers pick them up) adds its bias and weight_c
	// gradients into acc[k] = [gb (2·out) | gwc (2·out)] and records its first row in accLo[k].
	acc   [][]T
	accLo []int
	order []int
	next  atomic.Int32
}

// sruByRows says whether the vector path splits the work of a by batch rows among w workers:
// when every worker gets rows and the split is even or fine enough to balance.
func sruByRows[T Float](a *SRUArgs[T], w int) bool {
	n := a.Dirs * a.B
	return useVec[T]() && (n >= 4*w || n%w == 0)
}

// SRUForward runs the recurrence of one layer (see SRUArgs).
func (d *CPU[T]) SRUForward(a *SRUArgs[T]) {
	a.Check()
	t := &d.sruFwd
	t.a = a
	if useVec[T]() {
		t.ones = constRow(t.ones, a.Out(), 1)
	}
	t.byRows = sruByRows(a, d.pool.Workers())
	if t.byRows {
		d.pool.Run(t, a.Dirs*a.B, 1)
	} else {
		d.pool.Run(t, a.Out(), colGrain)
	}
	t.a = nil
}

// SRUBackward runs the reverse recurrence: GU, GX, GC0, and the bias and weight_c gradients.
func (d *CPU[T]) SRUBackward(a *SRUArgs[T], g *SRUGrads[T]) {
	a.Check()
	g.Check(a)
	t := &d.sruBwd
	t.a, t.g = a, g
	if g.GC0.IsNil() {
		if n := a.B * a.Out(); cap(t.gcState) < n {
			t.gcState = make([]T, n)
		} else {
			t.gcState = t.gcState[:n]
		}
	}
	out := a.Out()
	if useVec[T]() {
		t.ones, t.zeros = constRow(t.ones, out, 1), constRow(t.zeros, out, 0)
		if cap(t.gwcSink) < 2*out {
			t.gwcSink = make([]T, 2*out)
		}
		t.gwcSink = t.gwcSink[:2*out]
	}
	w := d.pool.Workers()
	t.byRows = sruByRows(a, w)
	if !t.byRows {
		d.pool.Run(t, out, colGrain)
		t.a, t.g = nil, nil
		return
	}
	if len(t.acc) < w {
		t.acc, t.accLo, t.order = make([][]T, w), make([]int, w), make([]int, w)
	}
	for k := range t.acc {
		if cap(t.acc[k]) < 4*out {
			t.acc[k] = make([]T, 4*out)
		}
		t.acc[k] = t.acc[k][:4*out]
		clear(t.acc[k])
	}
	t.next.Store(0)
	d.pool.Run(t, a.Dirs*a.B, 1)
	// Add the chunks' sums in the order of their rows.
	n := int(t.next.Load())
	order := t.order[:n]
	for k := range order {
		order[k] = k
	}
	for i := 1; i < n; i++ {
		for j := i; j > 0 && t.accLo[order[j]] < t.accLo[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	gb := g.GBias.Host()
	for _, k := range order {
		acc := t.acc[k]
		for i := range gb {
			gb[i] += acc[i]
		}
		if !g.GWeightC.IsNil() {
			gwc := g.GWeightC.Host()
			for i := range gwc {
				gwc[i] += acc[2*out+i]
			}
		}
	}
	t.a, t.g = nil, nil
}

// Run handles columns [lo, hi), split at the direction boundary, or rows dir·B + b.
func (t *sruForwardTask[T]) Run(lo, hi int) {
	a := t.a
	if t.byRows {
		for lo < hi {
			dir := lo / a.B
			end := min(hi, (dir+1)*a.B)
			vecSRUForward(a, t.ones, dir, dir*a.H, (dir+1)*a.H, lo-dir*a.B, end-dir*a.B)
			lo = end
		}
		return
	}
	H := a.H
	for lo < hi {
		dir := lo / H
		end := min(hi, (dir+1)*H)
		if useVec[T]() {
			vecSRUForward(a, t.ones, dir, lo, end, 0, a.B)
		} else {
			sruForwardCols(a, dir, lo, end)
		}
		lo = end
	}
}

func (t *sruBackwardTask[T]) Run(lo, hi int) {
	a, g := t.a, t.g
	gc := t.gcState
	if !g.GC0.IsNil() {
		gc = g.GC0.Host()
	}
	if t.byRows {
		k := int(t.next.Add(1)) - 1
		acc, out := t.acc[k], a.Out()
		t.accLo[k] = lo
		for lo < hi {
			dir := lo / a.B
			end := min(hi, (dir+1)*a.B)
			vecSRUBackward(a, g, gc, t.zeros, t.ones, acc[:2*out], acc[2*out:], dir, dir*a.H, (dir+1)*a.H,
				lo-dir*a.B, end-dir*a.B)
			lo = end
		}
		return
	}
	H := a.H
	for lo < hi {
		dir := lo / H
		end := min(hi, (dir+1)*H)
		if useVec[T]() {
			gwc := t.gwcSink
			if !g.GWeightC.IsNil() {
				gwc = g.GWeightC.Host()
			}
			vecSRUBackward(a, g, gc, t.zeros, t.ones, g.GBias.Host(), gwc, dir, lo, end, 0, a.B)
		} else {
			sruBackwardCols(a, g, gc, dir, lo, end)
		}
		lo = end
	}
}

func sruForwardCols[T Float](a *SRUArgs[T], dir, c0, c1 int) {
	L, B, K := a.L, a.B, a.K
	out := a.Out()
	U, X := a.U.Host(), a.X.Host()
	vf, vr := a.WeightC.Host()[:out], a.WeightC.Host()[out:]
	bf, br := a.Bias.Host()[:out], a.Bias.Host()[out:]
	pad, mask := a.Pad.Host(), a.Mask.Host()
	Y, C, state := a.Y.Host(), a.C.Host(), a.CLast.Host()
	Fs, Rs := a.F.Host(), a.R.Host()
	alpha := a.Alpha
	k3skip := a.Skip && K == 3

	c0buf := a.C0.Host()
	for b := 0; b < B; b++ {
		s := state[b*out+c0 : b*out+c1]
		if c0buf != nil {
			copy(s, c0buf[b*out+c0:b*out+c1])
		} else {
			clear(s)
		}
	}
	for step := 0; step < L; step++ {
		t := step
		if dir == 1 {
			t = L - 1 - step
		}
		for b := 0; b < B; b++ {
			row := t*B + b
			hrow := Y[row*out : (row+1)*out]
			crow := C[row*out : (row+1)*out]
			srow := state[b*out : (b+1)*out]
			if pad != nil && pad[row] != 0 {
				for col := c0; col < c1; col++ {
					hrow[col] = 0
					crow[col] = srow[col]
				}
				continue
			}
			urow := U[row*out*K : (row+1)*out*K]
			var xrow, mrow, frow, rrow []T
			if k3skip {
				xrow = X[row*out : (row+1)*out]
			}
			if mask != nil {
				mrow = mask[b*out : (b+1)*out]
			}
			if Fs != nil {
				frow, rrow = Fs[row*out:(row+1)*out], Rs[row*out:(row+1)*out]
			}
			for col := c0; col < c1; col++ {
				u := urow[col*K : col*K+K]
				cp := srow[col]
				f := sigmoidT(u[1] + vf[col]*cp + bf[col])
				r := sigmoidT(u[2] + vr[col]*cp + br[col])
				if frow != nil {
					frow[col], rrow[col] = f, r
				}
				c := (cp-u[0])*f + u[0]
				g := c
				if a.Tanh {
					g = tanhT(c)
				}
				m := T(1)
				if mrow != nil {
					m = mrow[col]
				}
				var h T
				switch {
				case !a.Skip:
					h = g * m * r
				case K == 3:
					xp := alpha * xrow[col]
					h = (g-xp)*m*r + xp
				default:
					xp := u[3]
					h = (g-xp)*m*r + xp
				}
				srow[col] = c
				crow[col] = c
				hrow[col] = h
			}
		}
	}
}

func sruBackwardCols[T Float](a *SRUArgs[T], g *SRUGrads[T], gcState []T, dir, c0, c1 int) {
	L, B, K := a.L, a.B, a.K
	out := a.Out()
	U, X := a.U.Host(), a.X.Host()
	vf, vr := a.WeightC.Host()[:out], a.WeightC.Host()[out:]
	bf, br := a.Bias.Host()[:out], a.Bias.Host()[out:]
	pad, mask := a.Pad.Host(), a.Mask.Host()
	C, C0 := a.C.Host(), a.C0.Host()
	Fs, Rs := a.F.Host(), a.R.Host()
	alpha := a.Alpha
	k3skip := a.Skip && K == 3
	GY, GU, GX := g.GY.Host(), g.GU.Host(), g.GX.Host()
	gbf, gbr := g.GBias.Host()[:out], g.GBias.Host()[out:]
	var gvf, gvr []T
	if !g.GWeightC.IsNil() {
		gvf, gvr = g.GWeightC.Host()[:out], g.GWeightC.Host()[out:]
	}

	gcl := g.GCLast.Host()
	for b := 0; b < B; b++ {
		s := gcState[b*out+c0 : b*out+c1]
		if gcl != nil {
			copy(s, gcl[b*out+c0:b*out+c1])
		} else {
			clear(s)
		}
	}
	for step := 0; step < L; step++ {
		t := L - 1 - step // reverse of the forward order
		prevT := t - 1
		if dir == 1 {
			t = step
			prevT = t + 1
		}
		for b := 0; b < B; b++ {
			row := t*B + b
			gurow := GU[row*out*K : (row+1)*out*K]
			var gxrow []T
			if k3skip {
				gxrow = GX[row*out : (row+1)*out]
			}
			if pad != nil && pad[row] != 0 {
				clear(gurow[c0*K : c1*K])
				if gxrow != nil {
					clear(gxrow[c0:c1])
				}
				continue
			}
			var cprev []T // nil: zero initial state
			if prevT >= 0 && prevT < L {
				pr := prevT*B + b
				cprev = C[pr*out : (pr+1)*out]
			} else if C0 != nil {
				cprev = C0[b*out : (b+1)*out]
			}
			urow := U[row*out*K : (row+1)*out*K]
			crow := C[row*out : (row+1)*out]
			ghrow := GY[row*out : (row+1)*out]
			gcrow := gcState[b*out : (b+1)*out]
			var xrow, mrow, frow, rrow []T
			if k3skip {
				xrow = X[row*out : (row+1)*out]
			}
			if mask != nil {
				mrow = mask[b*out : (b+1)*out]
			}
			if Fs != nil {
				frow, rrow = Fs[row*out:(row+1)*out], Rs[row*out:(row+1)*out]
			}
			for col := c0; col < c1; col++ {
				u := urow[col*K : col*K+K]
				var cp T
				if cprev != nil {
					cp = cprev[col]
				}
				var f, r T
				if frow != nil {
					f, r = frow[col], rrow[col]
				} else {
					f = sigmoidT(u[1] + vf[col]*cp + bf[col])
					r = sigmoidT(u[2] + vr[col]*cp + br[col])
				}
				c := crow[col]
				gval := c
				dact := T(1)
				if a.Tanh {
					gval = tanhT(c)
					dact = 1 - gval*gval
				}
				m := T(1)
				if mrow != nil {
					m = mrow[col]
				}
				var xp T
				if a.Skip {
					if K == 3 {
						xp = alpha * xrow[col]
					} else {
						xp = u[3]
					}
				}
				gh := ghrow[col]
				gr := gh * (gval - xp) * m * r * (1 - r)
				dc := gcrow[col] + gh*m*r*dact
				gf := dc * (cp - u[0]) * f * (1 - f)
				gu := gurow[col*K : col*K+K]
				gu[0] = dc * (1 - f)
				gu[1] = gf
				gu[2] = gr
				if a.Skip {
					dxp := gh * (1 - m*r)
					if K == 3 {
						gxrow[col] = alpha * dxp
					} else {
						gu[3] = dxp
					}
				}
				gbf[col] += gf
				gbr[col] += gr
				if gvf != nil {
					gvf[col] += gf * cp
					gvr[col] += gr * cp
				}
				gcrow[col] = dc*f + gf*vf[col] + gr*vr[col]
			}
		}
	}
}
