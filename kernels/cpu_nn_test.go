package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The elementwise and nn kernels against plain float64 loops, in both precisions. Sizes
// include odd ones and ones above 2·ewGrain, so that the parallel splits run; the devices have
// 4 workers whatever the machine, so the splits happen on any machine.

// nkDev is a test device with a fixed worker count.
func nkDev[T Float]() *CPU[T] {
	d, err := NewCPU[T](CPUOptions{Workers: 4, BLAS: "go"})
	if err != nil {
		panic(err)
	}
	return d
}

// nkRand returns n values uniform in [-s, s], rounded to T (the reference reads the rounded
// values, so both sides start from the same inputs).
func nkRand[T Float](rng *rand.Rand, n int, s float64) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T((rng.Float64()*2 - 1) * s)
	}
	return v
}

func f64s[T Float](v []T) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// nkTol is the relative tolerance of precision T.
func nkTol[T Float]() float64 {
	if isF32[T]() {
		return 2e-5
	}
	return 1e-12
}

// nkCheck compares got with want elementwise: |got − want| ≤ tol·(1 + |want|).
func nkCheck[T Float](t *testing.T, what string, got []T, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= tol*(1+math.Abs(w))) {
			if bad < 3 {
				t.Errorf("%T %s [%d]: got %.9g, want %.9g", got[i], what, i, got[i], w)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d values off in all", what, bad)
	}
}

var nkSizes = []int{1, 7, 1000, 70001}

func TestElementwise(t *testing.T) {
	testElementwise[float64](t)
	forEachKernelPath(t, testElementwise[float32])
}

func testElementwise[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(1, 1))
	tol := nkTol[T]()
	for _, n := range nkSizes {
		name := func(k string) string { return fmt.Sprintf("%s n=%d", k, n) }
		a, b, y0 := nkRand[T](rng, n, 2), nkRand[T](rng, n, 2), nkRand[T](rng, n, 2)
		fa, fb, fy := f64s(a), f64s(b), f64s(y0)
		y := make([]T, n)
		fresh := func() Buf[T] { copy(y, y0); return HostBuf(y) }
		want := make([]float64, n)
		ref := func(f func(i int) float64) []float64 {
			for i := range want {
				want[i] = f(i)
			}
			return want
		}

		d.Fill(fresh(), 0.75)
		nkCheck(t, name("Fill"), y, ref(func(int) float64 { return float64(T(0.75)) }), 0)
		d.Copy(fresh(), HostBuf(a))
		nkCheck(t, name("Copy"), y, fa, 0)
		d.Axpy(fresh(), -1.5, HostBuf(a))
		nkCheck(t, name("Axpy"), y, ref(func(i int) float64 { return fy[i] - 1.5*fa[i] }), tol)
		d.Scale(fresh(), 0.3)
		nkCheck(t, name("Scale"), y, ref(func(i int) float64 { return fy[i] * float64(T(0.3)) }), tol)
		d.Add(fresh(), HostBuf(a), HostBuf(b))
		nkCheck(t, name("Add"), y, ref(func(i int) float64 { return fa[i] + fb[i] }), tol)
		d.Mul(fresh(), HostBuf(a), HostBuf(b), false)
		nkCheck(t, name("Mul"), y, ref(func(i int) float64 { return fa[i] * fb[i] }), tol)
		d.Mul(fresh(), HostBuf(a), HostBuf(b), true)
		nkCheck(t, name("Mul acc"), y, ref(func(i int) float64 { return fy[i] + fa[i]*fb[i] }), tol)

		for _, period := range []int{1, 7, n} {
			if n%period != 0 {
				continue
			}
			m := b[:period]
			d.MulCyclic(fresh(), HostBuf(a), HostBuf(m), false)
			nkCheck(t, name(fmt.Sprintf("MulCyclic/%d", period)), y,
				ref(func(i int) float64 { return fa[i] * fb[i%period] }), tol)
			d.MulCyclic(fresh(), HostBuf(a), HostBuf(m), true)
			nkCheck(t, name(fmt.Sprintf("MulCyclic acc/%d", period)), y,
				ref(func(i int) float64 { return fy[i] + fa[i]*fb[i%period] }), tol)
		}

		acts := []struct {
			act  Act
			f    func(x float64) float64
			dfdy func(y float64) float64 // derivative in terms of the output
		}{
			{Identity, func(x float64) float64 { return x }, func(float64) float64 { return 1 }},
			{Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, func(y float64) float64 { return y * (1 - y) }},
			{Tanh, math.Tanh, func(y float64) float64 { return 1 - y*y }},
			{ReLU, func(x float64) float64 { return math.Max(x, 0) }, func(y float64) float64 {
				if y > 0 {
					return 1
				}
				return 0
			}},
		}
		for _, ac := range acts {
			d.Activate(ac.act, fresh(), HostBuf(a))
			nkCheck(t, name(fmt.Sprintf("Activate %d", ac.act)), y, ref(func(i int) float64 { return ac.f(fa[i]) }), tol)
			act := append([]T(nil), y...) // the forward output, as the backward gets it
			d.ActivateBackward(ac.act, fresh(), HostBuf(act), HostBuf(b))
			nkCheck(t, name(fmt.Sprintf("ActivateBackward %d", ac.act)), y,
				ref(func(i int) float64 { return fy[i] + fb[i]*ac.dfdy(float64(act[i])) }), tol)
		}

		var s, ss float64
		for _, v := range fa {
			s += v
			ss += v * v
		}
		if got := d.Sum(HostBuf(a)); math.Abs(got-s) > 1e-9*(1+math.Abs(s)) {
			t.Errorf("%T %s: %g, want %g", y0[0], name("Sum"), got, s)
		}
		if got := d.SumSquares(HostBuf(a)); math.Abs(got-ss) > 1e-9*(1+ss) {
			t.Errorf("%T %s: %g, want %g", y0[0], name("SumSquares"), got, ss)
		}
	}
}

func TestElementwise2D(t *testing.T) {
	testElementwise2D[float64](t)
	testElementwise2D[float32](t)
}

func testElementwise2D[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(2, 2))
	tol := nkTol[T]()
	for _, s := range [][2]int{{1, 1}, {3, 5}, {37, 129}, {701, 61}} {
		rows, cols := s[0], s[1]
		name := func(k string) string { return fmt.Sprintf("%s %dx%d", k, rows, cols) }
		// blocks inside wider matrices: dst has leading dimension cols+3, src cols+5, both at
		// an offset, to check that the kernels touch only the block
		ldd, lds := cols+3, cols+5
		dst0, src := nkRand[T](rng, rows*ldd+2, 1), nkRand[T](rng, rows*lds+1, 1)
		dst := make([]T, len(dst0))
		fd, fs := f64s(dst0), f64s(src)

		copy(dst, dst0)
		d.Copy2D(rows, cols, HostBuf(dst).Slice(2, len(dst)), ldd, HostBuf(src).Slice(1, len(src)), lds)
		want := append([]float64(nil), fd...)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				want[2+r*ldd+c] = fs[1+r*lds+c]
			}
		}
		nkCheck(t, name("Copy2D"), dst, want, 0)

		copy(dst, dst0)
		d.Axpy2D(rows, cols, 0.5, HostBuf(dst).Slice(2, len(dst)), ldd, HostBuf(src).Slice(1, len(src)), lds)
		want = append(want[:0], fd...)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				want[2+r*ldd+c] += 0.5 * fs[1+r*lds+c]
			}
		}
		nkCheck(t, name("Axpy2D"), dst, want, tol)

		m0, bias := nkRand[T](rng, rows*cols, 1), nkRand[T](rng, cols, 1)
		m := append([]T(nil), m0...)
		d.AddBias(HostBuf(m), HostBuf(bias))
		want = want[:0]
		for i, v := range m0 {
			want = append(want, float64(v)+float64(bias[i%cols]))
		}
		nkCheck(t, name("AddBias"), m, want, tol)

		sums := append([]T(nil), bias...)
		d.SumRows(HostBuf(sums), HostBuf(m0))
		want = f64s(bias)
		for i, v := range m0 {
			want[i%cols] += float64(v)
		}
		nkCheck(t, name("SumRows"), sums, want, tol*float64(rows))
	}
}

// TestReduceDeterministic: sums do not depend on the number of workers, bit for bit.
func TestReduceDeterministic(t *testing.T) {
	x := nkRand[float32](rand.New(rand.NewPCG(3, 3)), 300001, 1)
	one, err := NewCPU[float32](CPUOptions{Workers: 1, BLAS: "go"})
	if err != nil {
		t.Fatal(err)
	}
	many := nkDev[float32]()
	if a, b := one.Sum(HostBuf(x)), many.Sum(HostBuf(x)); a != b {
		t.Errorf("Sum: %v with 1 worker, %v with 4", a, b)
	}
	if a, b := one.SumSquares(HostBuf(x)), many.SumSquares(HostBuf(x)); a != b {
		t.Errorf("SumSquares: %v with 1 worker, %v with 4", a, b)
	}
}

// nkShapes are [rows, cols] of the row-wise kernels; the last ones run in parallel.
var nkShapes = [][2]int{{1, 1}, {3, 5}, {37, 129}, {300, 111}, {3, 20001}}

func TestLayerNorm(t *testing.T) {
	testLayerNorm[float64](t)
	testLayerNorm[float32](t)
}

func testLayerNorm[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(4, 4))
	tol := 10 * nkTol[T]()
	const eps = 1e-5
	for _, s := range nkShapes {
		rows, cols := s[0], s[1]
		for _, affine := range []int{0, 1, 2, 3} { // bit 0: gamma, bit 1: beta
			name := fmt.Sprintf("%dx%d affine=%d", rows, cols, affine)
			x, dy := nkRand[T](rng, rows*cols, 2), nkRand[T](rng, rows*cols, 1)
			var gamma, beta, dgamma, dbeta []T
			var fg, fb, dg0, db0 []float64
			if affine&1 != 0 {
				gamma, dgamma = nkRand[T](rng, cols, 1.5), nkRand[T](rng, cols, 1)
				fg, dg0 = f64s(gamma), f64s(dgamma)
			}
			if affine&2 != 0 {
				beta, dbeta = nkRand[T](rng, cols, 1), nkRand[T](rng, cols, 1)
				fb, db0 = f64s(beta), f64s(dbeta)
			}
			dx := nkRand[T](rng, rows*cols, 1)
			fx, fdy, fdx := f64s(x), f64s(dy), f64s(dx)
			y, mean, rstd := make([]T, rows*cols), make([]T, rows), make([]T, rows)
			d.LayerNorm(rows, cols, HostBuf(y), HostBuf(x), HostBuf(gamma), HostBuf(beta),
				HostBuf(mean), HostBuf(rstd), eps)
			d.LayerNormBackward(rows, cols, HostBuf(dx), HostBuf(dgamma), HostBuf(dbeta), HostBuf(dy),
				HostBuf(x), HostBuf(gamma), HostBuf(mean), HostBuf(rstd))

			wy := make([]float64, rows*cols)
			wmean, wrstd := make([]float64, rows), make([]float64, rows)
			for r := 0; r < rows; r++ {
				xr := fx[r*cols : (r+1)*cols]
				var mu, v float64
				for _, e := range xr {
					mu += e
				}
				mu /= float64(cols)
				for _, e := range xr {
					v += (e - mu) * (e - mu)
				}
				rs := 1 / math.Sqrt(v/float64(cols)+eps)
				wmean[r], wrstd[r] = mu, rs
				xhat := make([]float64, cols)
				for c, e := range xr {
					xhat[c] = (e - mu) * rs
					yv := xhat[c]
					if fg != nil {
						yv *= fg[c]
					}
					if fb != nil {
						yv += fb[c]
					}
					wy[r*cols+c] = yv
				}
				// the backward through the Jacobian ∂x̂_j/∂x_i = rstd·(δij − 1/n − x̂_i·x̂_j/n)
				if cols <= 200 {
					for i := 0; i < cols; i++ {
						var g float64
						for j := 0; j < cols; j++ {
							gj := fdy[r*cols+j]
							if fg != nil {
								gj *= fg[j]
							}
							jac := -1/float64(cols) - xhat[i]*xhat[j]/float64(cols)
							if i == j {
								jac++
							}
							g += gj * rs * jac
						}
						fdx[r*cols+i] += g
					}
				} else {
					fdx = nil // too wide for the quadratic reference; the forward is checked
				}
				for c := range xr {
					if dg0 != nil {
						dg0[c] += fdy[r*cols+c] * xhat[c]
					}
					if db0 != nil {
						db0[c] += fdy[r*cols+c]
					}
				}
			}
			nkCheck(t, name+" y", y, wy, tol)
			nkCheck(t, name+" mean", mean, wmean, tol)
			nkCheck(t, name+" rstd", rstd, wrstd, tol)
			if fdx != nil {
				nkCheck(t, name+" dx", dx, fdx, tol)
			}
			if dg0 != nil {
				nkCheck(t, name+" dgamma", dgamma, dg0, tol*float64(rows))
			}
			if db0 != nil {
				nkCheck(t, name+" dbeta", dbeta, db0, tol*float64(rows))
			}
		}
	}
}

func TestLogSoftmax(t *testing.T) {
	testLogSoftmax[float64](t)
	forEachKernelPath(t, testLogSoftmax[float32])
}

func testLogSoftmax[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(5, 5))
	tol := nkTol[T]()
	for _, s := range nkShapes {
		rows, cols := s[0], s[1]
		name := fmt.Sprintf("%dx%d", rows, cols)
		x, dy, dx := nkRand[T](rng, rows*cols, 5), nkRand[T](rng, rows*cols, 1), nkRand[T](rng, rows*cols, 1)
		x[0] = 500 // exp overflows without the max subtraction
		fdx := f64s(dx)
		y := make([]T, rows*cols)
		d.LogSoftmax(rows, cols, HostBuf(y), HostBuf(x))
		d.LogSoftmaxBackward(rows, cols, HostBuf(dx), HostBuf(y), HostBuf(dy))
		want := nkLogSoftmax(rows, cols, f64s(x))
		for r := 0; r < rows; r++ {
			var sdy float64
			for c := 0; c < cols; c++ {
				sdy += float64(dy[r*cols+c])
			}
			for c := 0; c < cols; c++ {
				i := r*cols + c
				fdx[i] += float64(dy[i]) - math.Exp(want[i])*sdy
			}
		}
		nkCheck(t, name+" y", y, want, tol)
		nkCheck(t, name+" dx", dx, fdx, tol)
	}
}

func nkLogSoftmax(rows, cols int, x []float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		for c, v := range row {
			y[r*cols+c] = v - m - math.Log(s)
		}
	}
	return y
}

func TestGatherScatter(t *testing.T) {
	testGatherScatter[float64](t)
	testGatherScatter[float32](t)
}

func testGatherScatter[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(7, 7))
	tol := nkTol[T]()
	for _, s := range [][3]int{{5, 1, 3}, {11, 7, 20}, {50, 33, 600}, {100, 300, 300}} { // table rows, cols, ids
		vocab, cols, n := s[0], s[1], s[2]
		name := fmt.Sprintf("vocab=%d cols=%d ids=%d", vocab, cols, n)
		ids := make([]int32, n)
		for i := range ids {
			ids[i] = int32(rng.IntN(vocab+2)) - 2 // about 2 in vocab+2 are padding (negative)
		}
		ids[n-1] = ids[0] // a repeat even in the smallest case
		table := nkRand[T](rng, vocab*cols, 1)
		dst := nkRand[T](rng, n*cols, 1)
		d.Gather(cols, HostBuf(dst), HostBuf(table), HostInts(ids))
		want := make([]float64, n*cols)
		for r, id := range ids {
			if id >= 0 {
				copy(want[r*cols:(r+1)*cols], f64s(table[int(id)*cols:int(id+1)*cols]))
			}
		}
		nkCheck(t, name+" Gather", dst, want, 0)

		src := nkRand[T](rng, n*cols, 1)
		wantT := f64s(table)
		for r, id := range ids {
			if id >= 0 {
				for c := 0; c < cols; c++ {
					wantT[int(id)*cols+c] += float64(src[r*cols+c])
				}
			}
		}
		d.ScatterAdd(cols, HostBuf(table), HostBuf(src), HostInts(ids))
		nkCheck(t, name+" ScatterAdd", table, wantT, tol*float64(n))
	}
}

func TestOverTime(t *testing.T) {
	testOverTime[float64](t)
	testOverTime[float32](t)
}

func testOverTime[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(8, 8))
	tol := nkTol[T]()
	for _, s := range [][3]int{{1, 1, 1}, {5, 3, 7}, {9, 40, 100}} {
		L, B, D := s[0], s[1], s[2]
		for _, withPad := range []bool{false, true} {
			name := fmt.Sprintf("L%d B%d D%d pad=%v", L, B, D, withPad)
			x := nkRand[T](rng, L*B*D, 3)
			var pad []T
			lens := make([]int, B)
			for b := range lens {
				lens[b] = L
			}
			if withPad {
				pad = make([]T, L*B)
				for b := range lens {
					lens[b] = rng.IntN(L + 1)
				}
				lens[0] = 0 // a sequence of padding only
				for b, n := range lens {
					for s := n; s < L; s++ {
						pad[s*B+b] = 1
					}
				}
			}
			y, am := nkRand[T](rng, B*D, 1), make([]int32, B*D)
			d.MaxOverTime(L, B, D, HostBuf(y), HostInts(am), HostBuf(x), HostBuf(pad))
			ym := nkRand[T](rng, B*D, 1)
			d.MeanOverTime(L, B, D, HostBuf(ym), HostBuf(x), HostBuf(pad))
			dy := nkRand[T](rng, B*D, 1)
			dx, dxm := nkRand[T](rng, L*B*D, 1), nkRand[T](rng, L*B*D, 1)
			wdx, wdxm := f64s(dx), f64s(dxm)
			d.MaxOverTimeBackward(L, B, D, HostBuf(dx), HostBuf(dy), HostInts(am))
			d.MeanOverTimeBackward(L, B, D, HostBuf(dxm), HostBuf(dy), HostBuf(pad))

			wy, wym := make([]float64, B*D), make([]float64, B*D)
			for b := 0; b < B; b++ {
				for i := 0; i < D; i++ {
					best, arg := math.Inf(-1), -1
					var sum float64
					for s := 0; s < lens[b]; s++ {
						v := float64(x[(s*B+b)*D+i])
						sum += v
						if v > best {
							best, arg = v, s
						}
					}
					if arg < 0 {
						if am[b*D+i] != -1 {
							t.Errorf("%T %s: argmax[%d,%d] = %d, want -1", x[0], name, b, i, am[b*D+i])
						}
						continue
					}
					wy[b*D+i] = best
					wym[b*D+i] = sum / float64(lens[b])
					wdx[(arg*B+b)*D+i] += float64(dy[b*D+i])
					for s := 0; s < lens[b]; s++ {
						wdxm[(s*B+b)*D+i] += float64(dy[b*D+i]) / float64(lens[b])
					}
				}
			}
			nkCheck(t, name+" max", y, wy, 0)
			nkCheck(t, name+" mean", ym, wym, tol*float64(L))
			nkCheck(t, name+" max backward", dx, wdx, tol)
			nkCheck(t, name+" mean backward", dxm, wdxm, tol)
		}
	}
}

func TestOptimizerSteps(t *testing.T) {
	testOptimizerSteps[float64](t)
	testOptimizerSteps[float32](t)
}

func testOptimizerSteps[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(9, 9))
	tol := nkTol[T]()
	for _, n := range nkSizes {
		for _, c := range []struct {
			mom, wd  float64
			nesterov bool
		}{{0, 0, false}, {0, 0.1, false}, {0.9, 0, false}, {0.9, 0.01, true}} {
			name := fmt.Sprintf("SGD n=%d mom=%g wd=%g nesterov=%v", n, c.mom, c.wd, c.nesterov)
			p, g, m := nkRand[T](rng, n, 1), nkRand[T](rng, n, 1), nkRand[T](rng, n, 1)
			wp, wm := f64s(p), f64s(m)
			lr, mom, wd := T(0.1), T(c.mom), T(c.wd)
			var mb Buf[T]
			if c.mom != 0 {
				mb = HostBuf(m)
			}
			d.SGDStep(HostBuf(p), HostBuf(g), mb, lr, mom, wd, c.nesterov)
			for i := range wp {
				gi := float64(g[i]) + float64(wd)*wp[i]
				upd := gi
				if c.mom != 0 {
					wm[i] = float64(mom)*wm[i] + gi
					upd = wm[i]
					if c.nesterov {
						upd = gi + float64(mom)*wm[i]
					}
				}
				wp[i] -= float64(lr) * upd
			}
			nkCheck(t, name+" p", p, wp, tol)
			nkCheck(t, name+" mom", m, wm, tol)
		}

		p, g, m, v := nkRand[T](rng, n, 1), nkRand[T](rng, n, 1), nkRand[T](rng, n, 1), nkRand[T](rng, n, 1)
		for i := range v {
			v[i] *= v[i]
		}
		wp, wm, wv := f64s(p), f64s(m), f64s(v)
		lr, b1, b2, eps, wd := T(0.01), T(0.9), T(0.999), T(1e-8), T(0.05)
		const step = 3
		d.AdamStep(HostBuf(p), HostBuf(g), HostBuf(m), HostBuf(v), lr, b1, b2, eps, wd, step)
		fb1, fb2 := float64(b1), float64(b2)
		for i := range wp {
			gi := float64(g[i]) + float64(wd)*wp[i]
			wm[i] = fb1*wm[i] + (1-fb1)*gi
			wv[i] = fb2*wv[i] + (1-fb2)*gi*gi
			mh := wm[i] / (1 - math.Pow(fb1, step))
			vh := wv[i] / (1 - math.Pow(fb2, step))
			wp[i] -= float64(lr) * mh / (math.Sqrt(vh) + float64(eps))
		}
		name := fmt.Sprintf("Adam n=%d", n)
		nkCheck(t, name+" p", p, wp, tol)
		nkCheck(t, name+" m", m, wm, tol)
		nkCheck(t, name+" v", v, wv, tol)
	}
}

// TestNNKernelValidation: mismatched lengths and bad indices panic with a kernels: message.
func TestNNKernelValidation(t *testing.T) {
	d := nkDev[float64]()
	b := func(n int) Buf[float64] { return HostBuf(make([]float64, n)) }
	cases := map[string]func(){
		"Add":        func() { d.Add(b(3), b(3), b(4)) },
		"Copy":       func() { d.Copy(b(3), b(2)) },
		"MulCyclic":  func() { d.MulCyclic(b(6), b(6), b(4), false) },
		"AddBias":    func() { d.AddBias(b(7), b(3)) },
		"Copy2D":     func() { d.Copy2D(2, 3, b(5), 3, b(6), 3) },
		"LayerNorm":  func() { d.LayerNorm(2, 3, b(6), b(6), b(2), Buf[float64]{}, b(2), b(2), 1e-5) },
		"LogSoftmax": func() { d.LogSoftmax(2, 3, b(6), b(5)) },
		"CE target": func() {
			d.SoftmaxCrossEntropy(2, 3, b(6), b(2), b(2), b(1), b(6), HostInts([]int32{0, 3}), Buf[float64]{}, -1, 0)
		},
		"CE negative": func() {
			d.SoftmaxCrossEntropy(1, 3, b(3), b(1), b(2), b(1), b(3), HostInts([]int32{-2}), Buf[float64]{}, -1, 0)
		},
		"CE smoothing": func() {
			d.SoftmaxCrossEntropy(1, 3, b(3), b(1), b(2), b(1), b(3), HostInts([]int32{0}), Buf[float64]{}, -1, 1.5)
		},
		"Gather id":    func() { d.Gather(2, b(2), b(6), HostInts([]int32{3})) },
		"ScatterAdd":   func() { d.ScatterAdd(2, b(6), b(3), HostInts([]int32{1, 2})) },
		"MaxOverTime":  func() { d.MaxOverTime(2, 2, 2, b(4), HostInts(make([]int32, 3)), b(8), Buf[float64]{}) },
		"MeanOverTime": func() { d.MeanOverTime(2, 2, 2, b(4), b(8), b(3)) },
		"SGD momentum": func() { d.SGDStep(b(3), b(3), Buf[float64]{}, 0.1, 0.9, 0, false) },
		"Adam step":    func() { d.AdamStep(b(3), b(3), b(3), b(3), 0.1, 0.9, 0.999, 1e-8, 0, 0) },
	}
	for name, f := range cases {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "kernels: ") {
					t.Errorf("%s: recovered %v, want a kernels: panic", name, r)
				}
			}()
			f()
		}()
	}
}

// TestNNKernelsNoAllocs: representative kernels, large enough to run on the pool, allocate
// nothing per call.
func TestNNKernelsNoAllocs(t *testing.T) {
	d := nkDev[float32]()
	rng := rand.New(rand.NewPCG(10, 10))
	const rows, cols = 300, 257
	x, y, dy, dx := nkRand[float32](rng, rows*cols, 1), make([]float32, rows*cols), nkRand[float32](rng, rows*cols, 1), make([]float32, rows*cols)
	mean, rstd, loss := make([]float32, rows), make([]float32, rows), make([]float32, rows)
	gamma, beta, dg, db := nkRand[float32](rng, cols, 1), nkRand[float32](rng, cols, 1), make([]float32, cols), make([]float32, cols)
	am, av := make([]float32, rows*cols), make([]float32, rows*cols)
	ceSums, ceMean := make([]float32, 2), make([]float32, 1)
	targets, ids := make([]int32, rows), make([]int32, rows)
	for i := range targets {
		targets[i], ids[i] = int32(i%cols), int32(i%7)-1
	}
	B := func(s []float32) Buf[float32] { return HostBuf(s) }
	runs := map[string]func(){
		"Activate+Backward": func() {
			d.Activate(Tanh, B(y), B(x))
			d.ActivateBackward(Tanh, B(dx), B(y), B(dy))
		},
		"LayerNorm+Backward": func() {
			d.LayerNorm(rows, cols, B(y), B(x), B(gamma), B(beta), B(mean), B(rstd), 1e-5)
			d.LayerNormBackward(rows, cols, B(dx), B(dg), B(db), B(dy), B(x), B(gamma), B(mean), B(rstd))
		},
		"CrossEntropy+Backward": func() {
			d.SoftmaxCrossEntropy(rows, cols, B(y), B(loss), B(ceSums), B(ceMean), B(x), HostInts(targets), Buf[float32]{}, -1, 0.1)
			d.SoftmaxCrossEntropyBackward(rows, cols, B(dx), B(y), HostInts(targets), Buf[float32]{}, -1, 0.1, B(ceMean), B(ceSums))
		},
		"Gather+ScatterAdd": func() {
			d.Gather(cols, B(y), B(x[:7*cols]), HostInts(ids))
			d.ScatterAdd(cols, B(dx[:7*cols]), B(dy), HostInts(ids))
		},
		"SumSquares": func() { d.SumSquares(B(x)) },
		"AdamStep":   func() { d.AdamStep(B(x), B(dy), B(am), B(av), 1e-3, 0.9, 0.999, 1e-8, 0, 1) },
		"AdamaxStep": func() { d.AdamaxStep(B(x), B(dy), B(am), B(av), 2e-3, 0.9, 0.999, 1e-8, 0, 1) },
	}
	for name, f := range runs {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}
