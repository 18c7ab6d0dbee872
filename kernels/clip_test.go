package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestClipKernels holds SumSquaresAcc and ClipScale against their references: norms below,
// above and at the threshold, a NaN and an infinite norm, in both precisions.
func TestClipKernels(t *testing.T) {
	testClipKernels[float32](t, 1e-6)
	testClipKernels[float64](t, 1e-14)
}

func testClipKernels[T Float](t *testing.T, tol float64) {
	d := MustCPU[T]()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 3000, 100_003} {
		x := make([]T, n)
		for i := range x {
			x[i] = T(rng.NormFloat64())
		}
		acc, want := []T{0.5}, []T{0.5}
		d.SumSquaresAcc(HostBuf(acc), HostBuf(x))
		SumSquaresAccRef(want, x)
		if math.Abs(float64(acc[0]-want[0])) > tol*(1+math.Abs(float64(want[0]))) {
			t.Errorf("%T n=%d: SumSquaresAcc %v, want %v", acc[0], n, acc[0], want[0])
		}
	}
	for _, ss := range []float64{0, 0.25, 4, 9, 100, math.NaN(), math.Inf(1)} {
		x := []T{1, -2, 3, 0.5}
		want := append([]T(nil), x...)
		d.ClipScale(HostBuf(x), HostBuf([]T{T(ss)}), 2)
		ClipScaleRef(want, T(ss), 2)
		for i := range x {
			if x[i] != want[i] {
				t.Errorf("%T ss=%v: ClipScale %v, want %v", x[0], ss, x, want)
				break
			}
		}
		if clipped := ss > 4 && !math.IsInf(ss, 1); clipped == (x[1] == -2) {
			t.Errorf("%T ss=%v: clipped=%v but got %v", x[0], ss, clipped, x)
		}
	}
}
