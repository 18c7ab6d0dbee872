package kernels

import (
	"runtime"
	"sync"
)

// Task is a unit of parallel CPU work over the index range [0, n): Run(lo, hi) handles
// [lo, hi). Kernels keep their Task structs in the device, so dispatching allocates nothing.
type Task interface {
	Run(lo, hi int)
}

// Pool is a fixed set of worker goroutines that split independent index ranges (columns of a
// recurrence, rows of a matrix) between them. It is shared by all kernels of a device; BLAS
// calls do not run while a pool job runs, so the two never fight for cores.
type Pool struct {
	workers int
	jobs    chan poolJob
	wg      sync.WaitGroup
	close   sync.Once
}

type poolJob struct {
	t      Task
	lo, hi int
}

// NewPool starts workers goroutines (runtime.GOMAXPROCS(0) when workers <= 0).
func NewPool(workers int) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: workers, jobs: make(chan poolJob, 4*workers)}
	for i := 1; i < workers; i++ { // the calling goroutine is worker 0
		go func() {
			for j := range p.jobs {
				j.t.Run(j.lo, j.hi)
				p.wg.Done()
			}
		}()
	}
	return p
}

// Close stops the worker goroutines; the pool must not be used after. It may be called more
// than once.
func (p *Pool) Close() { p.close.Do(func() { close(p.jobs) }) }

// Workers is the number of goroutines that share a job.
func (p *Pool) Workers() int { return p.workers }

// Run calls t.Run over [0, n) split into chunks of at least grain indices, in parallel, and
// returns when all chunks are done. Small jobs run on the calling goroutine alone.
func (p *Pool) Run(t Task, n, grain int) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := p.workers
	if n/grain < chunks {
		chunks = n / grain
	}
	if chunks <= 1 {
		t.Run(0, n)
		return
	}
	size := (n + chunks - 1) / chunks
	count := (n + size - 1) / size
	p.wg.Add(count - 1)
	for lo := size; lo < n; lo += size {
		p.jobs <- poolJob{t, lo, min(lo+size, n)}
	}
	t.Run(0, size)
	p.wg.Wait()
}
