package squad

import (
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkRNN times the RNN part of BenchmarkComponents alone (rnn: both encoders forward
// and backward), one reader per run, for CPU profiles of one model:
//
//	SRU_BLAS_THREADS=1 go test -run - -bench 'RNN/cpu/sru' -benchtime 40x -cpuprofile sru.prof ./tasks/squad
func BenchmarkRNN(b *testing.B) {
	for _, size := range []string{"cpu", "paper"} {
		for _, model := range []string{"sru", "lstm"} {
			b.Run(size+"/"+model, func(b *testing.B) {
				r := newBenchReader(b, model, size)
				for range 2 { // warm the arenas
					r.runRNN()
				}
				b.ResetTimer()
				for range b.N {
					r.runRNN()
				}
			})
		}
	}
}

func (r *benchReader) runRNN() {
	r.g.Reset()
	r.ps.ZeroGrad()
	r.rnn()
}

// processCPU is the CPU time of the whole process (every thread: the pool's workers and the
// BLAS threads included).
func processCPU() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTime = 2 // CLOCK_PROCESS_CPUTIME_ID
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return time.Duration(ts.Nano())
}

// TestRNNCPUTime measures the RNN part of the SRU and the LSTM reader as CPU time, which a
// loaded machine disturbs far less than wall time: the two readers alternate, 30 times each,
// and it logs the medians of process CPU time and wall time per rnn call and the LSTM/SRU
// ratio of CPU time. With SRU_BLAS_THREADS=1 GOMAXPROCS=1 the CPU time is the work alone;
// with the defaults it adds what the threads spend waiting for each other (OpenBLAS's
// sched_yield loops). It runs only when SQUAD_RNN_CPUTIME names the size (cpu or paper):
//
//	SQUAD_RNN_CPUTIME=cpu SRU_BLAS_THREADS=1 GOMAXPROCS=1 go test -count 1 -v -run RNNCPUTime ./tasks/squad
func TestRNNCPUTime(t *testing.T) {
	size := os.Getenv("SQUAD_RNN_CPUTIME")
	if size == "" {
		t.Skip("SQUAD_RNN_CPUTIME (cpu or paper) is unset")
	}
	if _, ok := benchShapes[size]; !ok {
		t.Fatalf("SQUAD_RNN_CPUTIME=%q: want cpu or paper", size)
	}
	b := &testing.B{}
	rs := []*benchReader{newBenchReader(b, "sru", size), newBenchReader(b, "lstm", size)}
	cpu, wall := make([][]time.Duration, len(rs)), make([][]time.Duration, len(rs))
	const warm, reps = 2, 30
	for i := range warm + reps {
		for k, r := range rs {
			c0, w0 := processCPU(), time.Now()
			r.runRNN()
			if i >= warm {
				cpu[k] = append(cpu[k], processCPU()-c0)
				wall[k] = append(wall[k], time.Since(w0))
			}
		}
	}
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	for k, r := range rs {
		t.Logf("%s %s rnn: CPU %.1f ms, wall %.1f ms (medians of %d)", size, r.model,
			1000*median(cpu[k]).Seconds(), 1000*median(wall[k]).Seconds(), reps)
	}
	t.Logf("lstm/sru rnn CPU time: %.2f", float64(median(cpu[1]))/float64(median(cpu[0])))
}
