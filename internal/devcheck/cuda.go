//go:build cuda || cudaemu

package devcheck

import (
	"testing"

	"github.com/gosru/gosru/kernels/cuda"
)

// OpenCUDA opens the CUDA device (SRU_CUDA_DEVICE picks the GPU) in float64, closed when t
// ends. Train binds it to the goroutine that runs each check.
func OpenCUDA(t testing.TB) *cuda.Device[float64] {
	t.Helper()
	opts, err := cuda.OptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := cuda.Open[float64](opts)
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
