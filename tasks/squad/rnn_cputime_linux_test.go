package squad

import (
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/gosru/gosru/kernels"
)

// BenchmarkRNN times the RNN part of BenchmarkComponents alone (rnn: both encoders forward
// and backward), one reader per run, for CPU profiles of one model:
//
//	SRU_BLAS_THREADS=1 go test -run - -bench 'RNN/cpu/sru' -benchtime 40x -cpuprofile sru.prof ./tasks/squad
func BenchmarkRNN(b *testing.B) {
	for _, size := range []string{"cpu", "paper"} {
		for _, model := range []string{"sru", "lstm"} {
			b.Run(size+"/"+model, func(b *testing.B) {
				r := newBenchReader(b, kernels.MustCPU[float32](), model, size)
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

// BenchmarkRNNCPUTime measures the RNN part of the SRU and the LSTM reader as CPU time,
// which a loaded machine disturbs far less than wall time: the two readers alternate b.N
// times, and it reports the medians of process CPU time and of wall time per rnn call, and
// the LSTM/SRU ratio of each. With SRU_BLAS_THREADS=1 GOMAXPROCS=1 the CPU time is the work
// alone; with the defaults it adds what the threads spend waiting for each other (OpenBLAS's
// sched_yield loops):
//
//	SRU_BLAS_THREADS=1 GOMAXPROCS=1 go test -run - -bench RNNCPUTime/cpu -benchtime 30x ./tasks/squad
func BenchmarkRNNCPUTime(b *testing.B) {
	for _, size := range []string{"cpu", "paper"} {
		b.Run(size, func(b *testing.B) {
			rs := []*benchReader{newBenchReader(b, kernels.MustCPU[float32](), "sru", size), newBenchReader(b, kernels.MustCPU[float32](), "lstm", size)}
			for range 2 { // warm the arenas
				for _, r := range rs {
					r.runRNN()
				}
			}
			cpu, wall := make([][]time.Duration, len(rs)), make([][]time.Duration, len(rs))
			b.ResetTimer()
			for range b.N {
				for k, r := range rs {
					c0, w0 := processCPU(), time.Now()
					r.runRNN()
					cpu[k] = append(cpu[k], processCPU()-c0)
					wall[k] = append(wall[k], time.Since(w0))
				}
			}
			b.StopTimer()
			median := func(d []time.Duration) float64 {
				d = slices.Clone(d)
				slices.Sort(d)
				return d[len(d)/2].Seconds()
			}
			for k, r := range rs {
				b.ReportMetric(1000*median(cpu[k]), r.model+"-cpu-ms")
				b.ReportMetric(1000*median(wall[k]), r.model+"-wall-ms")
			}
			b.ReportMetric(median(cpu[1])/median(cpu[0]), "lstm/sru-cpu")
			b.ReportMetric(median(wall[1])/median(wall[0]), "lstm/sru-wall")
		})
	}
}
