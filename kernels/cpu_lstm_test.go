package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lstmCellCase is one shape of the fused-versus-reference test.
type lstmCellCase struct {
	B, H    int
	ldy     int // 0: no y/dy
	pad     bool
	bias    bool // set per case by the test
	inPlace bool // backward in place: dgates = gates, dcPrev = dc, dhPrev = dh
}

func lstmCellCases() []lstmCellCase {
	return []lstmCellCase{
		{B: 1, H: 1, ldy: 1},
		{B: 1, H: 7, ldy: 7, inPlace: true},
		{B: 3, H: 5, ldy: 10, pad: true},
		{B: 4, H: 4, pad: true, inPlace: true},
		{B: 5, H: 33, ldy: 66, pad: true, inPlace: true},
		{B: 1, H: 4099, ldy: 4099, inPlace: true}, // one row split between workers
		{B: 3, H: 1001, ldy: 2002, pad: true},     // chunks end mid-row
		{B: 32, H: 96, ldy: 192, pad: true, inPlace: true},
		{B: 17, H: 129, ldy: 130, pad: true},
	}
}

func TestLSTMCellFusedVsRef(t *testing.T) {
	// More workers than cores, so that ranges are split even for moderate sizes.
	d64, err := NewCPU[float64](CPUOptions{Workers: 4, BLAS: "go"})
	if err != nil {
		t.Fatal(err)
	}
	d32, err := NewCPU[float32](CPUOptions{Workers: 4, BLAS: "go"})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range lstmCellCases() {
		c.bias = i%2 == 1
		name := fmt.Sprintf("B=%d,H=%d,ldy=%d,pad=%v,bias=%v,inplace=%v", c.B, c.H, c.ldy, c.pad, c.bias, c.inPlace)
		t.Run(name+"/f64", func(t *testing.T) { checkLSTMCell64or32(t, d64, c, uint64(i), 1e-13) })
		t.Run(name+"/f32", func(t *testing.T) {
			forEachKernelPath(t, func(t *testing.T) { checkLSTMCell64or32(t, d32, c, uint64(i), 2e-6) })
		})
	}
}

// checkLSTMCell64or32 runs the fused kernels and the references on the same random data and
// compares every output; tol is absolute (all values are O(1)).
func checkLSTMCell64or32[T Float](t *testing.T, d *CPU[T], c lstmCellCase, seed uint64, tol float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	B, H := c.B, c.H
	rnd := func(n int, scale float64) []T {
		s := make([]T, n)
		for i := range s {
			s[i] = T((rng.Float64()*2 - 1) * scale)
		}
		return s
	}
	clone := func(s []T) Buf[T] { return HostBuf(append([]T(nil), s...)) }
	var pad Buf[T]
	if c.pad {
		p := make([]T, B)
		for b := range p {
			if rng.IntN(3) == 0 || (b == 0 && B > 1) {
				p[b] = 1
			}
		}
		pad = HostBuf(p)
	}
	const sentinel = 12345
	newY := func() Buf[T] {
		if c.ldy == 0 {
			return Buf[T]{}
		}
		y := make([]T, (B-1)*c.ldy+H)
		for i := range y {
			y[i] = sentinel // elements between rows must stay untouched
		}
		return HostBuf(y)
	}

	gates, cPrev, hPrev := rnd(B*4*H, 3), rnd(B*H, 2), rnd(B*H, 1)
	var bias Buf[T]
	if c.bias {
		bias = HostBuf(rnd(4*H, 1))
	}
	fg, rg := clone(gates), clone(gates)
	fc, fh, fy := HostBuf(make([]T, B*H)), HostBuf(make([]T, B*H)), newY()
	rc, rh, ry := HostBuf(make([]T, B*H)), HostBuf(make([]T, B*H)), newY()
	d.LSTMCellForward(B, H, fg, bias, clone(cPrev), clone(hPrev), fc, fh, fy, c.ldy, pad)
	LSTMCellForwardRef(B, H, rg, bias, clone(cPrev), clone(hPrev), rc, rh, ry, c.ldy, pad)
	compareBufs(t, "forward gates", fg, rg, tol)
	compareBufs(t, "c", fc, rc, tol)
	compareBufs(t, "h", fh, rh, tol)
	compareBufs(t, "y", fy, ry, tol)
	if isPadded(pad, 0) && B > 0 && fc.Host()[0] != cPrev[0] {
		t.Errorf("padded row did not carry c over")
	}

	// Backward from the reference's activated gates and the reference's c, so both kernels see
	// identical inputs.
	act := rg.Host()
	var dy Buf[T]
	if c.ldy > 0 {
		dy = HostBuf(rnd((B-1)*c.ldy+H, 1))
	}
	dh, dc := rnd(B*H, 1), rnd(B*H, 1)
	rdg, rdcp, rdhp := HostBuf(make([]T, B*4*H)), HostBuf(make([]T, B*H)), HostBuf(make([]T, B*H))
	LSTMCellBackwardRef(B, H, rdg, rdcp, rdhp, clone(act), HostBuf(cPrev), rc, dy, c.ldy,
		HostBuf(dh), HostBuf(dc), pad)
	var fdg, fdcp, fdhp Buf[T]
	if c.inPlace {
		fg := clone(act)
		fdc, fdh := clone(dc), clone(dh)
		d.LSTMCellBackward(B, H, fg, fdc, fdh, fg, HostBuf(cPrev), rc, dy, c.ldy, fdh, fdc, pad)
		fdg, fdcp, fdhp = fg, fdc, fdh
	} else {
		fdg, fdcp, fdhp = HostBuf(rnd(B*4*H, 9)), HostBuf(rnd(B*H, 9)), HostBuf(rnd(B*H, 9))
		d.LSTMCellBackward(B, H, fdg, fdcp, fdhp, clone(act), HostBuf(cPrev), rc, dy, c.ldy,
			HostBuf(dh), HostBuf(dc), pad)
	}
	compareBufs(t, "dgates", fdg, rdg, tol)
	compareBufs(t, "dcPrev", fdcp, rdcp, tol)
	compareBufs(t, "dhPrev", fdhp, rdhp, tol)
}

func compareBufs[T Float](t *testing.T, what string, got, want Buf[T], tol float64) {
	t.Helper()
	g, w := got.Host(), want.Host()
	if len(g) != len(w) {
		t.Fatalf("%s: length %d, want %d", what, len(g), len(w))
	}
	worst, at := 0.0, -1
	for i := range g {
		if e := math.Abs(float64(g[i]) - float64(w[i])); e > worst || e != e {
			worst, at = e, i
		}
	}
	if worst > tol || worst != worst {
		t.Errorf("%s: max abs error %.3g at %d (got %v, want %v), tolerance %.3g",
			what, worst, at, g[at], w[at], tol)
	}
}

// A step of the cell in steady state allocates nothing.
func TestLSTMCellNoAllocs(t *testing.T) {
	d := MustCPU[float32]()
	B, H := 8, 300
	g, s := HostBuf(make([]float32, B*4*H)), HostBuf(make([]float32, B*H))
	c, h, y := HostBuf(make([]float32, B*H)), HostBuf(make([]float32, B*H)), HostBuf(make([]float32, B*H))
	pad, bias := HostBuf(make([]float32, B)), HostBuf(make([]float32, 4*H))
	n := testing.AllocsPerRun(20, func() {
		d.LSTMCellForward(B, H, g, bias, s, s, c, h, y, H, pad)
		d.LSTMCellBackward(B, H, g, c, h, g, s, c, y, H, h, c, pad)
	})
	if n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
