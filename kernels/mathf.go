package kernels

import (
	"math"
	"unsafe"
)

// isF32 reports whether T is float32 (the fast-math paths are float32 only; float64 stays exact
// for the reference tests).
func isF32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// expT is e^x: a fast single-precision exp for float32 (within ~2 ulp), math.Exp for float64.
func expT[T Float](x T) T {
	if isF32[T]() {
		return T(exp32(float32(x)))
	}
	return T(math.Exp(float64(x)))
}

// sigmoidT is 1/(1+e^−x).
func sigmoidT[T Float](x T) T { return 1 / (1 + expT(-x)) }

// tanhT is tanh(x); for float32 it is 2·σ(2x) − 1 through the branch-free exp (absolute error
// ~1e-7, which is float32's resolution near ±1).
func tanhT[T Float](x T) T {
	if !isF32[T]() {
		return T(math.Tanh(float64(x)))
	}
	return 2/(1+expT(-2*x)) - 1
}

// exp32 computes e^x in float32 without branches (data-dependent branches mispredict on
// gate inputs of random sign): x is clamped to the finite range, x = n·ln2 + r with the
// rounding done by adding 1.5·2^23 (ln2 split in two parts so the reduction is exact), e^r by
// a degree-6 polynomial, and 2^n built in the exponent bits. Relative error < 1e-7; NaN stays
// NaN.
func exp32(x float32) float32 {
	x = min(max(x, -87.3), 88.3)
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
		magic = 12582912.0 // 1.5·2^23
	)
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
	return (p*r*r + r + 1) * math.Float32frombits(uint32(n+127)<<23)
}
