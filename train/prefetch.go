package train

import "sync/atomic"

// runningPrefetchers counts the loading goroutines alive (tests check that none leaks).
var runningPrefetchers atomic.Int64

// prefetcher loads a task's training batches in a goroutine, ahead of the steps that use them
// (see BatchLoader).
type prefetcher struct {
	ready chan loadedBatch
	stop  chan struct{}
	done  chan struct{}
}

// loadedBatch is what LoadBatch gave for batch index i.
type loadedBatch struct {
	i     int
	batch any
	err   error
}

// startPrefetch loads the batches of order, in order, keeping up to depth (≥ 1) of them ahead
// of the consumer: depth-1 wait in the channel and one more is being loaded or handed over.
// It stops after the first error (which it hands over like a batch).
func startPrefetch(load func(int) (any, error), order []int, depth int) *prefetcher {
	p := &prefetcher{ready: make(chan loadedBatch, depth-1), stop: make(chan struct{}), done: make(chan struct{})}
	runningPrefetchers.Add(1)
	go func() {
		defer runningPrefetchers.Add(-1)
		defer close(p.done)
		for _, i := range order {
			b, err := load(i)
			select {
			case p.ready <- loadedBatch{i: i, batch: b, err: err}:
			case <-p.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

// next waits for the next batch.
func (p *prefetcher) next() loadedBatch { return <-p.ready }

// close stops the goroutine (after the load it may be inside finishes) and waits for it.
func (p *prefetcher) close() {
	close(p.stop)
	<-p.done
}
