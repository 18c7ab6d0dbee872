//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// ctcBatch draws B sequences of up to L frames over C classes; sequence n is of kind n mod 5:
// an ordinary target, an empty one, repeats at exactly the minimal length, an infeasible one,
// and no frames at all.
func ctcBatch(rng *rand.Rand, L, B, C, blank int) (inLen, targets, tgtLen []int32, S int) {
	labels := make([][]int32, B)
	inLen, tgtLen = make([]int32, B), make([]int32, B)
	label := func() int32 { return int32((blank + 1 + rng.IntN(C-1)) % C) }
	for n := range labels {
		steps := L - rng.IntN(L/3+1)
		if n == 0 {
			steps = L
		}
		var tg []int32
		switch n % 5 {
		case 0:
			for range rng.IntN(steps/2 + 1) {
				tg = append(tg, label())
			}
		case 2, 3:
			need := 0 // labels plus repeated neighbours
			for need < steps-1 {
				c := label()
				if len(tg) > 0 && rng.IntN(2) == 0 {
					c = tg[len(tg)-1]
				}
				if len(tg) > 0 && c == tg[len(tg)-1] {
					need++
				}
				tg = append(tg, c)
				need++
			}
			steps = need
			if n%5 == 3 {
				steps = max(need-1, 0)
			}
		case 4:
			steps = 0
		}
		labels[n], inLen[n], tgtLen[n] = tg, int32(steps), int32(len(tg))
		S = max(S, len(tg))
	}
	S = max(S, 1)
	targets = make([]int32, B*S)
	for n, tg := range labels {
		copy(targets[n*S:], tg)
	}
	return inLen, targets, tgtLen, S
}

// TestCTC holds the CUDA CTC kernels to the CPU device's on random batches of every kind of
// sequence, with the blank first and last, with and without ZeroInfinity.
func TestCTC(t *testing.T) {
	g32, g64 := devices(t)
	t.Run("float32", func(t *testing.T) { g32.Bind(); testCTC(t, g32) })
	t.Run("float64", func(t *testing.T) { g64.Bind(); testCTC(t, g64) })
}

func testCTC[T kernels.Float](t *testing.T, gpu *Device[T]) {
	atol, rtol := tol[T]()
	shapes := [][3]int{{1, 1, 2}, {6, 5, 3}, {20, 11, 7}, {50, 4, 30}, {600, 3, 5}} // the last: more positions than threads
	if !emulated {
		shapes = append(shapes, [3]int{150, 32, 12}, [3]int{400, 8, 600})
	}
	for _, sh := range shapes {
		L, B, C := sh[0], sh[1], sh[2]
		for _, blank := range []int{0, C - 1} {
			for _, zeroInf := range []bool{false, true} {
				if L == 600 && (blank == 0 || zeroInf) {
					continue // slow in the emulator: one combination is enough
				}
				t.Run(fmt.Sprintf("L=%d,B=%d,C=%d,blank=%d,zeroInf=%v", L, B, C, blank, zeroInf), func(t *testing.T) {
					h := newHarness(t, gpu, uint64(L*B*C+blank))
					inLen, targets, tgtLen, S := ctcBatch(h.rng, L, B, C, blank)
					if L == 600 && 2*S+1 <= 256 {
						t.Fatalf("the longest target has %d labels: no more positions than threads", S)
					}
					logits := h.uniform("logits", L*B*C, -6, 6)
					loss := h.randn("loss", B)
					dlogits, dloss := h.randn("dlogits", L*B*C), h.randn("dloss", B)
					il, tg, tl := h.intBuf("inputLengths", inLen), h.intBuf("targets", targets), h.intBuf("targetLengths", tgtLen)
					// The workspace holds −Inf at unreachable positions: it is compared by its
					// effect, not element by element.
					n := kernels.CTCWorkLen(L, B, S)
					workGPU := gpu.Alloc(n)
					defer gpu.Free(workGPU)
					workCPU := kernels.HostBuf(make([]T, n))
					h.both(func(d kernels.Device[T], g bool) {
						work := workCPU
						if g {
							work = workGPU
						}
						a := &kernels.CTCArgs[T]{L: L, B: B, C: C, S: S, Blank: blank, ZeroInfinity: zeroInf,
							Logits: logits.on(g), InputLengths: il.on(g), Targets: tg.on(g), TargetLengths: tl.on(g),
							Loss: loss.on(g), Work: work}
						d.CTCLoss(a)
						d.CTCLossBackward(a, dlogits.on(g), dloss.on(g))
					})
					h.check(atol*float64(L), rtol*float64(L))
				})
			}
		}
	}
}

// TestCTCBadLabel: a label equal to the blank raises the device's error flag (on a device of
// its own: the error is sticky).
func TestCTCBadLabel(t *testing.T) {
	devices(t)
	d, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ints := func(v ...int32) kernels.Ints {
		b := d.AllocInts(len(v))
		d.UploadInts(b, v)
		return b
	}
	d.CTCLoss(&kernels.CTCArgs[float32]{L: 3, B: 2, C: 4, S: 2, Logits: d.Alloc(3 * 2 * 4),
		InputLengths: ints(3, 3), Targets: ints(1, 2, 0, 0), TargetLengths: ints(2, 2), Loss: d.Alloc(2),
		Work: d.Alloc(kernels.CTCWorkLen(3, 2, 2))})
	if err := d.Sync(); err == nil || !strings.Contains(err.Error(), "CTC") {
		t.Fatalf("Sync after a blank label: %v", err)
	}
}
