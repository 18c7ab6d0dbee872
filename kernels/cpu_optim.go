package kernels

import "math"

// optimTask applies SGD, Adam or Adamax to elements [lo, hi).
type optimTask[T Float] struct {
	adam, adamax             bool
	p, g, m, v               []T
	lr, mom, wd              T
	nesterov                 bool
	beta1, beta2, eps, bc2rt T
}

func (t *optimTask[T]) Run(lo, hi int) {
	p, g := t.p[lo:hi], t.g[lo:hi]
	if t.adamax {
		m, u := t.m[lo:hi], t.v[lo:hi]
		b1, b2 := t.beta1, t.beta2
		for i, gi := range g {
			gi += t.wd * p[i]
			m[i] = b1*m[i] + (1-b1)*gi
			u[i] = max(b2*u[i], abs(gi)+t.eps)
			p[i] -= t.lr * (m[i] / u[i])
		}
		return
	}
	if t.adam {
		m, v := t.m[lo:hi], t.v[lo:hi]
		b1, b2 := t.beta1, t.beta2
		for i, gi := range g {
			gi += t.wd * p[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			den := T(math.Sqrt(float64(v[i])))/t.bc2rt + t.eps
			p[i] -= t.lr * m[i] / den
		}
		return
	}
	if t.m == nil {
		for i, gi := range g {
			p[i] -= t.lr * (gi + t.wd*p[i])
		}
		return
	}
	m := t.m[lo:hi]
	for i, gi := range g {
		gi += t.wd * p[i]
		m[i] = t.mom*m[i] + gi
		if t.nesterov {
			p[i] -= t.lr * (gi + t.mom*m[i])
		} else {
			p[i] -= t.lr * m[i]
		}
	}
}

func (d *CPU[T]) runOptim(n int) {
	d.opt.p, d.opt.g = d.opt.p[:n], d.opt.g[:n]
	d.pool.Run(&d.opt, n, ewGrain)
	d.opt = optimTask[T]{}
}

func (d *CPU[T]) SGDStep(p, g, mom Buf[T], lr, momentum, weightDecay T, nesterov bool) {
	CheckSGDStep(p, g, mom, momentum, nesterov)
	d.opt = optimTask[T]{p: p.Host(), g: g.Host(), lr: lr, mom: momentum, wd: weightDecay, nesterov: nesterov}
	if momentum != 0 {
		d.opt.m = mom.Host()
	}
	d.runOptim(p.Len())
}

func (d *CPU[T]) AdamStep(p, g, m, v Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	CheckAdamStep(p, g, m, v, step)
	// Bias corrections in float64: 1 − β^t loses all precision in float32 for β2 near 1.
	bc1 := 1 - math.Pow(float64(beta1), float64(step))
	bc2 := 1 - math.Pow(float64(beta2), float64(step))
	d.opt = optimTask[T]{adam: true, p: p.Host(), g: g.Host(), m: m.Host(), v: v.Host(),
		lr: T(float64(lr) / bc1), wd: weightDecay, beta1: beta1, beta2: beta2, eps: eps,
		bc2rt: T(math.Sqrt(bc2))}
	d.runOptim(p.Len())
}

func (d *CPU[T]) AdamaxStep(p, g, m, u Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	CheckAdamaxStep(p, g, m, u, step)
	bc1 := 1 - math.Pow(float64(beta1), float64(step))
	d.opt = optimTask[T]{adamax: true, p: p.Host(), g: g.Host(), m: m.Host(), v: u.Host(),
		lr: T(float64(lr) / bc1), wd: weightDecay, beta1: beta1, beta2: beta2, eps: eps}
	d.runOptim(p.Len())
}

func abs[T Float](x T) T {
	if x < 0 {
		return -x
	}
	return x
}
