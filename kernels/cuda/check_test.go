package cuda

import (
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "panic"
			}
		}
	}()
	f()
	return ""
}

func TestCheckGemm(t *testing.T) {
	// C [2, 3] = A [2, 4] · B [4, 3], row-major with padded leading dimensions.
	ok := func(ta, tb bool, lenA, lda, lenB, ldb, lenC, ldc int) string {
		return panics(func() { checkGemm(ta, tb, 2, 3, 4, lenA, lda, 0, lenB, ldb, 0, lenC, ldc, 0, 1) })
	}
	if m := ok(false, false, 1*5+4, 5, 3*3+3, 3, 1*4+3, 4); m != "" {
		t.Errorf("exact sizes rejected: %s", m)
	}
	if m := ok(false, false, 1*5+3, 5, 12, 3, 6, 3); !strings.Contains(m, "A has 8 elements") {
		t.Errorf("short A: %q", m)
	}
	if m := ok(true, false, 3*2+2, 2, 12, 3, 6, 3); m != "" { // A stored [4, 2]
		t.Errorf("transposed A rejected: %s", m)
	}
	if m := ok(false, true, 8, 4, 2*4+4, 3, 6, 3); !strings.Contains(m, "ldB = 3") { // B stored [3, 4]
		t.Errorf("short ldb of a transposed B: %q", m)
	}
	// Batched: the last matrix must fit.
	if m := panics(func() { checkGemm(false, false, 2, 3, 4, 8+2*8, 4, 8, 12, 3, 0, 6*3, 3, 6, 3) }); m != "" {
		t.Errorf("batched exact sizes rejected: %s", m)
	}
	if m := panics(func() { checkGemm(false, false, 2, 3, 4, 8+2*8-1, 4, 8, 12, 3, 0, 6*3, 3, 6, 3) }); m == "" {
		t.Errorf("batched short A accepted")
	}
	if m := panics(func() { checkGemm(false, false, 2, 3, 4, 0, 4, 8, 0, 3, 0, 0, 3, 6, 0) }); m != "" {
		t.Errorf("an empty batch was checked: %s", m)
	}
	if m := panics(func() { checkGemm(false, false, 1<<31, 1, 1, 1<<31, 1, 0, 1, 1, 0, 1<<31, 1, 0, 1) }); !strings.Contains(m, "int range") {
		t.Errorf("m past int32: %q", m)
	}
}

func TestCheckSRU(t *testing.T) {
	buf := func(n int) kernels.Buf[float32] { return kernels.HostBuf(make([]float32, n)) }
	L, B, H := 3, 2, 4
	a := &kernels.SRUArgs[float32]{L: L, B: B, H: H, Dirs: 2, K: 3, Skip: true,
		U: buf(L * B * 8 * 3), X: buf(L * B * 8), WeightC: buf(16), Bias: buf(16),
		Y: buf(L * B * 8), C: buf(L * B * 8), CLast: buf(B * 8)}
	if m := panics(func() { a.Check() }); m != "" {
		t.Fatalf("valid arguments rejected: %s", m)
	}
	a.F = buf(L * B * 8)
	if m := panics(func() { a.Check() }); !strings.Contains(m, "F and R") {
		t.Errorf("F without R: %q", m)
	}
	a.F, a.K = kernels.Buf[float32]{}, 5
	if m := panics(func() { a.Check() }); !strings.Contains(m, "K must be") {
		t.Errorf("K = 5: %q", m)
	}
	a.K, a.Skip, a.X = 3, true, buf(1)
	if m := panics(func() { a.Check() }); !strings.Contains(m, "SRU X") {
		t.Errorf("short X: %q", m)
	}
	g := &kernels.SRUGrads[float32]{GY: buf(L * B * 8), GU: buf(L * B * 8 * 3), GX: buf(L * B * 8), GBias: buf(16)}
	a.X = buf(L * B * 8)
	if m := panics(func() { g.Check(a) }); m != "" {
		t.Errorf("valid gradients rejected: %s", m)
	}
	g.GWeightC = buf(15)
	if m := panics(func() { g.Check(a) }); !strings.Contains(m, "GWeightC") {
		t.Errorf("short GWeightC: %q", m)
	}
}

func TestCheck2DAndLSTM(t *testing.T) {
	b := kernels.HostBuf(make([]float32, 2*5+3))
	if m := panics(func() { check2D("x", 3, 3, b, 5) }); m != "" {
		t.Errorf("exact 2-D block rejected: %s", m)
	}
	if m := panics(func() { check2D("x", 3, 4, b, 5) }); m == "" {
		t.Errorf("2-D block past the end accepted")
	}
	g := kernels.HostBuf(make([]float32, 2*4*3))
	s := kernels.HostBuf(make([]float32, 2*3))
	y := kernels.HostBuf(make([]float32, 7+3))
	var none kernels.Buf[float32]
	if m := panics(func() { kernels.CheckLSTMCellForward(2, 3, g, none, s, s, s, s, y, 7, none) }); m != "" {
		t.Errorf("valid LSTM cell rejected: %s", m)
	}
	if m := panics(func() { kernels.CheckLSTMCellForward(2, 3, g, none, s, s, s, s, y, 8, none) }); !strings.Contains(m, "cannot hold") {
		t.Errorf("y too short for ldy: %q", m)
	}
}
