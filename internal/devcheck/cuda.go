//go:build cuda || cudaemu

package devcheck

import (
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/kernels/cuda"
)

// OpenCUDA opens the CUDA device in precision T (SRU_CUDA_DEVICE picks the GPU, SRU_CUDA_TF32
// lets float32 GEMMs use TF32), closed when t ends. It is bound to the calling goroutine;
// another goroutine calls Bind before using it.
func OpenCUDA[T kernels.Float](t testing.TB) *cuda.Device[T] {
	t.Helper()
	opts, err := cuda.OptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := cuda.Open[T](opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dev.Bind(); err != nil {
			t.Error(err)
		}
		if err := dev.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("device: %s", dev.Name())
	return dev
}
