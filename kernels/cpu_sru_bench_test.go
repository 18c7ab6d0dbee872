package kernels

import "testing"

// BenchmarkSRURecurrence times the fused recurrence alone (no GEMM) at the paper's larger size,
// one layer, batch 32, L = 128, out = 512, float32.
func BenchmarkSRURecurrence(b *testing.B) {
	dev := MustCPU[float32]()
	a, g := sruFixture[float32](sruCase{L: 128, B: 32, H: 512, Dirs: 1, K: 3, skip: true, saved: true}, 1)
	g.GC0 = Buf[float32]{}
	dev.SRUForward(a)
	b.Run("fwd", func(b *testing.B) {
		for range b.N {
			dev.SRUForward(a)
		}
	})
	b.Run("bwd", func(b *testing.B) {
		for range b.N {
			dev.SRUBackward(a, g)
		}
	})
}

// BenchmarkSRUForwardUnsaved is the forward without keeping the gates (inference).
func BenchmarkSRUForwardUnsaved(b *testing.B) {
	dev := MustCPU[float32]()
	a, _ := sruFixture[float32](sruCase{L: 128, B: 32, H: 512, Dirs: 1, K: 3, skip: true}, 1)
	b.ResetTimer()
	for range b.N {
		dev.SRUForward(a)
	}
}
