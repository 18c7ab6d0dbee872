//go:build cuda || cudaemu

package cuda

import (
	"runtime"
	"strings"
	"testing"

	"github.com/gosru/gosru/kernels"
)

func TestDeviceBasics(t *testing.T) {
	d, _ := devices(t)
	if name := d.Name(); !strings.HasPrefix(name, "cuda float32 (") || !emulated && !strings.Contains(name, "cuBLAS") {
		t.Errorf("Name() = %q", name)
	}
	t.Logf("device: %s", d.Name())
	t.Logf("kernels: %s", fatbinBuiltWith)

	// Alloc zeroes, also when it reuses a freed block. The cache keeps a freed block only while
	// it stays under a share of the live bytes, so a larger buffer stays live meanwhile (alone,
	// with nothing else live, the block would go back to the driver).
	held := d.Alloc(1 << 16)
	defer d.Free(held)
	b := d.Alloc(1000)
	d.Fill(b, 3)
	d.Free(b)
	b2 := d.Alloc(900) // the same 4 KiB bucket
	if b2.Ptr() != b.Ptr() {
		t.Errorf("Alloc after Free did not reuse the cached block")
	}
	got := make([]float32, 900)
	d.Download(got, b2)
	for i, v := range got {
		if v != 0 {
			t.Fatalf("reused block not zeroed: [%d] = %v", i, v)
		}
	}
	// Views address the right elements.
	host := make([]float32, 900)
	for i := range host {
		host[i] = float32(i)
	}
	d.Upload(b2, host)
	part := make([]float32, 10)
	d.Download(part, b2.Slice(500, 510))
	for i, v := range part {
		if v != float32(500+i) {
			t.Fatalf("Slice(500, 510)[%d] = %v", i, v)
		}
	}
	d.Free(b2)

	// Empty buffers are valid and not absent, as on the CPU.
	e := d.Alloc(0)
	if e.IsNil() {
		t.Errorf("Alloc(0) is the absent buffer")
	}
	d.Upload(e, nil)
	d.Download(nil, e)
	d.Free(e)

	ints := d.AllocInts(5)
	d.UploadInts(ints, []int32{1, -2, 3, -4, 5})
	gi := make([]int32, 5)
	d.DownloadInts(gi, ints)
	if gi[1] != -2 || gi[4] != 5 {
		t.Errorf("ints round trip: %v", gi)
	}
	d.FreeInts(ints)

	// Events time queued work.
	big := d.Alloc(1 << 24)
	ms, err := d.Time(func() { d.Fill(big, 1) })
	if err != nil || ms <= 0 {
		t.Errorf("Time: %v ms, %v", ms, err)
	}
	d.Free(big)
	live, cached, peak, hits, misses := d.MemStats()
	t.Logf("allocator: live %d, cached %d, peak %d bytes; %d hits, %d misses", live, cached, peak, hits, misses)
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestHostBufferPanics(t *testing.T) {
	d, _ := devices(t)
	defer func() {
		if recover() == nil {
			t.Errorf("a host buffer passed to the CUDA device did not panic")
		}
	}()
	d.Fill(kernels.HostBuf(make([]float32, 3)), 1)
}

// TestSRULaunchIsAsync times a large SRU forward on a device without SyncEveryLaunch, and
// checks that the asynchronous path gives the same bits as the synchronous one.
func TestSRUAsyncMatchesSync(t *testing.T) {
	sync32, _ := devices(t)
	d, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	L, B, H := 128, 32, 512
	run := func(dev *Device[float32]) []float32 {
		u := dev.Alloc(L * B * H * 3)
		host := make([]float32, u.Len())
		for i := range host {
			host[i] = float32(i%97)/50 - 1
		}
		dev.Upload(u, host)
		x, wc, bias := dev.Alloc(L*B*H), dev.Alloc(2*H), dev.Alloc(2*H)
		y, c, cl := dev.Alloc(L*B*H), dev.Alloc(L*B*H), dev.Alloc(B*H)
		a := &kernels.SRUArgs[float32]{L: L, B: B, H: H, Dirs: 1, K: 3, Skip: true, Alpha: 1, U: u, X: x,
			WeightC: wc, Bias: bias, Y: y, C: c, CLast: cl}
		ms, err := dev.Time(func() { dev.SRUForward(a) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("SRU forward L=%d B=%d H=%d: %.3f ms (sync every launch: %v)", L, B, H, ms, dev.opts.SyncEveryLaunch)
		out := make([]float32, y.Len())
		dev.Download(out, y)
		for _, b := range []kernels.Buf[float32]{u, x, wc, bias, y, c, cl} {
			dev.Free(b)
		}
		return out
	}
	a := run(d)
	sync32.Bind()
	b := run(sync32)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("y[%d]: %v async, %v sync", i, a[i], b[i])
		}
	}
}

// TestUnboundThreadFails: device work from an OS thread where the device's context is not
// current fails (the driver's CUDA_ERROR_INVALID_CONTEXT, which the emulator reproduces so that
// CI catches a goroutine that forgot Bind), and after Bind the same thread works.
func TestUnboundThreadFails(t *testing.T) {
	if emulated && runtime.GOOS != "linux" {
		t.Skip("the emulator tells OS threads apart on Linux only")
	}
	// on runs f on a goroutine locked to an OS thread of its own (the test's goroutine is
	// locked to the thread that opened the devices, so it is another one) and returns the
	// device's error after it.
	on := func(d *Device[float32], f func()) error {
		errc := make(chan error)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f()
			errc <- d.Sync()
		}()
		return <-errc
	}
	use := func(d *Device[float32]) {
		b := d.Alloc(10)
		d.Fill(b, 1)
		d.Free(b)
	}
	unbound, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = on(unbound, func() { use(unbound) })
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "context") {
		t.Errorf("work from an unbound thread: error %v, want an invalid-context error", err)
	}
	unbound.Close() // its error is the sticky one above
	bound, err := Open[float32](Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bound.Close()
	if err := on(bound, func() {
		if err := bound.Bind(); err != nil {
			t.Error(err)
		}
		use(bound)
	}); err != nil {
		t.Errorf("work from a bound thread: %v", err)
	}
}
