//go:build cuda || cudaemu

package golden_test

import (
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels/cuda"
)

// TestGoldenCTCCUDA runs every CTC case through nn.CTCLoss on the CUDA device, with the bars of
// TestGoldenCTC: float64 within 1e-9, float32 within 1e-4.
func TestGoldenCTCCUDA(t *testing.T) {
	opts, err := cuda.OptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	gpu32, err := cuda.Open[float32](opts)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu32.Close()
	gpu64, err := cuda.Open[float64](opts)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu64.Close()
	t.Logf("device: %s", gpu32.Name())
	eachCTC(t, func(t *testing.T, c *golden.CTCCase) {
		t.Run("float64", func(t *testing.T) { bind(t, gpu64); checkCTC(t, c, gpu64, 1e-9) })
		t.Run("float32", func(t *testing.T) { bind(t, gpu32); checkCTC(t, c, gpu32, 1e-4) })
	})
}
