//go:build !unix

package speech

import "time"

// processCPUTime is not measured here; benchmarks then report 0 CPU time.
func processCPUTime() time.Duration { return 0 }
