package cuda

import (
	"errors"
	"testing"
)

func TestBucket(t *testing.T) {
	for _, c := range []struct{ n, want int64 }{
		{0, 512}, {1, 512}, {512, 512}, {513, 1024}, {1000, 1024}, {1024, 1024}, {1025, 2048},
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
	q1, _ := a.get(700) // same 1 KiB bucket
	if q1 != p1 {
		t.Errorf("a 700-byte request did not reuse the freed 1 KiB block")
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
