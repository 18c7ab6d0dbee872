package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is a snapshot of the machine's CPU time (from /proc/stat, in clock ticks) and this
// process's (from getrusage), to tell how much of a measurement other processes took.
type cpuSample struct {
	busy, total float64 // all CPUs, ticks
	self        time.Duration
	wall        time.Time
	ok          bool
}

func sampleCPU() cpuSample {
	s := cpuSample{wall: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 8 || f[0] != "cpu" {
		return s
	}
	for i, v := range f[1:] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return s
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		s.total += x
		if i != 3 && i != 4 { // idle, iowait
			s.busy += x
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return s
	}
	s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	s.ok = true
	return s
}

// otherCPUPercent is the share of all CPUs' time between a and b that other processes used,
// in percent, or −1 when unknown. Ticks per second are inferred from the sample itself.
func otherCPUPercent(a, b cpuSample) float64 { return otherCPUPercentOf(a, b, runtime.NumCPU()) }

func otherCPUPercentOf(a, b cpuSample, cpus int) float64 {
	dt := b.total - a.total
	wall := b.wall.Sub(a.wall).Seconds()
	if !a.ok || !b.ok || dt <= 0 || wall <= 0 {
		return -1
	}
	ticksPerCPUSecond := dt / wall
	self := (b.self - a.self).Seconds() * ticksPerCPUSecond / float64(cpus)
	return max(0, min(100, 100*(b.busy-a.busy-self)/dt))
}
