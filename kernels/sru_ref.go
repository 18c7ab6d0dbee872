package kernels

import "math"

// SRUForwardRef is the readable reference of SRUForward: one column at a time, straight from
// the equations in docs/SRU-MATH.md, in float64. It works on host buffers and exists so that
// tests can hold the fused kernels (CPU and CUDA) against it.
func SRUForwardRef[T Float](a *SRUArgs[T]) {
	a.Check()
	out := a.Out()
	for b := 0; b < a.B; b++ {
		for col := 0; col < out; col++ {
			dir := col / a.H
			c := a.c0(b, col)
			for s := 0; s < a.L; s++ {
				t := s
				if dir == 1 {
					t = a.L - 1 - s
				}
				i := (t*a.B+b)*out + col
				if a.padded(t, b) {
					a.Y.Host()[i] = 0
					a.C.Host()[i] = T(c)
					continue
				}
				u0, u1, u2, u3 := a.u(t, b, col)
				f := sigmoid64(u1 + a.vf(col)*c + a.bf(col))
				r := sigmoid64(u2 + a.vr(col)*c + a.br(col))
				c = (c-u0)*f + u0
				g := a.act(c)
				m := a.mask(b, col)
				var h float64
				if a.Skip {
					xp := a.xprime(t, b, col, u3)
					h = (g-xp)*m*r + xp
				} else {
					h = g * m * r
				}
				a.Y.Host()[i] = T(h)
				a.C.Host()[i] = T(c)
			}
			a.CLast.Host()[b*out+col] = T(c)
		}
	}
}

// SRUBackwardRef is the readable reference of SRUBackward.
func SRUBackwardRef[T Float](a *SRUArgs[T], g *SRUGrads[T]) {
	a.Check()
	g.Check(a)
	out := a.Out()
	K := a.K
	for b := 0; b < a.B; b++ {
		for col := 0; col < out; col++ {
			dir := col / a.H
			var gc float64
			if !g.GCLast.IsNil() {
				gc = float64(g.GCLast.Host()[b*out+col])
			}
			for s := a.L - 1; s >= 0; s-- {
				t, prev := s, s-1
				if dir == 1 {
					t, prev = a.L-1-s, a.L-s
				}
				i := (t*a.B+b)*out + col
				gu := g.GU.Host()[i*K : i*K+K]
				if a.padded(t, b) {
					clear(gu)
					if a.K == 3 && a.Skip {
						g.GX.Host()[i] = 0
					}
					continue
				}
				cp := a.c0(b, col)
				if prev >= 0 && prev < a.L {
					cp = float64(a.C.Host()[(prev*a.B+b)*out+col])
				}
				u0, u1, u2, u3 := a.u(t, b, col)
				f := sigmoid64(u1 + a.vf(col)*cp + a.bf(col))
				r := sigmoid64(u2 + a.vr(col)*cp + a.br(col))
				c := float64(a.C.Host()[i])
				gv := a.act(c)
				dact := 1.0
				if a.Tanh {
					dact = 1 - gv*gv
				}
				m := a.mask(b, col)
				gh := float64(g.GY.Host()[i])
				var gr float64
				if a.Skip {
					xp := a.xprime(t, b, col, u3)
					gr = gh * (gv - xp) * m * r * (1 - r)
					dxp := gh * (1 - m*r)
					if K == 3 {
						g.GX.Host()[i] = T(a.alpha() * dxp)
					} else {
						gu[3] = T(dxp)
					}
				} else {
					gr = gh * gv * m * r * (1 - r)
				}
				dc := gc + gh*m*r*dact
				gf := dc * (cp - u0) * f * (1 - f)
				gu[0] = T(dc * (1 - f))
				gu[1] = T(gf)
				gu[2] = T(gr)
				g.GBias.Host()[col] += T(gf)
				g.GBias.Host()[out+col] += T(gr)
				if !g.GWeightC.IsNil() {
					g.GWeightC.Host()[col] += T(gf * cp)
					g.GWeightC.Host()[out+col] += T(gr * cp)
				}
				gc = dc*f + gf*a.vf(col) + gr*a.vr(col)
			}
			if !g.GC0.IsNil() {
				g.GC0.Host()[b*out+col] = T(gc)
			}
		}
	}
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func (a *SRUArgs[T]) padded(t, b int) bool {
	return !a.Pad.IsNil() && a.Pad.Host()[t*a.B+b] != 0
}

func (a *SRUArgs[T]) c0(b, col int) float64 {
	if a.C0.IsNil() {
		return 0
	}
	return float64(a.C0.Host()[b*a.Out()+col])
}

func (a *SRUArgs[T]) u(t, b, col int) (u0, u1, u2, u3 float64) {
	i := ((t*a.B+b)*a.Out() + col) * a.K
	u := a.U.Host()[i : i+a.K]
	u0, u1, u2 = float64(u[0]), float64(u[1]), float64(u[2])
	if a.K == 4 {
		u3 = float64(u[3])
	}
	return
}

func (a *SRUArgs[T]) vf(col int) float64 { return float64(a.WeightC.Host()[col]) }
func (a *SRUArgs[T]) vr(col int) float64 { return float64(a.WeightC.Host()[a.Out()+col]) }
func (a *SRUArgs[T]) bf(col int) float64 { return float64(a.Bias.Host()[col]) }
func (a *SRUArgs[T]) br(col int) float64 { return float64(a.Bias.Host()[a.Out()+col]) }
func (a *SRUArgs[T]) alpha() float64     { return float64(a.Alpha) }

func (a *SRUArgs[T]) act(c float64) float64 {
	if a.Tanh {
		return math.Tanh(c)
	}
	return c
}

func (a *SRUArgs[T]) mask(b, col int) float64 {
	if a.Mask.IsNil() {
		return 1
	}
	return float64(a.Mask.Host()[b*a.Out()+col])
}

func (a *SRUArgs[T]) xprime(t, b, col int, u3 float64) float64 {
	if a.K == 4 {
		return u3
	}
	return a.alpha() * float64(a.X.Host()[(t*a.B+b)*a.Out()+col])
}
