//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gosru/gosru/kernels"
)

// The CUDA tests hold every kernel against the CPU device (itself held against the float64
// references in package kernels) on the same inputs. Every GPU buffer sits between guard bands
// of a NaN sentinel that no kernel produces; after each check the bands must be untouched, which
// catches out-of-bounds writes that would otherwise corrupt a neighbour silently.

var (
	openOnce sync.Once
	gpu32    *Device[float32]
	gpu64    *Device[float64]
	openErr  error
)

// devices opens the shared test devices once (SyncEveryLaunch, so that a fault names its
// kernel) and binds the calling test's goroutine to the context.
func devices(t *testing.T) (*Device[float32], *Device[float64]) {
	t.Helper()
	openOnce.Do(func() {
		opts := Options{SyncEveryLaunch: true}
		if gpu32, openErr = Open[float32](opts); openErr == nil {
			gpu64, openErr = Open[float64](opts)
		}
	})
	if openErr != nil {
		t.Fatalf("opening the CUDA device: %v", openErr)
	}
	if err := gpu32.Bind(); err != nil {
		t.Fatal(err)
	}
	if err := gpu32.Err(); err != nil {
		t.Fatalf("the float32 device failed in an earlier test: %v", err)
	}
	if err := gpu64.Err(); err != nil {
		t.Fatalf("the float64 device failed in an earlier test: %v", err)
	}
	return gpu32, gpu64
}

const guardLen = 37 // odd, so that views start at unaligned addresses too

const (
	sentinel32 = 0x7fc0dead // a quiet NaN with a payload no arithmetic produces
	sentinel64 = 0x7ff8dead0000dead
	sentinelI  = 0x7eadbeef
)

func sentinel[T kernels.Float]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return T(math.Float32frombits(sentinel32))
	}
	return T(math.Float64frombits(sentinel64))
}

func isSentinel[T kernels.Float](v T) bool {
	switch x := any(v).(type) {
	case float32:
		return math.Float32bits(x) == sentinel32
	case float64:
		return math.Float64bits(x) == sentinel64
	}
	return false
}

// pair is one buffer on both devices: cpu is a host slice, gpu a view into a guarded
// allocation.
type pair[T kernels.Float] struct {
	name string
	cpu  kernels.Buf[T]
	gpu  kernels.Buf[T]
	full kernels.Buf[T]
	nil_ bool
}

// on returns the buffer of the GPU side (gpu) or the CPU side.
func (p *pair[T]) on(gpu bool) kernels.Buf[T] {
	if p.nil_ {
		return kernels.Buf[T]{}
	}
	if gpu {
		return p.gpu
	}
	return p.cpu
}

type ipair struct {
	name     string
	cpu, gpu kernels.Ints
	full     kernels.Ints
}

func (p *ipair) on(gpu bool) kernels.Ints {
	if gpu {
		return p.gpu
	}
	return p.cpu
}

// harness runs one op on both devices and compares every buffer it made.
type harness[T kernels.Float] struct {
	t     *testing.T
	cpu   *kernels.CPU[T]
	gpu   *Device[T]
	rng   *rand.Rand
	pairs []*pair[T]
	ints  []*ipair
}

// newHarness also binds the calling goroutine to the device's context: every t.Run starts a
// goroutine of its own.
func newHarness[T kernels.Float](t *testing.T, gpu *Device[T], seed uint64) *harness[T] {
	t.Helper()
	if err := gpu.Bind(); err != nil {
		t.Fatal(err)
	}
	cpu, err := kernels.NewCPU[T](kernels.CPUOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness[T]{t: t, cpu: cpu, gpu: gpu, rng: rand.New(rand.NewPCG(seed, 99))}
	t.Cleanup(h.release)
	return h
}

func (h *harness[T]) release() {
	for _, p := range h.pairs {
		if !p.nil_ {
			h.gpu.Free(p.full)
		}
	}
	for _, p := range h.ints {
		h.gpu.FreeInts(p.full)
	}
	h.pairs, h.ints = nil, nil
}

// buf makes a pair holding data on both devices.
func (h *harness[T]) buf(name string, data []T) *pair[T] {
	n := len(data)
	full := h.gpu.Alloc(n + 2*guardLen)
	host := make([]T, n+2*guardLen)
	for i := range host {
		host[i] = sentinel[T]()
	}
	copy(host[guardLen:], data)
	h.gpu.Upload(full, host)
	p := &pair[T]{name: name, cpu: kernels.HostBuf(append([]T(nil), data...)), gpu: full.Slice(guardLen, guardLen+n), full: full}
	h.pairs = append(h.pairs, p)
	return p
}

// none is the absent buffer on both sides.
func (h *harness[T]) none() *pair[T] { return &pair[T]{nil_: true} }

func (h *harness[T]) randn(name string, n int) *pair[T] {
	v := make([]T, n)
	for i := range v {
		v[i] = T(h.rng.NormFloat64())
	}
	return h.buf(name, v)
}

func (h *harness[T]) uniform(name string, n int, lo, hi float64) *pair[T] {
	v := make([]T, n)
	for i := range v {
		v[i] = T(lo + (hi-lo)*h.rng.Float64())
	}
	return h.buf(name, v)
}

func (h *harness[T]) filled(name string, n int, x T) *pair[T] {
	v := make([]T, n)
	for i := range v {
		v[i] = x
	}
	return h.buf(name, v)
}

// padding makes an [L, B] padding mask with about frac of its entries 1.
func (h *harness[T]) padding(name string, L, B int, frac float64) *pair[T] {
	v := make([]T, L*B)
	for i := range v {
		if h.rng.Float64() < frac {
			v[i] = 1
		}
	}
	return h.buf(name, v)
}

func (h *harness[T]) intBuf(name string, data []int32) *ipair {
	full := h.gpu.AllocInts(len(data) + 2*guardLen)
	host := make([]int32, len(data)+2*guardLen)
	for i := range host {
		host[i] = sentinelI
	}
	copy(host[guardLen:], data)
	h.gpu.UploadInts(full, host)
	p := &ipair{name: name, cpu: kernels.HostInts(append([]int32(nil), data...)),
		gpu: full.Slice(guardLen, guardLen+len(data)), full: full}
	h.ints = append(h.ints, p)
	return p
}

// both runs f on the CPU device, then on the GPU device, then waits for the GPU.
func (h *harness[T]) both(f func(d kernels.Device[T], gpu bool)) {
	h.t.Helper()
	f(h.cpu, false)
	f(h.gpu, true)
	if err := h.gpu.Sync(); err != nil {
		h.t.Fatalf("GPU: %v", err)
	}
}

// check compares every buffer of the harness (inputs too: they must not change) within
// |gpu − cpu| ≤ atol + rtol·|cpu| and checks every guard band. It reports the first few
// mismatches of each buffer.
func (h *harness[T]) check(atol, rtol float64) {
	h.t.Helper()
	for _, p := range h.pairs {
		if p.nil_ {
			continue
		}
		full := make([]T, p.full.Len())
		h.gpu.Download(full, p.full)
		if err := h.gpu.Sync(); err != nil {
			h.t.Fatalf("GPU: %v", err)
		}
		n := p.cpu.Len()
		for i := 0; i < guardLen; i++ {
			if !isSentinel(full[i]) || !isSentinel(full[guardLen+n+i]) {
				h.t.Errorf("%s: guard band overwritten (out-of-bounds write): before[%d]=%v after[%d]=%v",
					p.name, i, full[i], i, full[guardLen+n+i])
				break
			}
		}
		compare(h.t, p.name, full[guardLen:guardLen+n], p.cpu.Host(), atol, rtol)
	}
	for _, p := range h.ints {
		full := make([]int32, p.full.Len())
		h.gpu.DownloadInts(full, p.full)
		n := p.cpu.Len()
		for i := 0; i < guardLen; i++ {
			if full[i] != sentinelI || full[guardLen+n+i] != sentinelI {
				h.t.Errorf("%s: guard band overwritten (out-of-bounds write)", p.name)
				break
			}
		}
		bad := 0
		for i, want := range p.cpu.Host() {
			if got := full[guardLen+i]; got != want {
				if bad < 5 {
					h.t.Errorf("%s[%d] = %d on the GPU, %d on the CPU", p.name, i, got, want)
				}
				bad++
			}
		}
	}
}

func compare[T kernels.Float](t *testing.T, name string, got, want []T, atol, rtol float64) {
	t.Helper()
	bad, worst, worstAt := 0, 0.0, -1
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) && math.IsNaN(w) {
			if isSentinel(got[i]) && !isSentinel(want[i]) {
				bad++ // an element the GPU never wrote
				if bad <= 3 {
					t.Errorf("%s[%d]: never written on the GPU (CPU has %v)", name, i, w)
				}
			}
			continue
		}
		if g == w {
			continue // equal, infinities included
		}
		d := math.Abs(g - w)
		if !(d <= atol+rtol*math.Abs(w)) {
			bad++
			if bad <= 3 {
				t.Errorf("%s[%d] = %.9g on the GPU, %.9g on the CPU", name, i, g, w)
			}
		}
		if d > worst || math.IsNaN(d) {
			worst, worstAt = d, i
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d elements differ (worst at %d: %g)", name, bad, len(want), worstAt, worst)
	}
}

// tol is the default agreement of the two devices: a few float32 ulps, or float64 rounding.
func tol[T kernels.Float]() (atol, rtol float64) {
	var z T
	if _, ok := any(z).(float32); ok {
		return 2e-6, 2e-5
	}
	return 1e-12, 1e-11
}

func shapeName(dims ...int) string { return fmt.Sprint(dims) }
