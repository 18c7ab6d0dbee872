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

// tanhT is tanh(x) through one exp: sign(x)·(1−e)/(1+e) with e = e^(−2|x|).
func tanhT[T Float](x T) T {
	if !isF32[T]() {
		return T(math.Tanh(float64(x)))
	}
	ax := x
	if ax < 0 {
		ax = -ax
	}
	e := expT(-2 * ax)
	y := (1 - e) / (1 + e)
	if x < 0 {
		return -y
	}
	return y
}

// exp32 computes e^x in float32: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so the
// reduction is exact), e^r by its degree-7 Taylor-like minimax polynomial, then 2^n through the
// exponent bits.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72:
		return float32(math.Inf(1))
	case x < -87.33:
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	fn := x * log2e
	var n int32
	if fn >= 0 {
		n = int32(fn + 0.5)
	} else {
		n = int32(fn - 0.5)
	}
	nf := float32(n)
	r := x - nf*ln2hi - nf*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	if n == 128 { // x in (88.38, 88.72]: 2^128 overflows the exponent field; split it
		return y * 2 * math.Float32frombits(uint32(127+127)<<23)
	}
	if n < -126 {
		return y * math.Float32frombits(uint32(n+127+64)<<23) * math.Float32frombits(uint32(127-64)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}
