package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// openBLASOrSkip returns the OpenBLAS backend. Where it cannot be opened the test is skipped,
// unless SRU_REQUIRE_OPENBLAS is set (CI sets it): then a missing library is a failure, so
// that a broken install cannot pass as "skipped".
func openBLASOrSkip(tb testing.TB) gemmBackend {
	tb.Helper()
	gb, err := openGemmBackend("openblas")
	if err != nil {
		if _, required := os.LookupEnv("SRU_REQUIRE_OPENBLAS"); required {
			tb.Fatalf("SRU_REQUIRE_OPENBLAS is set but OpenBLAS is unavailable: %v", err)
		}
		tb.Skipf("OpenBLAS unavailable (set SRU_REQUIRE_OPENBLAS=1 to fail instead): %v", err)
	}
	return gb
}

func gonumBackend(tb testing.TB) gemmBackend {
	tb.Helper()
	gb, err := openGemmBackend("go")
	if err != nil {
		tb.Fatal(err)
	}
	return gb
}

// gonumPooled is the pure-Go backend on a pool of GOMAXPROCS workers, as NewCPU makes it.
func gonumPooled(tb testing.TB) gemmBackend {
	g := gonumBackend(tb).(*gonumGemm)
	g.pool = NewPool(0)
	tb.Cleanup(g.pool.Close)
	return g
}

// gonumParallel is gonum's own parallel GEMM, the baseline of the pooled one.
func gonumParallel(testing.TB) gemmBackend { return gonumParallelGemm{} }

// cpuWith makes a one-worker CPU device over a given backend.
func cpuWith[T Float](gb gemmBackend) *CPU[T] {
	return &CPU[T]{pool: NewPool(1), gemm: gb}
}

func TestGemmOpenBLAS(t *testing.T) {
	gb := openBLASOrSkip(t)
	t.Logf("backend: %s", gb.name())
	if !strings.HasPrefix(gb.name(), "openblas ") || !strings.Contains(gb.name(), "threads") {
		t.Errorf("name %q should say openblas, its version and thread count", gb.name())
	}
	testBackend(t, gb)
}

func TestGemmGonum(t *testing.T) {
	gb := gonumBackend(t)
	if gb.name() != "pure Go (gonum)" {
		t.Errorf("name %q", gb.name())
	}
	testBackend(t, gb)
	// The same on a pool of three workers, which split the tiles of C between them.
	pooled := gonumBackend(t).(*gonumGemm)
	pooled.pool = NewPool(3)
	defer pooled.pool.Close()
	t.Run("pooled", func(t *testing.T) { testBackend(t, pooled) })
}

func testBackend(t *testing.T, gb gemmBackend) {
	t.Run("float32", func(t *testing.T) { testGemmAgainstRef(t, cpuWith[float32](gb), 1e-6) })
	t.Run("float64", func(t *testing.T) { testGemmAgainstRef(t, cpuWith[float64](gb), 1e-15) })
}

// matrix is a rows×cols operand stored with leading dimension ld; the padding past cols is
// NaN, so a backend that reads it poisons the result and one that writes it is caught.
type matrix[T Float] struct {
	rows, cols, ld int
	data           []T
}

func newMatrix[T Float](rng *rand.Rand, rows, cols, pad int) matrix[T] {
	m := matrix[T]{rows: rows, cols: cols, ld: cols + pad}
	m.data = make([]T, (rows-1)*m.ld+cols+pad) // trailing pad too: the end must not be touched
	for i := range m.data {
		if i%m.ld < cols {
			m.data[i] = T(2*rng.Float64() - 1)
		} else {
			m.data[i] = T(math.NaN())
		}
	}
	return m
}

func (m matrix[T]) f64() []float64 {
	s := make([]float64, len(m.data))
	for i, v := range m.data {
		s[i] = float64(v)
	}
	return s
}

func abs64(s []float64) []float64 {
	r := make([]float64, len(s))
	for i, v := range s {
		r[i] = math.Abs(v)
	}
	return r
}

type gemmParams struct{ alpha, beta float64 }

func testGemmAgainstRef[T Float](t *testing.T, d *CPU[T], eps float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 7, 33, 65}
	params := []gemmParams{{1, 0}, {-0.75, 1.5}, {2, 0}, {0.5, 1}}
	ntest := 0
	run := func(transA, transB bool, m, n, k, pad int, p gemmParams, nanC bool) {
		ntest++
		ra, ca := m, k
		if transA {
			ra, ca = k, m
		}
		rb, cb := k, n
		if transB {
			rb, cb = n, k
		}
		a := newMatrix[T](rng, ra, ca, pad)
		b := newMatrix[T](rng, rb, cb, 2*pad+1)
		c := newMatrix[T](rng, m, n, pad+3)
		if nanC { // beta = 0 means C is not read: NaNs in it must not survive
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					c.data[i*c.ld+j] = T(math.NaN())
				}
			}
		}
		// The reference and an error bound, both in float64 from the same rounded inputs.
		want := c.f64()
		if nanC {
			for i := range want {
				want[i] = 0
			}
		}
		bound := abs64(want)
		GemmRef(transA, transB, m, n, k, p.alpha, a.f64(), a.ld, b.f64(), b.ld, p.beta, want, c.ld)
		GemmRef(transA, transB, m, n, k, math.Abs(p.alpha), abs64(a.f64()), a.ld, abs64(b.f64()), b.ld,
			math.Abs(p.beta), bound, c.ld)

		d.Gemm(transA, transB, m, n, k, T(p.alpha), HostBuf(a.data), a.ld, HostBuf(b.data), b.ld,
			T(p.beta), HostBuf(c.data), c.ld)

		for i, got := range c.data {
			g := float64(got)
			if i%c.ld >= n || i >= (m-1)*c.ld+n {
				if !math.IsNaN(g) {
					t.Fatalf("transA=%v transB=%v m=%d n=%d k=%d: padding of C at %d written (%v)",
						transA, transB, m, n, k, i, g)
				}
				continue
			}
			tol := 4*float64(k+2)*eps*bound[i] + 1e-30
			if math.IsNaN(g) || math.Abs(g-want[i]) > tol {
				t.Fatalf("transA=%v transB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%v beta=%v: "+
					"C[%d,%d] = %v, want %v (tol %g)", transA, transB, m, n, k, a.ld, b.ld, c.ld,
					p.alpha, p.beta, i/c.ld, i%c.ld, g, want[i], tol)
			}
		}
	}
	idx := 0
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range sizes {
						p := params[idx%len(params)]
						run(transA, transB, m, n, k, idx%3*2, p, p.beta == 0 && idx%2 == 0)
						idx++
					}
				}
			}
			// Large enough for gonum's parallel blocks and OpenBLAS's threads.
			run(transA, transB, 130, 97, 257, 1, gemmParams{0.5, -1}, false)
			run(transA, transB, 300, 260, 70, 0, gemmParams{1, 0}, true)
		}
	}
	t.Logf("%d products checked", ntest)
}

// A named element type goes through the same backend as its underlying type.
type myFloat32 float32

func TestGemmNamedFloat(t *testing.T) {
	d := MustCPU[myFloat32]()
	a := []myFloat32{1, 2, 3, 4, 5, 6} // [2,3]
	b := []myFloat32{1, 0, 0, 1, 1, 1} // [3,2]
	c := make([]myFloat32, 4)          // [2,2]
	want := []myFloat32{4, 5, 10, 11}  // a·b
	d.Gemm(false, false, 2, 2, 3, 1, HostBuf(a), 3, HostBuf(b), 2, 0, HostBuf(c), 2)
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("got %v, want %v", c, want)
		}
	}
}

// k == 0 or alpha == 0 leaves only C = beta·C, with beta == 0 clearing NaNs.
func TestGemmNoProduct(t *testing.T) {
	d := MustCPU[float64]()
	nan := math.NaN()
	for _, tc := range []struct {
		k           int
		alpha, beta float64
		want        []float64
	}{
		{0, 1, 2, []float64{2, 4, nan, 6, 8}},
		{0, 1, 1, []float64{1, 2, nan, 3, 4}},
		{2, 0, -1, []float64{-1, -2, nan, -3, -4}},
		{2, 0, 0, []float64{0, 0, nan, 0, 0}},
	} {
		c := []float64{1, 2, nan, 3, 4} // [2,2] with ldc 3
		if tc.beta == 0 {
			c[0] = nan
		}
		a := []float64{nan, nan, nan, nan} // must not be read
		d.Gemm(false, false, 2, 2, tc.k, tc.alpha, HostBuf(a), 2, HostBuf(a), 2, tc.beta, HostBuf(c), 3)
		for i := range c {
			if c[i] != tc.want[i] && !(math.IsNaN(c[i]) && math.IsNaN(tc.want[i])) {
				t.Errorf("k=%d alpha=%v beta=%v: got %v, want %v", tc.k, tc.alpha, tc.beta, c, tc.want)
				break
			}
		}
	}
	// Empty outputs are a no-op, even with empty buffers.
	d.Gemm(false, false, 0, 5, 3, 1, Buf[float64]{}, 3, HostBuf(make([]float64, 15)), 5, 0, Buf[float64]{}, 5)
	d.Gemm(true, true, 4, 0, 3, 1, HostBuf(make([]float64, 12)), 4, Buf[float64]{}, 3, 0, Buf[float64]{}, 1)
}

func TestGemmValidation(t *testing.T) {
	d := MustCPU[float32]()
	buf := func(n int) Buf[float32] { return HostBuf(make([]float32, n)) }
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"short A", func() { d.Gemm(false, false, 3, 4, 5, 1, buf(14), 5, buf(20), 4, 0, buf(12), 4) }, "A has 14"},
		{"short A^T", func() { d.Gemm(true, false, 3, 4, 5, 1, buf(14), 3, buf(20), 4, 0, buf(12), 4) }, "A has 14"},
		{"short B", func() { d.Gemm(false, false, 3, 4, 5, 1, buf(15), 5, buf(19), 4, 0, buf(12), 4) }, "B has 19"},
		{"short C", func() { d.Gemm(false, false, 3, 4, 5, 1, buf(15), 5, buf(20), 4, 0, buf(13), 5) }, "C has 13"},
		{"small lda", func() { d.Gemm(false, false, 3, 4, 5, 1, buf(100), 4, buf(20), 4, 0, buf(12), 4) }, "ldA = 4"},
		{"small ldb^T", func() { d.Gemm(false, true, 3, 4, 5, 1, buf(15), 5, buf(100), 4, 0, buf(12), 4) }, "ldB = 4"},
		{"small ldc", func() { d.Gemm(false, false, 3, 4, 5, 1, buf(15), 5, buf(20), 4, 0, buf(100), 3) }, "ldC = 3"},
		{"negative", func() { d.Gemm(false, false, -1, 4, 5, 1, buf(15), 5, buf(20), 4, 0, buf(12), 4) }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				s, _ := r.(string)
				if !strings.HasPrefix(s, "kernels: ") || !strings.Contains(s, tc.msg) {
					t.Errorf("panic %v, want a \"kernels: \" message containing %q", r, tc.msg)
				}
			}()
			tc.f()
		})
	}
	// Exact fits are fine: the last row needs only its columns, not a full ld.
	d.Gemm(false, false, 3, 4, 5, 1, buf(2*7+5), 7, buf(4*6+4), 6, 0, buf(2*9+4), 9)
}

func TestGemmStridedBatched(t *testing.T) {
	for _, be := range []struct {
		name string
		open func(testing.TB) gemmBackend
	}{{"openblas", openBLASOrSkip}, {"gonum", gonumBackend}} {
		t.Run(be.name, func(t *testing.T) {
			d := cpuWith[float64](be.open(t))
			const m, n, k, batch = 5, 7, 9, 4
			const lda, ldb, ldc = k + 1, k + 2, n + 3  // A [m,k], B^T stored [n,k]
			const sa, sb, sc = m*lda + 3, 0, m*ldc + 1 // B is shared by every product
			rng := rand.New(rand.NewPCG(3, 4))
			fill := func(n int) []float64 {
				s := make([]float64, n)
				for i := range s {
					s[i] = rng.NormFloat64()
				}
				return s
			}
			a := fill((batch-1)*sa + (m-1)*lda + k)
			b := fill((n-1)*ldb + k)
			c := fill((batch-1)*sc + (m-1)*ldc + n)
			want := append([]float64(nil), c...)
			for i := 0; i < batch; i++ {
				GemmRef(false, true, m, n, k, 0.5, a[i*sa:], lda, b, ldb, 2, want[i*sc:], ldc)
			}
			d.GemmStridedBatched(false, true, m, n, k, 0.5, HostBuf(a), lda, sa, HostBuf(b), ldb, sb,
				2, HostBuf(c), ldc, sc, batch)
			for i := range c {
				if math.Abs(c[i]-want[i]) > 1e-12 {
					t.Fatalf("C[%d] = %v, want %v", i, c[i], want[i])
				}
			}
		})
	}
}

func TestGemmAllocs(t *testing.T) {
	for _, be := range []struct {
		name string
		open func(testing.TB) gemmBackend
		size int
	}{
		{"openblas", openBLASOrSkip, 256},
		// Large enough that gonum's own Sgemm would start goroutines (4 or more 64×64 blocks):
		// the tiled backend must still allocate nothing, on a pool of several workers.
		{"gonum", gonumBackend, 256},
	} {
		t.Run(be.name, func(t *testing.T) {
			d := cpuWith[float32](be.open(t))
			if g, ok := d.gemm.(*gonumGemm); ok {
				d.pool = NewPool(4)
				defer d.pool.Close()
				g.pool = d.pool
			}
			s := be.size
			a, b, c := d.Alloc(2*s*s), d.Alloc(2*s*s), d.Alloc(2*s*s)
			if n := testing.AllocsPerRun(20, func() {
				d.Gemm(true, false, s, s, s, 1, a, s, b, s, 0.5, c, s)
			}); n != 0 {
				t.Errorf("Gemm: %v allocations per call", n)
			}
			if n := testing.AllocsPerRun(20, func() {
				d.GemmStridedBatched(false, true, s, s/2, s/2, 1, a, s/2, s*s, b, s/2, 0, 0, c, s/2, s*s, 2)
			}); n != 0 {
				t.Errorf("GemmStridedBatched: %v allocations per call", n)
			}
		})
	}
}

func TestOpenGemmBackend(t *testing.T) {
	if _, err := openGemmBackend("mkl"); err == nil || !strings.Contains(err.Error(), "mkl") {
		t.Errorf("unknown backend: err = %v", err)
	}
	auto, err := openGemmBackend("auto")
	if err != nil {
		t.Fatal(err)
	}
	if ob, err := openOpenBLAS(); err == nil && auto.name() != ob.name() {
		t.Errorf("auto picked %q though OpenBLAS (%q) opens", auto.name(), ob.name())
	} else if err != nil && auto.name() != "pure Go (gonum)" {
		t.Errorf("auto picked %q without OpenBLAS", auto.name())
	}
	t.Setenv("SRU_BLAS", "go")
	if gb, err := openGemmBackend(""); err != nil || gb.name() != "pure Go (gonum)" {
		t.Errorf("SRU_BLAS=go: %v, %v", gb, err)
	}
	if gb, err := openGemmBackend("auto"); err != nil || gb.name() != auto.name() {
		t.Errorf("an explicit choice must win over SRU_BLAS: %v, %v", gb, err)
	}
	t.Setenv("SRU_BLAS", "bogus")
	if _, err := openGemmBackend(""); err == nil {
		t.Error("SRU_BLAS=bogus: no error")
	}
	d, err := NewCPU[float32](CPUOptions{BLAS: "go"})
	if err != nil || !strings.Contains(d.Name(), "gonum") {
		t.Errorf("NewCPU with BLAS go: %v, %v", d, err)
	}
}

// A library that cannot be opened must say what was tried and how to install OpenBLAS.
func TestOpenBLASMissing(t *testing.T) {
	t.Setenv("SRU_OPENBLAS", "/nonexistent/libopenblas-for-test.so")
	_, err := loadOpenBLAS()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "kernels: ") || !strings.Contains(msg, "apt-get install libopenblas0-pthread") {
		t.Errorf("error %q lacks the install hint", msg)
	}
	if !strings.Contains(msg, "without cgo") && !strings.Contains(msg, "/nonexistent/libopenblas-for-test.so") {
		t.Errorf("error %q does not say what was tried", msg)
	}
}

// BenchmarkSgemm measures GFLOP/s per backend: a square 1024³ product and the SRU layer's
// shapes (L·B = 4096 rows, d = 512 inputs, 3d = 1536 outputs): the forward product U = X·W,
// and the backward ones dW = Xᵀ·dU and dX = dU·Wᵀ.
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"NN_1024x1024x1024", false, false, 1024, 1024, 1024},
		{"NN_4096x1536x512", false, false, 4096, 1536, 512},
		{"TN_512x1536x4096", true, false, 512, 1536, 4096},
		{"NT_4096x512x1536", false, true, 4096, 512, 1536},
	}
	for _, be := range []struct {
		name string
		open func(testing.TB) gemmBackend
	}{{"openblas", openBLASOrSkip}, {"gonum", gonumPooled}, {"gonum_parallel", gonumParallel}} {
		b.Run(be.name, func(b *testing.B) {
			gb := be.open(b)
			b.Logf("%s", gb.name())
			for _, s := range shapes {
				b.Run(s.name, func(b *testing.B) {
					benchGemm(b, gb, s.transA, s.transB, s.m, s.n, s.k)
				})
			}
		})
	}
}

func benchGemm(b *testing.B, gb gemmBackend, transA, transB bool, m, n, k int) {
	d := cpuWith[float32](gb)
	rng := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) Buf[float32] {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return HostBuf(s)
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	a, bb, c := fill(m*k), fill(k*n), fill(m*n)
	d.Gemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n) // warm up threads and caches
	b.ResetTimer()
	for range b.N {
		d.Gemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestCPUCloseStopsWorkers: Close ends the pool's goroutines (folds run one after another, each
// on a device of its own).
func TestCPUCloseStopsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	d, err := NewCPU[float32](CPUOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine() - before; n < 3 {
		t.Fatalf("%d new goroutines for a pool of 4 workers, want 3", n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Close() // twice is fine
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines still running after Close", runtime.NumGoroutine()-before)
}
