package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxCrossEntropy compares the CPU kernels with the float64 references, with and
// without class weights and label smoothing, ignored rows, and a batch whose rows are all
// ignored (mean 0, no gradient).
func TestSoftmaxCrossEntropy(t *testing.T) {
	testSoftmaxCrossEntropy[float64](t)
	forEachKernelPath(t, testSoftmaxCrossEntropy[float32])
}

func testSoftmaxCrossEntropy[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(6, 6))
	tol := nkTol[T]()
	const ignore = -100
	for _, s := range nkShapes {
		rows, cols := s[0], s[1]
		for _, weighted := range []bool{false, true} {
			for _, eps := range []T{0, 0.1, 1} {
				for _, allIgnored := range []bool{false, true} {
					name := fmt.Sprintf("%T %dx%d weighted=%v eps=%v allIgnored=%v", eps, rows, cols, weighted, eps, allIgnored)
					logits := nkRand[T](rng, rows*cols, 4)
					logits[len(logits)-1] = 1000 // stability: a huge logit gives finite losses
					targets := make([]int32, rows)
					for r := range targets {
						targets[r] = int32(rng.IntN(cols))
						if allIgnored || rows > 1 && r%3 == 1 {
							targets[r] = ignore
						}
					}
					var w []T
					if weighted {
						w = nkRand[T](rng, cols, 1)
						for i := range w {
							w[i] += 1.5
						}
					}
					lp, loss, sums, mean := make([]T, rows*cols), make([]T, rows), make([]T, 2), make([]T, 1)
					d.SoftmaxCrossEntropy(rows, cols, HostBuf(lp), HostBuf(loss), HostBuf(sums), HostBuf(mean),
						HostBuf(logits), HostInts(targets), HostBuf(w), ignore, eps)
					rlp, rloss, rsums, rmean := make([]T, rows*cols), make([]T, rows), make([]T, 2), make([]T, 1)
					SoftmaxCrossEntropyRef(rows, cols, HostBuf(rlp), HostBuf(rloss), HostBuf(rsums), HostBuf(rmean),
						HostBuf(logits), HostInts(targets), HostBuf(w), ignore, eps)
					nkCheck(t, name+" logProbs", lp, f64s(rlp), tol)
					nkCheck(t, name+" loss", loss, f64s(rloss), tol)
					nkCheck(t, name+" sums", sums, f64s(rsums), tol*float64(rows))
					nkCheck(t, name+" mean", mean, f64s(rmean), tol*float64(rows))
					if allIgnored && (mean[0] != 0 || sums[1] != 0) {
						t.Errorf("%s: mean %v, sums %v, want zeros", name, mean[0], sums)
					}

					dmean := []T{0.7}
					dl := nkRand[T](rng, rows*cols, 1)
					rdl := append([]T(nil), dl...)
					d.SoftmaxCrossEntropyBackward(rows, cols, HostBuf(dl), HostBuf(lp), HostInts(targets),
						HostBuf(w), ignore, eps, HostBuf(dmean), HostBuf(sums))
					SoftmaxCrossEntropyBackwardRef(rows, cols, HostBuf(rdl), HostBuf(lp), HostInts(targets),
						HostBuf(w), ignore, eps, HostBuf(dmean), HostBuf(sums))
					nkCheck(t, name+" dlogits", dl, f64s(rdl), tol)
				}
			}
		}
	}
}

// TestAdamaxStep compares the CPU Adamax step with the reference over a few steps, with weight
// decay, on sizes below and above the pool's grain.
func TestAdamaxStep(t *testing.T) {
	testAdamaxStep[float64](t)
	testAdamaxStep[float32](t)
}

func testAdamaxStep[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(11, 11))
	tol := nkTol[T]()
	for _, n := range []int{1, 7, 100003} {
		p, m, u := nkRand[T](rng, n, 1), make([]T, n), make([]T, n)
		rp, rm, ru := append([]T(nil), p...), make([]T, n), make([]T, n)
		for step := 1; step <= 4; step++ {
			g := nkRand[T](rng, n, 1)
			if step == 3 {
				g[0] = 0 // u decays where the gradient vanishes
			}
			d.AdamaxStep(HostBuf(p), HostBuf(g), HostBuf(m), HostBuf(u), 2e-3, 0.9, 0.999, 1e-8, 0.01, step)
			AdamaxStepRef(HostBuf(rp), HostBuf(g), HostBuf(rm), HostBuf(ru), 2e-3, 0.9, 0.999, 1e-8, 0.01, step)
			name := fmt.Sprintf("%T Adamax n=%d step %d", p[0], n, step)
			nkCheck(t, name+" p", p, f64s(rp), tol)
			nkCheck(t, name+" m", m, f64s(rm), tol)
			nkCheck(t, name+" u", u, f64s(ru), tol)
		}
	}
}
