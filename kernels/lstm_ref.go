package kernels

import "math"

// LSTMCellForwardRef is the readable reference of LSTMCellForward: one element at a time,
// straight from the equations in LSTMKernels, in float64 on host buffers. Tests hold the fused
// kernels (CPU and CUDA) against it.
func LSTMCellForwardRef[T Float](B, H int, gates, bias, cPrev, hPrev, c, h, y Buf[T], ldy int, pad Buf[T]) {
	checkLSTMCell(B, H, gates, cPrev, c, y, ldy, pad)
	mustLenOpt("LSTM bias", bias, 4*H)
	G := gates.Host()
	// a is the pre-activation of gate k of unit j in row b.
	a := func(b, k, j int) float64 {
		v := float64(G[gateAt(b, H, k, j)])
		if !bias.IsNil() {
			v += float64(bias.Host()[k*H+j])
		}
		return v
	}
	for b := 0; b < B; b++ {
		for j := 0; j < H; j++ {
			s := b*H + j
			var out float64
			if isPadded(pad, b) {
				c.Host()[s] = cPrev.Host()[s]
				h.Host()[s] = hPrev.Host()[s]
			} else {
				ig := sigmoid64(a(b, 0, j))
				fg := sigmoid64(a(b, 1, j))
				gg := math.Tanh(a(b, 2, j))
				og := sigmoid64(a(b, 3, j))
				cv := fg*float64(cPrev.Host()[s]) + ig*gg
				out = og * math.Tanh(cv)
				G[gateAt(b, H, 0, j)] = T(ig)
				G[gateAt(b, H, 1, j)] = T(fg)
				G[gateAt(b, H, 2, j)] = T(gg)
				G[gateAt(b, H, 3, j)] = T(og)
				c.Host()[s] = T(cv)
				h.Host()[s] = T(out)
			}
			if !y.IsNil() {
				y.Host()[b*ldy+j] = T(out)
			}
		}
	}
}

// LSTMCellBackwardRef is the readable reference of LSTMCellBackward. Unlike the fused kernel it
// does not allow its outputs to alias its inputs.
func LSTMCellBackwardRef[T Float](B, H int, dgates, dcPrev, dhPrev, gates, cPrev, c, dy Buf[T], ldy int,
	dh, dc, pad Buf[T]) {
	checkLSTMCell(B, H, gates, cPrev, c, dy, ldy, pad)
	G, DG := gates.Host(), dgates.Host()
	for b := 0; b < B; b++ {
		for j := 0; j < H; j++ {
			s := b*H + j
			if isPadded(pad, b) { // the step did not happen: gradients pass through it
				for k := 0; k < 4; k++ {
					DG[gateAt(b, H, k, j)] = 0
				}
				dcPrev.Host()[s] = dc.Host()[s]
				dhPrev.Host()[s] = dh.Host()[s]
				continue
			}
			ig := float64(G[gateAt(b, H, 0, j)])
			fg := float64(G[gateAt(b, H, 1, j)])
			gg := float64(G[gateAt(b, H, 2, j)])
			og := float64(G[gateAt(b, H, 3, j)])
			tc := math.Tanh(float64(c.Host()[s]))
			// h = o·tanh(c) is reached by the output and by the next step.
			dhv := float64(dh.Host()[s])
			if !dy.IsNil() {
				dhv += float64(dy.Host()[b*ldy+j])
			}
			// c reaches the loss through the next step and through h.
			dcv := float64(dc.Host()[s]) + dhv*og*(1-tc*tc)
			DG[gateAt(b, H, 0, j)] = T(dcv * gg * ig * (1 - ig))                       // σ' = σ(1−σ)
			DG[gateAt(b, H, 1, j)] = T(dcv * float64(cPrev.Host()[s]) * fg * (1 - fg)) // c = f·c_prev + ...
			DG[gateAt(b, H, 2, j)] = T(dcv * ig * (1 - gg*gg))                         // tanh' = 1 − tanh²
			DG[gateAt(b, H, 3, j)] = T(dhv * tc * og * (1 - og))                       // h = o·tanh(c)
			dcPrev.Host()[s] = T(dcv * fg)
			dhPrev.Host()[s] = 0 // the caller adds dgates·W_hh
		}
	}
}

// gateAt is the index of gate k (0 i, 1 f, 2 g, 3 o) of unit j in row b of a [B, 4H] matrix.
func gateAt(b, H, k, j int) int { return b*4*H + k*H + j }

func isPadded[T Float](pad Buf[T], b int) bool { return !pad.IsNil() && pad.Host()[b] != 0 }
