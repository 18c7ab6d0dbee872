package cuda

import (
	"fmt"
	"math/bits"
)

// allocator is the caching allocator of device memory: freed blocks go to a free list per
// bucket size and the next request of that bucket takes one back, so that a training step
// never calls cuMemAlloc (which is slow) or cuMemFree (which synchronizes the whole device).
// Reuse is safe without events because the device has one stream: a block freed on the host
// is handed out again only to work queued after everything that used it.
//
// The bookkeeping is pure Go over two backend functions, so it is tested without a GPU.
type allocator struct {
	alloc func(bytes int64) (uintptr, error)
	free  func(p uintptr) error

	cached map[int64][]uintptr // free blocks by bucket size
	live   map[uintptr]int64   // handed-out blocks and their bucket size

	liveBytes, cachedBytes, peakBytes int64
	hits, misses                      int
}

func newAllocator(alloc func(int64) (uintptr, error), free func(uintptr) error) *allocator {
	return &allocator{alloc: alloc, free: free, cached: map[int64][]uintptr{}, live: map[uintptr]int64{}}
}

// Bucket sizes: at least 512 bytes; below 1 MiB the next size a quarter octave apart (m·2^s
// with m = 4..7: many small buffers, waste under 25%, as the graph arena's size classes, which
// then map onto buckets one for one); multiples of 1 MiB above (large activations, waste below
// 1 MiB each).
const (
	minBlock   = 512
	largeBlock = 1 << 20
)

// bucket is the size of the block that serves a request of n bytes.
func bucket(n int64) int64 {
	switch {
	case n <= minBlock:
		return minBlock
	case n < largeBlock:
		s := bits.Len64(uint64(n-1)) - 3 // 2^(s+2) < n ≤ 2^(s+3)
		return (n + 1<<s - 1) >> s << s
	default:
		return (n + largeBlock - 1) / largeBlock * largeBlock
	}
}

// get returns a block of at least n bytes. When the driver is out of memory, the cached blocks
// are released and the request is tried once more.
func (a *allocator) get(n int64) (uintptr, error) {
	if n < 0 {
		return 0, fmt.Errorf("cuda: allocation of %d bytes", n)
	}
	b := bucket(n)
	if list := a.cached[b]; len(list) > 0 {
		p := list[len(list)-1]
		a.cached[b] = list[:len(list)-1]
		a.cachedBytes -= b
		a.hits++
		a.take(p, b)
		return p, nil
	}
	a.misses++
	p, err := a.alloc(b)
	if err != nil && a.cachedBytes > 0 {
		if terr := a.trim(); terr != nil {
			return 0, fmt.Errorf("cuda: allocating %d bytes: %w (and releasing the cache: %v)", b, err, terr)
		}
		p, err = a.alloc(b)
	}
	if err != nil {
		return 0, fmt.Errorf("cuda: allocating %d bytes (%d in use, %d cached): %w", b, a.liveBytes, a.cachedBytes, err)
	}
	a.take(p, b)
	return p, nil
}

func (a *allocator) take(p uintptr, b int64) {
	a.live[p] = b
	a.liveBytes += b
	a.peakBytes = max(a.peakBytes, a.liveBytes)
}

// cacheShare bounds the cache: it keeps at most liveBytes/cacheShare bytes; a block freed
// beyond that goes back to the driver. Callers with their own reuse (the graph arena) free what
// they no longer need, and that memory must really leave, or memory held would grow with every
// new batch shape.
const cacheShare = 4

// put returns a block from get to the cache, or to the driver when the cache is full.
func (a *allocator) put(p uintptr) error {
	b, ok := a.live[p]
	if !ok {
		return fmt.Errorf("cuda: Free of 0x%x, which is not the start of a live allocation of this device", p)
	}
	delete(a.live, p)
	a.liveBytes -= b
	limit := a.liveBytes / cacheShare
	if err := a.shrink(limit - b); err != nil {
		return err
	}
	if a.cachedBytes+b > limit {
		if err := a.free(p); err != nil {
			return fmt.Errorf("cuda: releasing %d bytes: %w", b, err)
		}
		return nil
	}
	a.cached[b] = append(a.cached[b], p)
	a.cachedBytes += b
	return nil
}

// shrink frees cached blocks, the largest first, until the cache holds at most limit bytes.
func (a *allocator) shrink(limit int64) error {
	for a.cachedBytes > max(limit, 0) {
		var largest int64
		for b, list := range a.cached {
			if len(list) > 0 && b > largest {
				largest = b
			}
		}
		list := a.cached[largest]
		p := list[len(list)-1]
		a.cached[largest] = list[:len(list)-1]
		a.cachedBytes -= largest
		if err := a.free(p); err != nil {
			return fmt.Errorf("cuda: releasing %d cached bytes: %w", largest, err)
		}
	}
	return nil
}

// size is the bucket size of a live block (0 if p is not one).
func (a *allocator) size(p uintptr) int64 { return a.live[p] }

// trim frees every cached block.
func (a *allocator) trim() error {
	var first error
	for b, list := range a.cached {
		for _, p := range list {
			if err := a.free(p); err != nil && first == nil {
				first = err
			}
			a.cachedBytes -= b
		}
		delete(a.cached, b)
	}
	return first
}

// releaseAll frees every block, cached or live (the device is closing).
func (a *allocator) releaseAll() error {
	first := a.trim()
	for p, b := range a.live {
		if err := a.free(p); err != nil && first == nil {
			first = err
		}
		a.liveBytes -= b
		delete(a.live, p)
	}
	return first
}
