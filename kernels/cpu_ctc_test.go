package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// ctcCase is a random CTC batch; sequence n is of kind n mod 6: an ordinary target, an empty
// target, a target of repeats at exactly its minimal length, an infeasible one, a target of
// one repeated label with room to spare, and a sequence of no frames (empty target).
type ctcCase struct {
	L, B, C, S, blank int
	logits            []float64
	inputLengths      []int32
	targets           []int32 // [B, S]
	targetLengths     []int32
}

func newCTCCase(rng *rand.Rand, L, B, C, blank int, scale float64) *ctcCase {
	k := &ctcCase{L: L, B: B, C: C, blank: blank, inputLengths: make([]int32, B), targetLengths: make([]int32, B)}
	labels := make([][]int32, B)
	label := func() int32 {
		c := rng.IntN(C - 1)
		if c >= blank {
			c++
		}
		return int32(c)
	}
	for n := range labels {
		steps := L - rng.IntN(L/3+1)
		if n == 0 {
			steps = L // one sequence spans every frame
		}
		var tg []int32
		kind := n % 6
		if C == 1 && kind != 5 { // only the blank: every target is empty
			kind = 1
		}
		switch kind {
		case 0:
			for range rng.IntN(steps/2 + 1) {
				tg = append(tg, label())
			}
		case 1: // empty target
		case 2, 3: // minimal length (2), one frame short of it (3)
			for len(tg)+countRepeats(tg) < steps-1 {
				if len(tg) > 0 && rng.IntN(2) == 0 {
					tg = append(tg, tg[len(tg)-1])
				} else {
					tg = append(tg, label())
				}
			}
			need := len(tg) + countRepeats(tg)
			if kind == 2 {
				steps = max(need, 1)
				if need == 0 {
					tg = append(tg, label())
				}
			} else {
				steps = need - 1
			}
		case 4: // one label repeated
			c := label()
			for range (steps + 1) / 2 / 2 {
				tg = append(tg, c)
			}
		case 5:
			steps = 0
		}
		labels[n] = tg
		k.inputLengths[n] = int32(min(max(steps, 0), L))
		k.targetLengths[n] = int32(len(tg))
		k.S = max(k.S, len(tg))
	}
	k.S = max(k.S, 1)
	k.targets = make([]int32, B*k.S)
	for n, tg := range labels {
		copy(k.targets[n*k.S:], tg)
		for i := len(tg); i < k.S; i++ {
			k.targets[n*k.S+i] = int32(blank) // padding is ignored, even the blank
		}
	}
	k.logits = make([]float64, L*B*C)
	for i := range k.logits {
		k.logits[i] = (rng.Float64()*2 - 1) * scale
	}
	return k
}

func countRepeats(tg []int32) int {
	r := 0
	for i := 1; i < len(tg); i++ {
		if tg[i] == tg[i-1] {
			r++
		}
	}
	return r
}

// args builds the CTC arguments in precision T on host buffers.
func ctcArgsOf[T Float](k *ctcCase, zeroInf bool) *CTCArgs[T] {
	logits := make([]T, len(k.logits))
	for i, v := range k.logits {
		logits[i] = T(v)
	}
	return &CTCArgs[T]{L: k.L, B: k.B, C: k.C, S: k.S, Blank: k.blank, ZeroInfinity: zeroInf,
		Logits: HostBuf(logits), InputLengths: HostInts(k.inputLengths), Targets: HostInts(k.targets),
		TargetLengths: HostInts(k.targetLengths), Loss: HostBuf(make([]T, k.B)),
		Work: HostBuf(make([]T, CTCWorkLen(k.L, k.B, k.S)))}
}

// ctcClose compares got with want: equal infinities, else |got − want| ≤ tol·(1 + |want|).
func ctcClose[T Float](t *testing.T, what string, got []T, want []float64, tol float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		if math.IsInf(w, 0) && g == w {
			continue
		}
		if d := math.Abs(g - w); !(d <= tol*(1+math.Abs(w))) {
			if bad < 3 {
				t.Errorf("%s [%d]: got %.12g, want %.12g", what, i, g, w)
			}
			bad++
		}
	}
}

// TestCTCAgainstReference compares the CPU kernels with the float64 reference on random
// batches that mix every kind of sequence, the blank first and last, with and without
// ZeroInfinity, in both precisions.
func TestCTCAgainstReference(t *testing.T) {
	testCTCAgainstReference[float64](t, 1e-11)
	testCTCAgainstReference[float32](t, 2e-4)
}

func testCTCAgainstReference[T Float](t *testing.T, tol float64) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(14, 14))
	shapes := []struct{ L, B, C int }{{1, 1, 2}, {5, 7, 3}, {12, 13, 6}, {40, 9, 30}, {30, 6, 1}}
	for _, sh := range shapes {
		for _, blank := range []int{0, sh.C - 1} {
			for _, zeroInf := range []bool{false, true} {
				name := fmt.Sprintf("%T L=%d B=%d C=%d blank=%d zeroInf=%v", T(0), sh.L, sh.B, sh.C, blank, zeroInf)
				k := newCTCCase(rng, sh.L, sh.B, sh.C, blank, 3)
				got, want := ctcArgsOf[T](k, zeroInf), ctcArgsOf[T](k, zeroInf)
				d.CTCLoss(got)
				CTCLossRef(want)
				ctcClose(t, name+" loss", got.Loss.Host(), f64s(want.Loss.Host()), tol)
				for n, v := range got.Loss.Host() {
					steps, labels, feasible := ctcSequence(got, n)
					switch {
					case math.IsNaN(float64(v)):
						t.Errorf("%s: loss[%d] is NaN", name, n)
					case !feasible && zeroInf && v != 0:
						t.Errorf("%s: infeasible loss[%d] = %v with ZeroInfinity", name, n, v)
					case !feasible && !zeroInf && !math.IsInf(float64(v), 1):
						t.Errorf("%s: infeasible loss[%d] = %v, want +Inf", name, n, v)
					case steps == 0 && len(labels) == 0 && v != 0:
						t.Errorf("%s: loss[%d] = %v for no frames and no labels", name, n, v)
					}
				}
				dloss := nkRand[T](rng, sh.B, 2)
				gd := nkRand[T](rng, sh.L*sh.B*sh.C, 1)
				wd := append([]T(nil), gd...)
				d.CTCLossBackward(got, HostBuf(gd), HostBuf(dloss))
				CTCLossBackwardRef(want, HostBuf(wd), HostBuf(dloss))
				ctcClose(t, name+" dlogits", gd, f64s(wd), tol)
				// Padded frames and infeasible sequences keep the gradient they had.
				gz := make([]T, len(gd))
				d.CTCLossBackward(got, HostBuf(gz), HostBuf(dloss))
				for i, v := range gz {
					tt, n := i/(sh.B*sh.C), i/sh.C%sh.B
					_, _, feasible := ctcSequence(got, n)
					if (tt >= int(k.inputLengths[n]) || !feasible) && v != 0 {
						t.Fatalf("%s: gradient %v at frame %d of sequence %d (length %d, feasible %v)",
							name, v, tt, n, k.inputLengths[n], feasible)
					}
					if math.IsNaN(float64(v)) {
						t.Fatalf("%s: NaN gradient", name)
					}
				}
			}
		}
	}
}

// TestCTCRefBruteForce holds the reference to the definition: the sum over every path of C^T
// labels that collapses (merge repeats, drop blanks) to the target, on tiny alphabets; and its
// gradient to central differences of its loss.
func TestCTCRefBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for trial := range 40 {
		L, C := 1+rng.IntN(5), 2+rng.IntN(2)
		blank := rng.IntN(C)
		k := newCTCCase(rng, L, 1, C, blank, 2)
		if trial%3 == 0 { // any target, feasible or not
			k.S = 1 + rng.IntN(3)
			k.targets = make([]int32, k.S)
			k.targetLengths[0] = int32(rng.IntN(k.S + 1))
			for i := range k.targets {
				k.targets[i] = int32((blank + 1 + rng.IntN(C-1)) % C)
			}
			k.inputLengths[0] = int32(L)
		}
		a := ctcArgsOf[float64](k, false)
		CTCLossRef(a)
		want := bruteForceCTC(k)
		got := a.Loss.Host()[0]
		if !(got == want || math.Abs(got-want) <= 1e-12*(1+math.Abs(want))) {
			t.Fatalf("trial %d (%+v): reference %v, brute force %v", trial, k, got, want)
		}
		if math.IsInf(want, 1) {
			continue
		}
		dl := make([]float64, len(k.logits))
		CTCLossBackwardRef(a, HostBuf(dl), HostBuf([]float64{1}))
		const h = 1e-6
		for i := range k.logits {
			v := k.logits[i]
			k.logits[i] = v + h
			up := bruteForceCTC(k)
			k.logits[i] = v - h
			down := bruteForceCTC(k)
			k.logits[i] = v
			if fd := (up - down) / (2 * h); math.Abs(fd-dl[i]) > 1e-7 {
				t.Fatalf("trial %d: d loss/d logits[%d] = %v, central difference %v", trial, i, dl[i], fd)
			}
		}
	}
}

// bruteForceCTC is −log Σ_paths Π_t softmax_t(path_t) over the C^T_0 paths of sequence 0 that
// collapse to its target.
func bruteForceCTC(k *ctcCase) float64 {
	steps := int(k.inputLengths[0])
	target := k.targets[:k.targetLengths[0]]
	path := make([]int, steps)
	var total float64
	var walk func(t int, logp float64)
	walk = func(t int, logp float64) {
		if t == steps {
			var out []int32
			for i, c := range path {
				if c != k.blank && (i == 0 || path[i-1] != c) {
					out = append(out, int32(c))
				}
			}
			if fmt.Sprint(out) == fmt.Sprint([]int32(target)) || len(out) == 0 && len(target) == 0 {
				total += math.Exp(logp)
			}
			return
		}
		lp := logSoftmaxRef(k.logits[t*k.B*k.C : t*k.B*k.C+k.C])
		for c := range k.C {
			path[t] = c
			walk(t+1, logp+lp[c])
		}
	}
	walk(0, 0)
	return -math.Log(total)
}

// TestCTCNoAllocs: the CPU kernels allocate nothing per call once the device exists.
func TestCTCNoAllocs(t *testing.T) {
	d := nkDev[float32]()
	k := newCTCCase(rand.New(rand.NewPCG(1, 2)), 30, 8, 6, 0, 2)
	a := ctcArgsOf[float32](k, true)
	dl, dloss := HostBuf(make([]float32, len(k.logits))), HostBuf([]float32{1, 1, 1, 1, 1, 1, 1, 1})
	if n := testing.AllocsPerRun(20, func() {
		d.CTCLoss(a)
		d.CTCLossBackward(a, dl, dloss)
	}); n != 0 {
		t.Errorf("%v allocations per forward and backward", n)
	}
}

// BenchmarkCTC times the CPU kernels at the speech task's size: 150 frames (after stacking),
// batch 32, 12 classes (blank, the ten digits, silence or a spare), targets of up to 14 labels.
func BenchmarkCTC(b *testing.B) {
	const L, B, C = 150, 32, 12
	rng := rand.New(rand.NewPCG(5, 5))
	k := &ctcCase{L: L, B: B, C: C, S: 14, inputLengths: make([]int32, B), targetLengths: make([]int32, B),
		targets: make([]int32, B*14), logits: make([]float64, L*B*C)}
	for n := range B {
		k.inputLengths[n] = int32(L - rng.IntN(40))
		k.targetLengths[n] = int32(1 + rng.IntN(14))
		for i := range k.S {
			k.targets[n*k.S+i] = int32(1 + rng.IntN(C-1))
		}
	}
	for i := range k.logits {
		k.logits[i] = rng.NormFloat64()
	}
	for _, workers := range []int{1, 0} {
		d, err := NewCPU[float32](CPUOptions{Workers: workers, BLAS: "go"})
		if err != nil {
			b.Fatal(err)
		}
		a := ctcArgsOf[float32](k, false)
		dl, dloss := HostBuf(make([]float32, L*B*C)), HostBuf(make([]float32, B))
		b.Run(fmt.Sprintf("forward/workers=%d", d.Pool().Workers()), func(b *testing.B) {
			for range b.N {
				d.CTCLoss(a)
			}
		})
		b.Run(fmt.Sprintf("forward+backward/workers=%d", d.Pool().Workers()), func(b *testing.B) {
			for range b.N {
				d.CTCLoss(a)
				d.CTCLossBackward(a, dl, dloss)
			}
		})
		d.Close()
	}
}

// TestLog32 holds the fast float32 logarithm to math.Log over the normal range and its edges.
func TestLog32(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	worst := 0.0
	for i := range 200000 {
		x := float32(math.Exp(rng.Float64()*170 - 85))
		if i < 1000 {
			x = float32(1 + rng.Float64()*2) // the range of the log-sum-exps
		}
		want := math.Log(float64(x))
		got := float64(log32(x))
		worst = max(worst, math.Abs(got-want)/max(math.Abs(want), 1))
	}
	if worst > 2.5e-7 {
		t.Errorf("log32: worst error %.3g (relative, absolute below 1)", worst)
	}
	for _, x := range []float32{0, 1e-40, float32(math.Inf(1)), float32(math.NaN()), -1, 1} {
		want, got := math.Log(float64(x)), float64(log32(x))
		if !(got == want || math.IsNaN(got) && math.IsNaN(want) || math.Abs(got-want) < 1e-6*math.Abs(want)) {
			t.Errorf("log32(%v) = %v, want %v", x, got, want)
		}
	}
	t.Logf("log32 worst error %.3g", worst)
}

// TestCTCFloat32LongSequences holds float32 to the float64 reference where log α and log β
// would reach thousands without their per-frame normalisation (whose rounding then swamps the
// posteriors): losses within 1e-6 relative, gradients within 1e-4 absolute, up to 1000 frames.
func TestCTCFloat32LongSequences(t *testing.T) {
	d := nkDev[float32]()
	for _, sh := range [][4]float64{{60, 4, 30, 3}, {300, 4, 20, 10}, {1000, 2, 12, 5}} {
		k := newCTCCase(rand.New(rand.NewPCG(1, 1)), int(sh[0]), int(sh[1]), int(sh[2]), 0, sh[3])
		got, want := ctcArgsOf[float32](k, true), ctcArgsOf[float64](k, true)
		d.CTCLoss(got)
		CTCLossRef(want)
		ones := make([]float32, k.B)
		for i := range ones {
			ones[i] = 1
		}
		gd, wd := make([]float32, len(k.logits)), make([]float64, len(k.logits))
		d.CTCLossBackward(got, HostBuf(gd), HostBuf(ones))
		CTCLossBackwardRef(want, HostBuf(wd), HostBuf(f64s(ones)))
		var lossDiff, gradDiff float64
		for n, w := range want.Loss.Host() {
			lossDiff = max(lossDiff, math.Abs(float64(got.Loss.Host()[n])-w)/max(1, math.Abs(w)))
		}
		for i, w := range wd {
			gradDiff = max(gradDiff, math.Abs(float64(gd[i])-w))
		}
		if !(lossDiff <= 1e-6 && gradDiff <= 1e-4) {
			t.Errorf("L=%v B=%v C=%v scale %v: loss difference %.3g (relative), gradient %.3g", sh[0], sh[1], sh[2],
				sh[3], lossDiff, gradDiff)
		}
		t.Logf("L=%v: loss %.3g relative, gradient %.3g absolute (losses %.6g)", sh[0], lossDiff, gradDiff, want.Loss.Host())
	}
}

// TestCTCChecks: the shared checks reject wrong shapes and out-of-range values, naming what is
// wrong, and pass consistent arguments without allocating.
func TestCTCChecks(t *testing.T) {
	k := newCTCCase(rand.New(rand.NewPCG(1, 1)), 4, 3, 5, 0, 1)
	cases := []struct {
		name, want string
		edit       func(a *CTCArgs[float32])
	}{
		{"ok", "", func(a *CTCArgs[float32]) {}},
		{"blank", "blank 5 outside [0, 5)", func(a *CTCArgs[float32]) { a.Blank = 5 }},
		{"logits", "CTC Logits has length", func(a *CTCArgs[float32]) { a.Logits = a.Logits.Slice(0, 10) }},
		{"work", "CTC Work has length", func(a *CTCArgs[float32]) { a.Work = a.Work.Slice(0, 10) }},
		{"input length", "input length 5 of sequence 1", func(a *CTCArgs[float32]) { a.InputLengths.Host()[1] = 5 }},
		{"target length", "target length -1 of sequence 2", func(a *CTCArgs[float32]) { a.TargetLengths.Host()[2] = -1 }},
		{"label", "CTC label 0 at 0 of sequence 0", func(a *CTCArgs[float32]) {
			a.TargetLengths.Host()[0] = 1
			a.Targets.Host()[0] = 0
		}},
	}
	for _, c := range cases {
		a := ctcArgsOf[float32](k, false)
		a.InputLengths = HostInts(append([]int32(nil), k.inputLengths...))
		a.TargetLengths = HostInts(append([]int32(nil), k.targetLengths...))
		a.Targets = HostInts(append([]int32(nil), k.targets...))
		c.edit(a)
		got := func() (msg string) {
			defer func() {
				if r := recover(); r != nil {
					msg = fmt.Sprint(r)
				}
			}()
			CheckCTC(a)
			CheckCTCValues(a)
			return ""
		}()
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: panic %q, want %q", c.name, got, c.want)
		}
	}
	a := ctcArgsOf[float32](k, false)
	dl, dloss := HostBuf(make([]float32, len(k.logits))), HostBuf(make([]float32, k.B))
	if n := testing.AllocsPerRun(10, func() { CheckCTCBackward(a, dl, dloss); CheckCTCValues(a) }); n != 0 {
		t.Errorf("checks: %v allocations", n)
	}
}
