//go:build !linux

package bench

// cpuSample is empty where /proc/stat does not exist: the share of other processes is unknown.
type cpuSample struct{}

func sampleCPU() cpuSample { return cpuSample{} }

func otherCPUPercent(a, b cpuSample) float64 { return -1 }
