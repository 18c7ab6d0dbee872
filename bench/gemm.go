package bench

import (
	"fmt"
	"math/rand/v2"
	"time"
	"unsafe"

	"github.com/gosru/gosru/kernels"
)

// gemmCall is one recorded GEMM (batch > 0 for GemmStridedBatched).
type gemmCall[T kernels.Float] struct {
	transA, transB            bool
	m, n, k                   int
	alpha, beta               T
	a, b, c                   kernels.Buf[T]
	lda, ldb, ldc             int
	strideA, strideB, strideC int
	batch                     int
}

func (c *gemmCall[T]) flop() float64 {
	return 2 * float64(c.m) * float64(c.n) * float64(c.k) * float64(max(c.batch, 1))
}

// recorder is a Device that notes every GEMM while on, so that a model's GEMMs can be timed
// without the rest: the shapes are exactly the model's, whatever its implementation.
type recorder[T kernels.Float] struct {
	kernels.Device[T]
	on    bool
	calls []gemmCall[T]
}

func (r *recorder[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a kernels.Buf[T], lda int,
	b kernels.Buf[T], ldb int, beta T, c kernels.Buf[T], ldc int) {
	if r.on {
		r.calls = append(r.calls, gemmCall[T]{transA: transA, transB: transB, m: m, n: n, k: k,
			alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc})
	}
	r.Device.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (r *recorder[T]) GemmStridedBatched(transA, transB bool, m, n, k int, alpha T, a kernels.Buf[T],
	lda, strideA int, b kernels.Buf[T], ldb, strideB int, beta T, c kernels.Buf[T], ldc, strideC int, batch int) {
	if r.on {
		r.calls = append(r.calls, gemmCall[T]{transA: transA, transB: transB, m: m, n: n, k: k,
			alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
			strideA: strideA, strideB: strideB, strideC: strideC, batch: batch})
	}
	r.Device.GemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
		beta, c, ldc, strideC, batch)
}

// replay runs the recorded GEMMs on dev, in order, and waits for them.
func replay[T kernels.Float](dev kernels.Device[T], calls []gemmCall[T]) {
	for i := range calls {
		c := &calls[i]
		if c.batch > 0 {
			dev.GemmStridedBatched(c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.strideA,
				c.b, c.ldb, c.strideB, c.beta, c.c, c.ldc, c.strideC, c.batch)
		} else {
			dev.Gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.b, c.ldb, c.beta, c.c, c.ldc)
		}
	}
	dev.Sync() // errors surface at the caller's next Sync
}

// measureMachine measures the device's best GEMM rate (square GEMMs of side PeakN, the best of
// several) and its best Copy bandwidth (CopyN elements, bytes read plus written).
func measureMachine[T kernels.Float](dev kernels.Device[T], opts Options) (Machine, error) {
	var z T
	m := Machine{Device: dev.Name(), Precision: fmt.Sprintf("%T", z), PeakN: opts.PeakN}
	if m.PeakN <= 0 {
		m.PeakN = 2048
	}
	copyN := opts.CopyN
	if copyN <= 0 {
		copyN = 1 << 24
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 3))
	random := func(n int) kernels.Buf[T] {
		b := dev.Alloc(n)
		v := make([]T, n)
		for i := range v {
			v[i] = T(rng.Float64()*2 - 1)
		}
		dev.Upload(b, v)
		return b
	}
	best := func(reps int, f func()) time.Duration {
		f() // warm-up: thread pools start, pages fault in
		var b time.Duration
		for i := range reps {
			t0 := time.Now()
			f()
			if d := time.Since(t0); i == 0 || d < b {
				b = d
			}
		}
		return b
	}

	n := m.PeakN
	a, b, c := random(n*n), random(n*n), dev.Alloc(n*n)
	t := best(10, func() {
		dev.Gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		dev.Sync()
	})
	m.PeakGFLOP = rate(2*float64(n)*float64(n)*float64(n)/1e9, ms(t))
	dev.Free(a)
	dev.Free(b)
	dev.Free(c)

	src, dst := random(copyN), dev.Alloc(copyN)
	t = best(10, func() {
		dev.Copy(dst, src)
		dev.Sync()
	})
	m.CopyGBps = rate(2*float64(copyN)*float64(unsafe.Sizeof(z))/1e9, ms(t))
	dev.Free(src)
	dev.Free(dst)
	if err := dev.Sync(); err != nil {
		return m, fmt.Errorf("bench: measuring the device: %w", err)
	}
	return m, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
