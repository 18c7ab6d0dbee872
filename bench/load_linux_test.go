package bench

import (
	"testing"
	"time"
)

func TestOtherCPUPercent(t *testing.T) {
	t0 := time.Unix(100, 0)
	a := cpuSample{busy: 1000, total: 5000, self: time.Second, wall: t0, ok: true}
	// 2 CPUs for 1 s at 100 ticks/s: 200 ticks, 150 busy, of which this process 0.5 s = 50.
	b := cpuSample{busy: 1150, total: 5200, self: 1500 * time.Millisecond, wall: t0.Add(time.Second), ok: true}
	if got := otherCPUPercentOf(a, b, 2); got != 50 {
		t.Errorf("other CPU %g%%, want 50%%", got)
	}
	if got := otherCPUPercentOf(a, cpuSample{}, 2); got != -1 {
		t.Errorf("with a failed sample: %g, want -1", got)
	}
	if s := sampleCPU(); !s.ok || s.total <= 0 || s.busy > s.total {
		t.Errorf("sample of this machine %+v", s)
	}
}
