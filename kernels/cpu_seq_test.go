package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The attention kernels (SeqKernels), Exp/Log and GemmStridedBatched over time-major operands,
// against their references, in both precisions.

// seqMask returns lengths (some 0, some over cols) and a [B, cols] pad with a few holes.
func seqMask[T Float](rng *rand.Rand, B, cols int) ([]int32, []T) {
	lengths := make([]int32, B)
	pad := make([]T, B*cols)
	for b := range lengths {
		lengths[b] = int32(rng.IntN(cols + 3))
		for c := 0; c < cols; c++ {
			if rng.IntN(5) == 0 {
				pad[b*cols+c] = 1
			}
		}
	}
	if B > 1 {
		lengths[1] = 0 // a fully masked batch element
	}
	return lengths, pad
}

func TestMaskedSoftmax(t *testing.T) {
	testMaskedSoftmax[float64](t)
	testMaskedSoftmax[float32](t)
}

func testMaskedSoftmax[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(21, 2))
	for _, s := range [][4]int{{1, 1, 1, 1}, {6, 5, 3, 2}, {12, 9, 4, 1}, {400, 300, 8, 50}} {
		rows, cols, B, group := s[0], s[1], s[2], s[3]
		lengths, pad := seqMask[T](rng, B, cols)
		for _, mode := range []string{"none", "lengths", "pad", "both"} {
			name := fmt.Sprintf("%T rows=%d cols=%d B=%d group=%d %s", T(0), rows, cols, B, group, mode)
			var li Ints
			var pb Buf[T]
			if mode == "lengths" || mode == "both" {
				li = HostInts(lengths)
			}
			if mode == "pad" || mode == "both" {
				pb = HostBuf(pad)
			}
			x := nkRand[T](rng, rows*cols, 4)
			want, got := make([]T, rows*cols), make([]T, rows*cols)
			for i := range got {
				got[i] = T(math.NaN()) // every element must be written
			}
			MaskedSoftmaxRef(rows, cols, B, group, HostBuf(want), HostBuf(x), li, pb)
			d.MaskedSoftmax(rows, cols, B, group, HostBuf(got), HostBuf(x), li, pb)
			nkCheck(t, name, got, f64s(want), nkTol[T]())
			for r := 0; r < rows; r++ { // masked columns are exactly 0
				b := (r / group) % B
				for c := 0; c < cols; c++ {
					m := (li.Host() != nil && c >= int(lengths[b])) || (pb.Host() != nil && pad[b*cols+c] != 0)
					if m && got[r*cols+c] != 0 {
						t.Fatalf("%s: masked [%d, %d] = %v", name, r, c, got[r*cols+c])
					}
				}
			}

			dy, dx0 := nkRand[T](rng, rows*cols, 1), nkRand[T](rng, rows*cols, 1)
			wantDx, gotDx := append([]T(nil), dx0...), append([]T(nil), dx0...)
			SoftmaxBackwardRef(rows, cols, HostBuf(wantDx), HostBuf(want), HostBuf(dy))
			d.SoftmaxBackward(rows, cols, HostBuf(gotDx), HostBuf(want), HostBuf(dy))
			nkCheck(t, name+" backward", gotDx, f64s(wantDx), nkTol[T]())
		}
	}
}

// TestMaskedSoftmaxExtremes: huge logits do not overflow, and a fully masked row is zeros.
func TestMaskedSoftmaxExtremes(t *testing.T) {
	d := nkDev[float32]()
	x := []float32{1000, 999, -1000, 3, 4, 5}
	y := make([]float32, 6)
	d.MaskedSoftmax(2, 3, 2, 1, HostBuf(y), HostBuf(x), HostInts([]int32{3, 0}), Buf[float32]{})
	if math.Abs(float64(y[0])-1/(1+math.Exp(-1))) > 1e-6 || y[2] > 1e-30 || y[3] != 0 || y[4] != 0 || y[5] != 0 {
		t.Errorf("got %v", y)
	}
}

func TestAdditiveScores(t *testing.T) {
	testAdditiveScores[float64](t)
	testAdditiveScores[float32](t)
}

func testAdditiveScores[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(5, 8))
	for _, s := range [][4]int{{1, 1, 1, 1}, {3, 5, 2, 7}, {7, 13, 3, 40}, {5, 40, 4, 64}} {
		Lq, Ls, B, H := s[0], s[1], s[2], s[3]
		name := fmt.Sprintf("%T Lq=%d Ls=%d B=%d H=%d", T(0), Lq, Ls, B, H)
		q, k, v := nkRand[T](rng, Lq*B*H, 1.5), nkRand[T](rng, Ls*B*H, 1.5), nkRand[T](rng, H, 1)
		want, got := make([]T, B*Lq*Ls), make([]T, B*Lq*Ls)
		AdditiveScoresRef(Lq, Ls, B, H, HostBuf(want), HostBuf(q), HostBuf(k), HostBuf(v))
		d.AdditiveScores(Lq, Ls, B, H, HostBuf(got), HostBuf(q), HostBuf(k), HostBuf(v))
		tol := nkTol[T]() * float64(H)
		nkCheck(t, name, got, f64s(want), tol)

		ds := nkRand[T](rng, B*Lq*Ls, 1)
		ds[0] = 0 // a masked position
		init := [3][]T{nkRand[T](rng, Lq*B*H, 1), nkRand[T](rng, Ls*B*H, 1), nkRand[T](rng, H, 1)}
		for _, skip := range []int{-1, 0, 1, 2} { // each gradient may be absent
			var wb, gb [3]Buf[T]
			var gs [3][]T
			for i := range init {
				if i == skip {
					continue
				}
				wb[i] = HostBuf(append([]T(nil), init[i]...))
				gs[i] = append([]T(nil), init[i]...)
				gb[i] = HostBuf(gs[i])
			}
			AdditiveScoresBackwardRef(Lq, Ls, B, H, wb[0], wb[1], wb[2], HostBuf(ds), HostBuf(q), HostBuf(k), HostBuf(v))
			d.AdditiveScoresBackward(Lq, Ls, B, H, gb[0], gb[1], gb[2], HostBuf(ds), HostBuf(q), HostBuf(k), HostBuf(v))
			for i, what := range []string{"dq", "dk", "dv"} {
				if i != skip {
					nkCheck(t, fmt.Sprintf("%s %s (skip %d)", name, what, skip), gs[i], f64s(wb[i].Host()),
						nkTol[T]()*float64(Lq*Ls*B))
				}
			}
		}
	}
}

func TestExpLog(t *testing.T) {
	testExpLog[float64](t)
	testExpLog[float32](t)
}

func testExpLog[T Float](t *testing.T) {
	d := nkDev[T]()
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range nkSizes {
		x := nkRand[T](rng, n, 3)
		pos := make([]T, n)
		for i, v := range x {
			pos[i] = T(math.Abs(float64(v)) + 0.05)
		}
		dy, dx0 := nkRand[T](rng, n, 1), nkRand[T](rng, n, 1)
		for _, c := range []struct {
			act  Act
			in   []T
			f    func(float64) float64
			dfdy func(y float64) float64
		}{
			{Exp, x, math.Exp, func(y float64) float64 { return y }},
			{Log, pos, math.Log, func(y float64) float64 { return math.Exp(-y) }},
		} {
			y := make([]T, n)
			d.Activate(c.act, HostBuf(y), HostBuf(c.in))
			want := make([]float64, n)
			for i, v := range c.in {
				want[i] = c.f(float64(v))
			}
			nkCheck(t, fmt.Sprintf("act %d n=%d", c.act, n), y, want, nkTol[T]())
			dx := append([]T(nil), dx0...)
			d.ActivateBackward(c.act, HostBuf(dx), HostBuf(y), HostBuf(dy))
			for i := range want {
				want[i] = float64(dx0[i]) + float64(dy[i])*c.dfdy(float64(y[i]))
			}
			nkCheck(t, fmt.Sprintf("act %d backward n=%d", c.act, n), dx, want, nkTol[T]()*4)
		}
	}
}

// TestGemmStridedBatchedTimeMajor: the matrices of a time-major [L, B, D] tensor are read in
// place (matrix b starts at b·D, leading dimension B·D), for every transpose, and a time-major
// C is written in place too.
func TestGemmStridedBatchedTimeMajor(t *testing.T) {
	d := nkDev[float64]()
	rng := rand.New(rand.NewPCG(9, 9))
	const Lq, Ls, B, D = 5, 7, 3, 4
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			// op(A) [Lq, D]·op(B) [D, Ls]: A stored [Lq, B, D] (or [D, B, Lq] when transposed).
			ra, ca := Lq, D
			if ta {
				ra, ca = D, Lq
			}
			rb, cb := D, Ls
			if tb {
				rb, cb = Ls, D
			}
			a, b := nkRand[float64](rng, ra*B*ca, 1), nkRand[float64](rng, rb*B*cb, 1)
			c := nkRand[float64](rng, Lq*B*Ls, 1) // C time-major [Lq, B, Ls]
			want := append([]float64(nil), c...)
			for i := 0; i < B; i++ {
				GemmRef(ta, tb, Lq, Ls, D, 1.5, a[i*ca:], B*ca, b[i*cb:], B*cb, 0.5, want[i*Ls:], B*Ls)
			}
			d.GemmStridedBatched(ta, tb, Lq, Ls, D, 1.5, HostBuf(a), B*ca, ca, HostBuf(b), B*cb, cb, 0.5,
				HostBuf(c), B*Ls, Ls, B)
			nkCheck(t, fmt.Sprintf("tA=%v tB=%v", ta, tb), c, want, 1e-12)
		}
	}
}

// TestGemmStridedBatchedEmpty: an empty time-major operand ([0, B, D]: matrices start past its
// end) is accepted when there is nothing to compute.
func TestGemmStridedBatchedEmpty(t *testing.T) {
	d := nkDev[float64]()
	const B, D, Ls = 3, 4, 5
	var empty Buf[float64]
	mem := HostBuf(make([]float64, Ls*B*D))
	d.GemmStridedBatched(false, true, 0, Ls, D, 1, empty, B*D, D, mem, B*D, D, 0, empty, Ls, 0, B)
	d.GemmStridedBatched(false, false, 0, D, Ls, 1, empty, Ls, 0, mem, B*D, D, 0, empty, B*D, D, B)
	c := HostBuf([]float64{1, 2, 3, 4, 5, 6}) // k = 0: C = beta·C, A and B unread
	d.GemmStridedBatched(true, false, 1, 2, 0, 1, empty, 1, 2, empty, 2, 0, 0.5, c, 2, 2, 3)
	nkCheck(t, "k=0", c.Host(), []float64{0.5, 1, 1.5, 2, 2.5, 3}, 0)
}

func TestSeqKernelValidation(t *testing.T) {
	d := nkDev[float64]()
	b := func(n int) Buf[float64] { return HostBuf(make([]float64, n)) }
	var none Buf[float64]
	cases := map[string]func(){
		"MaskedSoftmax x":       func() { d.MaskedSoftmax(2, 3, 1, 1, b(6), b(5), Ints{}, none) },
		"MaskedSoftmax lengths": func() { d.MaskedSoftmax(2, 3, 2, 1, b(6), b(6), HostInts([]int32{1}), none) },
		"MaskedSoftmax pad":     func() { d.MaskedSoftmax(2, 3, 2, 1, b(6), b(6), Ints{}, b(3)) },
		"MaskedSoftmax group":   func() { d.MaskedSoftmax(2, 3, 2, 0, b(6), b(6), Ints{}, none) },
		"SoftmaxBackward":       func() { d.SoftmaxBackward(2, 3, b(6), b(6), b(5)) },
		"AdditiveScores s":      func() { d.AdditiveScores(2, 3, 1, 4, b(5), b(8), b(12), b(4)) },
		"AdditiveScores v":      func() { d.AdditiveScores(2, 3, 1, 4, b(6), b(8), b(12), b(3)) },
		"AdditiveBackward dk":   func() { d.AdditiveScoresBackward(2, 3, 1, 4, none, b(11), none, b(6), b(8), b(12), b(4)) },
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

func TestSeqKernelsNoAllocs(t *testing.T) {
	d := nkDev[float32]()
	rng := rand.New(rand.NewPCG(4, 4))
	const B, Lq, Ls, H = 4, 10, 60, 32
	x, y, dx := nkRand[float32](rng, B*Lq*Ls, 1), make([]float32, B*Lq*Ls), make([]float32, B*Lq*Ls)
	q, k, v := nkRand[float32](rng, Lq*B*H, 1), nkRand[float32](rng, Ls*B*H, 1), nkRand[float32](rng, H, 1)
	dq, dk, dv := make([]float32, Lq*B*H), make([]float32, Ls*B*H), make([]float32, H)
	lengths := HostInts([]int32{60, 3, 0, 59})
	f := func() {
		d.MaskedSoftmax(B*Lq, Ls, B, Lq, HostBuf(y), HostBuf(x), lengths, Buf[float32]{})
		d.SoftmaxBackward(B*Lq, Ls, HostBuf(dx), HostBuf(y), HostBuf(x))
		d.AdditiveScores(Lq, Ls, B, H, HostBuf(x), HostBuf(q), HostBuf(k), HostBuf(v))
		d.AdditiveScoresBackward(Lq, Ls, B, H, HostBuf(dq), HostBuf(dk), HostBuf(dv), HostBuf(y), HostBuf(q),
			HostBuf(k), HostBuf(v))
	}
	// AllocsPerRun counts every allocation in the process; once, in a full CI run, something
	// else allocated during the measurement. A kernel that allocates does so every time, so the
	// measurement is taken up to three times and must reach 0 once.
	var n float64
	for range 3 {
		if n = testing.AllocsPerRun(5, f); n == 0 {
			return
		}
	}
	t.Errorf("%v allocations per call", n)
}
