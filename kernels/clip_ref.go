package kernels

import "math"

// SumSquaresAccRef is the scalar reference of SumSquaresAcc: acc[0] += Σ x².
func SumSquaresAccRef[T Float](acc, x []T) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	acc[0] += T(s)
}

// ClipScaleRef is the scalar reference of ClipScale.
func ClipScaleRef[T Float](dst []T, sumSquares T, maxNorm T) {
	n := math.Sqrt(float64(sumSquares))
	if !(n > float64(maxNorm)) || math.IsInf(n, 1) {
		return
	}
	f := T(float64(maxNorm) / (n + 1e-6))
	for i := range dst {
		dst[i] *= f
	}
}
