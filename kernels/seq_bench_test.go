package kernels

import (
	"math/rand/v2"
	"testing"
)

// Attention kernels at the size of a SQuAD reader's passage attention: B = 32 questions of
// Lq = 40 words over passages of Ls = 300 words, width D = 256.
const benchB, benchLq, benchLs, benchD = 32, 40, 300, 256

func BenchmarkMaskedSoftmax(b *testing.B) {
	d := MustCPU[float32]()
	rng := rand.New(rand.NewPCG(1, 1))
	rows := benchB * benchLq
	x, y, dx, dy := nkRand[float32](rng, rows*benchLs, 4), make([]float32, rows*benchLs),
		make([]float32, rows*benchLs), nkRand[float32](rng, rows*benchLs, 1)
	lengths := make([]int32, benchB)
	for i := range lengths {
		lengths[i] = int32(100 + rng.IntN(benchLs-100))
	}
	b.Run("fwd", func(b *testing.B) {
		for range b.N {
			d.MaskedSoftmax(rows, benchLs, benchB, benchLq, HostBuf(y), HostBuf(x), HostInts(lengths), Buf[float32]{})
		}
	})
	b.Run("bwd", func(b *testing.B) {
		for range b.N {
			d.SoftmaxBackward(rows, benchLs, HostBuf(dx), HostBuf(y), HostBuf(dy))
		}
	})
}

// BenchmarkAttentionGemm: the batched products of dot attention with time-major operands read
// in place, against one plain GEMM of the same FLOPs (their floor).
func BenchmarkAttentionGemm(b *testing.B) {
	d := MustCPU[float32]()
	b.Log(d.Name())
	rng := rand.New(rand.NewPCG(2, 2))
	q := nkRand[float32](rng, benchLq*benchB*benchD, 1)
	mem := nkRand[float32](rng, benchLs*benchB*benchD, 1)
	s := make([]float32, benchB*benchLq*benchLs)
	ctx := make([]float32, benchLq*benchB*benchD)
	b.Run("scores batched", func(b *testing.B) { // [B, Lq, Ls] = q [Lq, B, D] · mem [Ls, B, D]ᵀ
		for range b.N {
			d.GemmStridedBatched(false, true, benchLq, benchLs, benchD, 1, HostBuf(q), benchB*benchD, benchD,
				HostBuf(mem), benchB*benchD, benchD, 0, HostBuf(s), benchLs, benchLq*benchLs, benchB)
		}
	})
	b.Run("scores batched batch-first", func(b *testing.B) { // q [B, Lq, D], mem [B, Ls, D]: contiguous
		for range b.N {
			d.GemmStridedBatched(false, true, benchLq, benchLs, benchD, 1, HostBuf(q), benchD, benchLq*benchD,
				HostBuf(mem), benchD, benchLs*benchD, 0, HostBuf(s), benchLs, benchLq*benchLs, benchB)
		}
	})
	b.Run("scores one GEMM", func(b *testing.B) { // [B·Lq, D]·[D, Ls]: the same FLOPs
		for range b.N {
			d.Gemm(false, true, benchB*benchLq, benchLs, benchD, 1, HostBuf(q), benchD, HostBuf(mem[:benchLs*benchD]),
				benchD, 0, HostBuf(s), benchLs)
		}
	})
	b.Run("context batched", func(b *testing.B) { // [Lq, B, D] = s [B, Lq, Ls] · mem [Ls, B, D]
		for range b.N {
			d.GemmStridedBatched(false, false, benchLq, benchD, benchLs, 1, HostBuf(s), benchLs, benchLq*benchLs,
				HostBuf(mem), benchB*benchD, benchD, 0, HostBuf(ctx), benchB*benchD, benchD, benchB)
		}
	})
	b.Run("context one GEMM", func(b *testing.B) {
		for range b.N {
			d.Gemm(false, false, benchB*benchLq, benchD, benchLs, 1, HostBuf(s), benchLs, HostBuf(mem[:benchLs*benchD]),
				benchD, 0, HostBuf(ctx), benchD)
		}
	})
}

// BenchmarkAdditiveScores: Bahdanau scores with H = 128 (B·Lq·Ls·H ≈ 49M tanh).
func BenchmarkAdditiveScores(b *testing.B) {
	const H = 128
	d := MustCPU[float32]()
	rng := rand.New(rand.NewPCG(3, 3))
	q, k, v := nkRand[float32](rng, benchLq*benchB*H, 1), nkRand[float32](rng, benchLs*benchB*H, 1), nkRand[float32](rng, H, 1)
	s, ds := make([]float32, benchB*benchLq*benchLs), nkRand[float32](rng, benchB*benchLq*benchLs, 1)
	dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, H)
	b.Run("fwd", func(b *testing.B) {
		for range b.N {
			d.AdditiveScores(benchLq, benchLs, benchB, H, HostBuf(s), HostBuf(q), HostBuf(k), HostBuf(v))
		}
	})
	b.Run("bwd", func(b *testing.B) {
		for range b.N {
			d.AdditiveScoresBackward(benchLq, benchLs, benchB, H, HostBuf(dq), HostBuf(dk), HostBuf(dv), HostBuf(ds),
				HostBuf(q), HostBuf(k), HostBuf(v))
		}
	})
}
