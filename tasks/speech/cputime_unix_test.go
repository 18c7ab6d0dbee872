//go:build unix

package speech

import (
	"syscall"
	"time"
)

// processCPUTime is the user plus system CPU time of the process so far, for benchmarks on a
// shared machine where wall-clock time per operation also measures the other processes.
func processCPUTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
