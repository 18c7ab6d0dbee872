package nn

import (
	"math/bits"
	"unsafe"

	"github.com/gosru/gosru/kernels"
)

// The arena is the memory of a graph. Every buffer a step asks for (tensor data, gradients,
// scratch, masks, indices) comes from it, and Graph.Reset hands them all back at once, so a step
// that makes the same requests as the last one reuses its buffers and allocates nothing.
//
// Shapes that change from step to step (batches of varying length) must not make memory grow
// with every new shape. So buffers come in size classes a quarter octave apart (m·2^s elements,
// m = 4..7, at least minClass): a request gets an exact-length view of a class buffer, from its
// own class or, when that is empty, from one of the next four (at most twice the size). And the
// arena forgets what it no longer uses: before it allocates, it frees idle buffers (oldest
// first) so that what it holds stays within 5/4 of the most a single step has used (its peak,
// counting the step in progress). Memory held is thus bounded by the largest step, whatever the
// sequence of shapes, and a run of one shape allocates nothing.

const (
	// minClass is the smallest buffer, in elements.
	minClass = 256
	// classReach is how many larger classes a request may borrow from (4 classes = 2×).
	classReach = 4
)

// sizeClass is the capacity of the buffer that serves a request of n elements: minClass, or
// the smallest m·2^s ≥ n with m in 4..7.
func sizeClass(n int) int {
	if n <= minClass {
		return minClass
	}
	s := bits.Len(uint(n-1)) - 3 // 2^(s+2) < n ≤ 2^(s+3)
	m := (n + 1<<s - 1) >> s     // 5..8
	return m << s
}

// block is one buffer of a class.
type block[B any] struct {
	buf  B
	size int    // capacity in elements (its class)
	last uint64 // the step that last used it
}

// blockPool is the size-class pool of one kind of buffer (float or int32).
type blockPool[B any] struct {
	alloc     func(n int) B
	free      func(B)
	view      func(b B, n int) B
	elemBytes int64

	idle  map[int][]*block[B] // free blocks by class
	count map[int]int         // blocks of each class, idle or not
	used  []*block[B]         // handed out since the last reset
	step  uint64

	held, usedBytes, peak int64
}

func newBlockPool[B any](alloc func(int) B, free func(B), view func(B, int) B, elemBytes int64) blockPool[B] {
	return blockPool[B]{alloc: alloc, free: free, view: view, elemBytes: elemBytes,
		idle: map[int][]*block[B]{}, count: map[int]int{}}
}

// get returns an n-element view of a block.
func (p *blockPool[B]) get(n int) B {
	c := sizeClass(n)
	var b *block[B]
	for k, cc := 0, c; k <= classReach; k, cc = k+1, sizeClass(cc+1) {
		if list := p.idle[cc]; len(list) > 0 {
			b = list[len(list)-1]
			list[len(list)-1] = nil
			p.idle[cc] = list[:len(list)-1]
			break
		}
	}
	if b == nil {
		need := int64(c) * p.elemBytes
		budget := max(p.peak, p.usedBytes+need)
		p.evict(budget + budget/4 - need)
		b = &block[B]{buf: p.alloc(c), size: c}
		p.held += int64(c) * p.elemBytes
		p.count[c]++
		if list := p.idle[c]; cap(list) < p.count[c] { // room for reset to take every block back
			p.idle[c] = append(make([]*block[B], 0, 2*p.count[c]), list...)
		}
	}
	b.last = p.step
	p.used = append(p.used, b)
	p.usedBytes += int64(b.size) * p.elemBytes
	return p.view(b.buf, n)
}

// reset takes every block back.
func (p *blockPool[B]) reset() {
	for i, b := range p.used {
		p.idle[b.size] = append(p.idle[b.size], b)
		p.used[i] = nil
	}
	p.used = p.used[:0]
	p.peak = max(p.peak, p.usedBytes)
	p.usedBytes = 0
	p.step++
}

// evict frees idle blocks, the least recently used first (the larger first among equals), until
// the pool holds at most target bytes or has nothing idle left.
func (p *blockPool[B]) evict(target int64) {
	for p.held > target {
		var victim *block[B]
		at := -1
		for _, list := range p.idle {
			for i, b := range list {
				if victim == nil || b.last < victim.last || b.last == victim.last && b.size > victim.size {
					victim, at = b, i
				}
			}
		}
		if victim == nil {
			return
		}
		list := p.idle[victim.size]
		last := len(list) - 1
		list[at] = list[last]
		list[last] = nil
		p.idle[victim.size] = list[:last]
		p.free(victim.buf)
		p.held -= int64(victim.size) * p.elemBytes
		p.count[victim.size]--
	}
}

// release frees every block; none may be in use.
func (p *blockPool[B]) release() {
	for _, b := range p.used {
		p.idle[b.size] = append(p.idle[b.size], b)
	}
	clear(p.used)
	p.used = p.used[:0]
	for c, list := range p.idle {
		for _, b := range list {
			p.free(b.buf)
		}
		delete(p.idle, c)
		delete(p.count, c)
	}
	p.held, p.usedBytes, p.peak = 0, 0, 0
}

// each calls f on every block's whole buffer (tests poison them).
func (p *blockPool[B]) each(f func(B)) {
	for _, b := range p.used {
		f(b.buf)
	}
	for _, list := range p.idle {
		for _, b := range list {
			f(b.buf)
		}
	}
}

// arena is the graph's memory: float buffers, int buffers and tensor records.
type arena[T kernels.Float] struct {
	bufs    blockPool[kernels.Buf[T]]
	intBufs blockPool[kernels.Ints]
	tensors []*Tensor[T]
	nt      int
}

func newArena[T kernels.Float](dev kernels.Device[T]) arena[T] {
	var z T
	return arena[T]{
		bufs: newBlockPool(dev.Alloc, dev.Free,
			func(b kernels.Buf[T], n int) kernels.Buf[T] { return b.Slice(0, n) }, int64(unsafe.Sizeof(z))),
		intBufs: newBlockPool(dev.AllocInts, dev.FreeInts,
			func(b kernels.Ints, n int) kernels.Ints { return b.Slice(0, n) }, 4),
	}
}

func (a *arena[T]) buf(n int) kernels.Buf[T] { return a.bufs.get(n) }

func (a *arena[T]) ints(n int) kernels.Ints { return a.intBufs.get(n) }

func (a *arena[T]) tensor() *Tensor[T] {
	if a.nt == len(a.tensors) {
		a.tensors = append(a.tensors, &Tensor[T]{})
	}
	t := a.tensors[a.nt]
	a.nt++
	return t
}

func (a *arena[T]) reset() {
	a.bufs.reset()
	a.intBufs.reset()
	a.nt = 0
}

func (a *arena[T]) release() {
	a.bufs.release()
	a.intBufs.release()
	a.nt = 0
}

// heldBytes is the device memory the arena holds.
func (a *arena[T]) heldBytes() int64 { return a.bufs.held + a.intBufs.held }
