package kernels

// The fused LSTM cell on the CPU. The parallel index is the flat element b·H + j of the [B, H]
// state: every element is independent within a step, so splitting the flat range serves both
// many short rows (large B, small H) and one long row (B = 1). A worker walks its range row by
// row, reading the four gate blocks of a row at the same offset j.

// lstmGrain is the least number of state elements worth sending to another worker: each costs
// five exponentials forward, one backward, against a few microseconds of dispatch.
const lstmGrain = 1024

type lstmForwardTask[T Float] struct {
	H                                  int
	gates, bias, cPrev, hPrev, c, h, y []T
	ldy                                int
	pad                                []T
}

type lstmBackwardTask[T Float] struct {
	H                                    int
	dgates, dcPrev, dhPrev, gates, cPrev []T
	c, dy                                []T
	ldy                                  int
	dh, dc, pad                          []T
}

// LSTMCellForward runs one step of the cell (see LSTMKernels).
func (d *CPU[T]) LSTMCellForward(B, H int, gates, bias, cPrev, hPrev, c, h, y Buf[T], ldy int, pad Buf[T]) {
	CheckLSTMCellForward(B, H, gates, bias, cPrev, hPrev, c, h, y, ldy, pad)
	t := &d.lstmFwd
	*t = lstmForwardTask[T]{H: H, gates: gates.Host(), bias: bias.Host(), cPrev: cPrev.Host(), hPrev: hPrev.Host(),
		c: c.Host(), h: h.Host(), y: y.Host(), ldy: ldy, pad: pad.Host()}
	d.pool.Run(t, B*H, lstmGrain)
	*t = lstmForwardTask[T]{} // keep no caller memory alive
}

// LSTMCellBackward runs one step of the cell backwards (see LSTMKernels).
func (d *CPU[T]) LSTMCellBackward(B, H int, dgates, dcPrev, dhPrev, gates, cPrev, c, dy Buf[T], ldy int,
	dh, dc, pad Buf[T]) {
	CheckLSTMCellBackward(B, H, dgates, dcPrev, dhPrev, gates, cPrev, c, dy, ldy, dh, dc, pad)
	t := &d.lstmBwd
	*t = lstmBackwardTask[T]{H: H, dgates: dgates.Host(), dcPrev: dcPrev.Host(), dhPrev: dhPrev.Host(),
		gates: gates.Host(), cPrev: cPrev.Host(), c: c.Host(), dy: dy.Host(), ldy: ldy,
		dh: dh.Host(), dc: dc.Host(), pad: pad.Host()}
	d.pool.Run(t, B*H, lstmGrain)
	*t = lstmBackwardTask[T]{}
}

// Run handles flat elements [lo, hi), one row segment at a time.
func (t *lstmForwardTask[T]) Run(lo, hi int) {
	H := t.H
	for lo < hi {
		b := lo / H
		j0, j1 := lo-b*H, min(H, hi-b*H)
		lo = b*H + j1
		s := b * H
		cp, hp := t.cPrev[s+j0:s+j1], t.hPrev[s+j0:s+j1]
		c, h := t.c[s+j0:s+j1], t.h[s+j0:s+j1]
		var y []T
		if t.y != nil {
			y = t.y[b*t.ldy+j0 : b*t.ldy+j1]
		}
		if t.pad != nil && t.pad[b] != 0 {
			copy(c, cp)
			copy(h, hp)
			clear(y)
			continue
		}
		g := t.gates[4*s : 4*s+4*H]
		if useVec[T]() {
			vecLSTMForwardSeg(g[j0:j1], g[H+j0:H+j1], g[2*H+j0:2*H+j1], g[3*H+j0:3*H+j1], t.bias, H, j0,
				cp, c, h, y)
			continue
		}
		lstmForwardSeg(g[j0:j1], g[H+j0:H+j1], g[2*H+j0:2*H+j1], g[3*H+j0:3*H+j1], t.bias, H, j0,
			cp, c, h, y)
	}
}

// lstmForwardSeg activates the gates in place and steps the state over one row segment: units
// j0 … j0+len(gi)−1 of a row whose bias (nil: none) is bias[k·H + j] for gate k.
func lstmForwardSeg[T Float](gi, gf, gg, og, bias []T, H, j0 int, cp, c, h, y []T) {
	n := len(gi)
	gf, gg, og, cp, c, h = gf[:n], gg[:n], og[:n], cp[:n], c[:n], h[:n]
	if bias != nil {
		bi, bf, bg, bo := bias[j0:j0+n], bias[H+j0:H+j0+n], bias[2*H+j0:2*H+j0+n], bias[3*H+j0:3*H+j0+n]
		for j := range n {
			gi[j] += bi[j]
			gf[j] += bf[j]
			gg[j] += bg[j]
			og[j] += bo[j]
		}
	}
	for j := range n {
		i, f, g, o := sigmoidT(gi[j]), sigmoidT(gf[j]), tanhT(gg[j]), sigmoidT(og[j])
		gi[j], gf[j], gg[j], og[j] = i, f, g, o
		cv := f*cp[j] + i*g
		c[j] = cv
		h[j] = o * tanhT(cv)
	}
	if y != nil {
		copy(y[:n], h)
	}
}

// Run handles flat elements [lo, hi), one row segment at a time.
func (t *lstmBackwardTask[T]) Run(lo, hi int) {
	H := t.H
	for lo < hi {
		b := lo / H
		j0, j1 := lo-b*H, min(H, hi-b*H)
		lo = b*H + j1
		s := b * H
		dg := t.dgates[4*s : 4*s+4*H]
		dgi, dgf, dgg, dgo := dg[j0:j1], dg[H+j0:H+j1], dg[2*H+j0:2*H+j1], dg[3*H+j0:3*H+j1]
		dcp, dhp := t.dcPrev[s+j0:s+j1], t.dhPrev[s+j0:s+j1]
		dh, dc := t.dh[s+j0:s+j1], t.dc[s+j0:s+j1]
		if t.pad != nil && t.pad[b] != 0 {
			copy(dcp, dc) // element for element, so in place is fine
			copy(dhp, dh)
			clear(dgi)
			clear(dgf)
			clear(dgg)
			clear(dgo)
			continue
		}
		g := t.gates[4*s : 4*s+4*H]
		var dy []T
		if t.dy != nil {
			dy = t.dy[b*t.ldy+j0 : b*t.ldy+j1]
		}
		seg := lstmBackwardSeg[T]
		if useVec[T]() {
			seg = vecLSTMBackwardSeg[T]
		}
		seg(dgi, dgf, dgg, dgo, dcp, dhp,
			g[j0:j1], g[H+j0:H+j1], g[2*H+j0:2*H+j1], g[3*H+j0:3*H+j1],
			t.cPrev[s+j0:s+j1], t.c[s+j0:s+j1], dy, dh, dc)
	}
}

// lstmBackwardSeg differentiates one row segment. Every input element is read before the
// element at the same index of an output is written, so outputs may alias inputs.
func lstmBackwardSeg[T Float](dgi, dgf, dgg, dgo, dcp, dhp, gi, gf, gg, og, cp, c, dy, dh, dc []T) {
	n := len(dgi)
	dgf, dgg, dgo, dcp, dhp = dgf[:n], dgg[:n], dgo[:n], dcp[:n], dhp[:n]
	gi, gf, gg, og, cp, c, dh, dc = gi[:n], gf[:n], gg[:n], og[:n], cp[:n], c[:n], dh[:n], dc[:n]
	if dy != nil {
		dy = dy[:n]
	}
	for j := range n {
		i, f, g, o := gi[j], gf[j], gg[j], og[j]
		tc := tanhT(c[j])
		dhv := dh[j]
		if dy != nil {
			dhv += dy[j]
		}
		dcv := dc[j] + dhv*o*(1-tc*tc)
		cpv := cp[j]
		dgi[j] = dcv * g * i * (1 - i)
		dgf[j] = dcv * cpv * f * (1 - f)
		dgg[j] = dcv * i * (1 - g*g)
		dgo[j] = dhv * tc * o * (1 - o)
		dcp[j] = dcv * f
		dhp[j] = 0
	}
}
