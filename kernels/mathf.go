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

// sigmoidT is 1/(1+e^−x); for float32 as e^x/(1+e^x) below 0 with e^x = exp32(−|x|), so that
// the tail below −88.7 keeps its subnormal values instead of e^−x overflowing to 1/∞ = 0.
func sigmoidT[T Float](x T) T {
	if !isF32[T]() {
		return 1 / (1 + expT(-x))
	}
	return T(sigmoid32(float32(x)))
}

func sigmoid32(x float32) float32 {
	e := exp32(-float32(math.Abs(float64(x))))
	// s·e below 0, s above, selected through the sign bit: a branch on the sign of gate
	// inputs would mispredict half the time.
	neg := uint32(int32(math.Float32bits(x)) >> 31)
	k := math.Float32frombits(math.Float32bits(e)&neg | math.Float32bits(1)&^neg)
	return k / (1 + e)
}

// tanhT is tanh(x); for float32 an odd polynomial below |x| = 0.625 (a least-squares fit to
// tanh's relative error, < 1 ulp) and 1 − 2/(e^{2|x|}+1) with the sign of x above, where the
// subtraction loses nothing (the result is above 0.55): within 2 ulp of float64 everywhere,
// ±1 at ±∞, NaN for NaN. vec_body.h computes the same.
func tanhT[T Float](x T) T {
	if !isF32[T]() {
		return T(math.Tanh(float64(x)))
	}
	return T(tanh32(float32(x)))
}

func tanh32(x float32) float32 {
	ax := float32(math.Abs(float64(x)))
	z := x * x
	p := float32(-5.718891508877277e-3)
	p = p*z + 2.065306343138218e-2
	p = p*z - 5.3744640201330185e-2
	p = p*z + 1.3331513106822968e-1
	p = p*z - 3.333328664302826e-1
	small := x + x*z*p
	big := float32(math.Copysign(float64(1-2/(exp32(2*ax)+1)), float64(x)))
	// Both computed, one selected without a branch (see sigmoid32).
	var sel uint32
	if ax < 0.625 {
		sel = 0xFFFFFFFF
	}
	return math.Float32frombits(math.Float32bits(small)&sel | math.Float32bits(big)&^sel)
}

// exp32 computes e^x in float32 without branches (data-dependent branches mispredict on
// gate inputs of random sign): x is clamped to [−104, 89], beyond which e^x rounds to 0 or
// overflows to +Inf in float32, x = n·ln2 + r with the rounding done by adding 1.5·2^23 (ln2
// split in two parts so the reduction is exact), e^r by a degree-6 polynomial, and 2^n built in
// the exponent bits of two factors 2^(n/2) so that subnormal results and the overflow to +Inf
// come out of the multiplication. Within 2 ulp of float64's exp over the whole range
// (subnormals included), e^−∞ = 0, e^+∞ = +Inf, NaN stays NaN. vec_body.h computes the same.
func exp32(x float32) float32 {
	x = min(max(x, -104), 89)
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
	n1 := n >> 1
	n2 := n - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return (p*r*r + r + 1) * s1 * s2
}
