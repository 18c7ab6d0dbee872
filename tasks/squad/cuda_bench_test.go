//go:build cuda || cudaemu

package squad

import (
	"testing"

	"github.com/gosru/gosru/internal/devcheck"
)

// BenchmarkComponentsCUDA is BenchmarkComponents on the CUDA device (strict FP32 unless
// SRU_CUDA_TF32=1; SRU_CUDA_DEVICE picks the GPU): the RNN and the rest of a training step of
// each reader, the paper-size pair being the one the DrQA README's GPU timing compares.
// scripts/gpu_check.sh runs it on a GPU:
//
//	squad.test -test.run '^$' -test.bench ComponentsCUDA -test.benchtime 20x
func BenchmarkComponentsCUDA(b *testing.B) {
	benchComponents(b, devcheck.OpenCUDA[float32](b))
}
