package kernels

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropyRef is SoftmaxCrossEntropy written straight from its equations, in float64
// on host buffers: the reference the fused kernels are tested against.
func SoftmaxCrossEntropyRef[T Float](rows, cols int, logProbs, loss, sums, mean, logits Buf[T], targets Ints,
	weights Buf[T], ignoreIndex int32, smoothing T) {
	CheckSoftmaxCrossEntropy(rows, cols, logProbs, loss, sums, mean, logits, targets, weights, smoothing)
	eps := float64(smoothing)
	var sum, weightSum float64
	for r := 0; r < rows; r++ {
		lp := logSoftmaxRef(logits.Host()[r*cols : (r+1)*cols])
		for c, v := range lp {
			logProbs.Host()[r*cols+c] = T(v)
		}
		t := targets.Host()[r]
		if t == ignoreIndex {
			loss.Host()[r] = 0
			continue
		}
		checkTargetRef(t, r, cols)
		nll := -weightRef(weights, int(t)) * lp[t]
		var smooth float64
		for c, v := range lp {
			smooth -= weightRef(weights, c) * v
		}
		l := (1-eps)*nll + eps/float64(cols)*smooth
		loss.Host()[r] = T(l)
		sum += l
		weightSum += weightRef(weights, int(t))
	}
	sums.Host()[0], sums.Host()[1] = T(sum), T(weightSum)
	mean.Host()[0] = 0
	if weightSum != 0 {
		mean.Host()[0] = T(sum / weightSum)
	}
}

// SoftmaxCrossEntropyBackwardRef is SoftmaxCrossEntropyBackward from its equations, in float64.
func SoftmaxCrossEntropyBackwardRef[T Float](rows, cols int, dlogits, logProbs Buf[T], targets Ints,
	weights Buf[T], ignoreIndex int32, smoothing T, dmean, sums Buf[T]) {
	CheckSoftmaxCrossEntropyBackward(rows, cols, dlogits, logProbs, targets, weights, smoothing, dmean, sums)
	weightSum := float64(sums.Host()[1])
	if weightSum == 0 {
		return
	}
	scale := float64(dmean.Host()[0]) / weightSum
	eps := float64(smoothing)
	var wsum float64
	for c := 0; c < cols; c++ {
		wsum += weightRef(weights, c)
	}
	for r := 0; r < rows; r++ {
		t := targets.Host()[r]
		if t == ignoreIndex {
			continue
		}
		checkTargetRef(t, r, cols)
		wt := weightRef(weights, int(t))
		for c := 0; c < cols; c++ {
			p := math.Exp(float64(logProbs.Host()[r*cols+c]))
			d := ((1-eps)*wt+eps/float64(cols)*wsum)*p - eps/float64(cols)*weightRef(weights, c)
			if c == int(t) {
				d -= (1 - eps) * wt
			}
			dlogits.Host()[r*cols+c] += T(scale * d)
		}
	}
}

func logSoftmaxRef[T Float](x []T) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(s)
	y := make([]float64, len(x))
	for c, v := range x {
		y[c] = float64(v) - lse
	}
	return y
}

func weightRef[T Float](w Buf[T], c int) float64 {
	if w.IsNil() {
		return 1
	}
	return float64(w.Host()[c])
}

func checkTargetRef(t int32, r, cols int) {
	if t < 0 || int(t) >= cols {
		panic(fmt.Sprintf("kernels: cross-entropy target %d of row %d outside [0, %d)", t, r, cols))
	}
}

// AdamaxStepRef is AdamaxStep from torch.optim.Adamax's update rule, in float64.
func AdamaxStepRef[T Float](p, g, m, u Buf[T], lr, beta1, beta2, eps, weightDecay T, step int) {
	CheckAdamaxStep(p, g, m, u, step)
	b1, b2 := float64(beta1), float64(beta2)
	clr := float64(lr) / (1 - math.Pow(b1, float64(step)))
	for i := range p.Host() {
		pi := float64(p.Host()[i])
		gi := float64(g.Host()[i]) + float64(weightDecay)*pi
		mi := b1*float64(m.Host()[i]) + (1-b1)*gi
		ui := math.Max(b2*float64(u.Host()[i]), math.Abs(gi)+float64(eps))
		m.Host()[i], u.Host()[i] = T(mi), T(ui)
		p.Host()[i] = T(pi - clr*mi/ui)
	}
}
