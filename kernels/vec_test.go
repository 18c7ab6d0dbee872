package kernels

import (
	"math"
	"testing"
)

// forEachKernelPath runs f once on every kernel path this build has on this processor (pure Go,
// then AVX2 and AVX-512 where present), as subtests named after the path.
func forEachKernelPath(t *testing.T, f func(t *testing.T)) {
	saved := vecLevel
	defer func() { vecLevel = saved }()
	for _, l := range vecLevels() {
		vecLevel = l
		t.Run(l.String(), f)
	}
}

func TestChooseVecLevel(t *testing.T) {
	for _, c := range []struct {
		setting    string
		best, want vecISA
	}{{"", vecAVX512, vecAVX512}, {"auto", vecAVX2, vecAVX2}, {"go", vecAVX512, vecGo},
		{"avx2", vecAVX512, vecAVX2}, {"avx512", vecAVX2, vecAVX2}, {"avx512", vecGo, vecGo}} {
		if got := chooseVecLevel(c.setting, c.best); got != c.want {
			t.Errorf("SRU_KERNELS=%q with %v available: %v, want %v", c.setting, c.best, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SRU_KERNELS=sse: no panic")
		}
	}()
	chooseVecLevel("sse", vecAVX512)
}

// ulpErr is the distance of got from the exact value want in units of the last place of
// float32 at want; an exact value beyond float32's range must give the infinity of its sign.
func ulpErr(got float32, want float64) float64 {
	w := float32(want)
	if math.IsInf(float64(w), 0) || math.IsInf(float64(got), 0) {
		if float64(got) == float64(w) {
			return 0
		}
		return math.Inf(1)
	}
	a := float32(math.Abs(float64(w)))
	ulp := float64(math.Nextafter32(a, math.MaxFloat32) - a)
	if a == math.MaxFloat32 {
		ulp = float64(a - math.Nextafter32(a, 0))
	}
	return math.Abs(float64(got)-want) / ulp
}

// TestExpSigmoidTanhAccuracy sweeps float32 over its whole range (every 1021st bit pattern of
// each sign, all the exponents, the subnormals and the infinities) and holds exp, sigmoid and
// tanh on every kernel path to float64's values within a few ulp; NaN must give NaN.
func TestExpSigmoidTanhAccuracy(t *testing.T) {
	stride := uint32(1021)
	if testing.Short() {
		stride = 4099
	}
	var xs []float32
	for b := uint64(0); b < 0x7F800000; b += uint64(stride) {
		v := math.Float32frombits(uint32(b))
		xs = append(xs, v, -v)
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), 0.625, -0.625, 88.72, -87.34, -103.9)
	funcs := []struct {
		name   string
		ref    func(float64) float64
		scalar func(float32) float32
		maxUlp float64
	}{
		{"exp", math.Exp, exp32, 2},
		{"sigmoid", func(x float64) float64 {
			if x < 0 {
				e := math.Exp(x)
				return e / (1 + e)
			}
			return 1 / (1 + math.Exp(-x))
		}, sigmoid32, 3},
		{"tanh", math.Tanh, tanh32, 2},
	}
	y := make([]float32, len(xs))
	nan := []float32{float32(math.NaN()), math.Float32frombits(0xFFC00001), math.Float32frombits(0x7F800001)}
	ny := make([]float32, len(nan))
	for op, f := range funcs {
		t.Run(f.name, func(t *testing.T) {
			forEachKernelPath(t, func(t *testing.T) {
				if vecLevel == vecGo {
					for i, x := range xs {
						y[i] = f.scalar(x)
					}
					for i, x := range nan {
						ny[i] = f.scalar(x)
					}
				} else {
					vecUnary(op, y, xs)
					vecUnary(op, ny, nan)
				}
				worst, at := 0.0, float32(0)
				for i, x := range xs {
					if e := ulpErr(y[i], f.ref(float64(x))); e > worst {
						worst, at = e, x
					}
				}
				t.Logf("%s: %d inputs, max error %.2f ulp at x = %g", f.name, len(xs), worst, at)
				if worst > f.maxUlp {
					t.Errorf("%s: %.2f ulp at x = %g (got %g, want %g)", f.name, worst, at,
						f.scalar(at), f.ref(float64(at)))
				}
				for i, v := range ny {
					if v == v {
						t.Errorf("%s(NaN %#x) = %g", f.name, math.Float32bits(nan[i]), v)
					}
				}
			})
		})
	}
}
