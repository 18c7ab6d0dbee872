package cuda

import (
	"errors"
	"testing"
)

func TestBucket(t *testing.T) {
	for _, c := range []struct{ n, want int64 }{
		{0, 512}, {1, 512}, {512, 512}, {513, 640}, {641, 768}, {1000, 1024}, {1024, 1024}, {1025, 1280},
		{1793, 2048}, {3 << 17, 3 << 17}, {3<<17 + 1, 7 << 16},
		{1<<20 - 1, 1 << 20}, {1 << 20, 1 << 20}, {1<<20 + 1, 2 << 20}, {5<<20 + 7, 6 << 20},
	} {
		if got := bucket(c.n); got != c.want {
			t.Errorf("bucket(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// fakeDevice hands out addresses from a counter and runs out of memory at capacity.
type fakeDevice struct {
	next, used, capacity int64
	allocs, frees        int
	sizes                map[uintptr]int64
	freed                map[uintptr]bool
}

func newFake(capacity int64) *fakeDevice {
	return &fakeDevice{capacity: capacity, next: 4096, sizes: map[uintptr]int64{}, freed: map[uintptr]bool{}}
}

func (f *fakeDevice) alloc(n int64) (uintptr, error) {
	if f.used+n > f.capacity {
		return 0, errors.New("out of memory")
	}
	f.allocs++
	f.used += n
	p := uintptr(f.next)
	f.next += n
	f.sizes[p] = n
	return p, nil
}

func (f *fakeDevice) free(p uintptr) error {
	f.frees++
	f.freed[p] = true
	f.used -= f.sizes[p]
	return nil
}

func TestAllocatorReuse(t *testing.T) {
	f := newFake(1 << 30)
	a := newAllocator(f.alloc, f.free)
	p1, _ := a.get(1000)
	p2, _ := a.get(3 << 20)
	if err := a.put(p1); err != nil {
		t.Fatal(err)
	}
	q1, _ := a.get(900) // same 1 KiB bucket
	if q1 != p1 {
		t.Errorf("a 900-byte request did not reuse the freed 1 KiB block")
	}
	if f.allocs != 2 || a.hits != 1 || a.misses != 2 {
		t.Errorf("allocs %d, hits %d, misses %d; want 2, 1, 2", f.allocs, a.hits, a.misses)
	}
	if err := a.put(p1 + 4); err == nil {
		t.Errorf("put of an interior address succeeded")
	}
	if err := a.put(q1); err != nil {
		t.Fatal(err)
	}
	if err := a.put(q1); err == nil {
		t.Errorf("double put succeeded")
	}
	if a.liveBytes != 3<<20 || a.cachedBytes != 1024 || a.peakBytes != 3<<20+1024 {
		t.Errorf("live %d cached %d peak %d", a.liveBytes, a.cachedBytes, a.peakBytes)
	}
	if err := a.releaseAll(); err != nil {
		t.Fatal(err)
	}
	if f.frees != 2 || !f.freed[p1] || !f.freed[p2] || a.liveBytes != 0 || a.cachedBytes != 0 || f.used != 0 {
		t.Errorf("releaseAll: %d frees, live %d, cached %d, device %d", f.frees, a.liveBytes, a.cachedBytes, f.used)
	}
}

func TestAllocatorTrimsOnOutOfMemory(t *testing.T) {
	f := newFake(4 << 20)
	a := newAllocator(f.alloc, f.free)
	p, err := a.get(3 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.put(p); err != nil {
		t.Fatal(err)
	}
	// 2 MiB does not fit beside the cached 3 MiB: the cache is released and the request retried.
	if _, err := a.get(2 << 20); err != nil {
		t.Fatalf("request after trim: %v", err)
	}
	if f.frees != 1 || a.cachedBytes != 0 {
		t.Errorf("frees %d, cached %d after an out-of-memory retry", f.frees, a.cachedBytes)
	}
	if _, err := a.get(8 << 20); err == nil {
		t.Errorf("an impossible request succeeded")
	}
}

// TestAllocatorCacheBounded: freed blocks stay cached up to live/cacheShare;
// beyond that they go back to the driver, so that a caller trimming its own pool really frees.
func TestAllocatorCacheBounded(t *testing.T) {
	f := newFake(1 << 40)
	a := newAllocator(f.alloc, f.free)
	keep, _ := a.get(400 << 20) // live 400 MiB: the cache may hold 100 MiB
	var ps []uintptr
	for range 30 {
		p, _ := a.get(5 << 20)
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := a.put(p); err != nil {
			t.Fatal(err)
		}
	}
	if a.cachedBytes > 100<<20 || a.cachedBytes < 95<<20 {
		t.Errorf("cached %d MiB of 150 freed with 400 MiB live; want about 100", a.cachedBytes>>20)
	}
	if want := 30 - int(a.cachedBytes/(5<<20)); f.frees != want {
		t.Errorf("%d blocks went back to the driver, want %d", f.frees, want)
	}
	if err := a.put(keep); err != nil {
		t.Fatal(err)
	}
	if a.cachedBytes != 0 {
		t.Errorf("cached %d bytes with nothing live", a.cachedBytes)
	}
}
