//go:build cuda || cudaemu

package golden_test

import (
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels/cuda"
)

// TestGoldenCUDA runs every golden case through the SRU and LSTM modules on the CUDA device:
// float32 within 1e-5 (the CPU device's bar) and float64 within 1e-9. The devices run
// asynchronously, as in training; the module code is the same as on the CPU.
func TestGoldenCUDA(t *testing.T) {
	opts, err := cuda.OptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	opts.TF32 = false // the bars assume strict FP32 GEMMs
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
	golden.Each(t, func(t *testing.T, gc *golden.Case) {
		// Subtests run on goroutines of their own: each binds the context first.
		switch gc.Kind {
		case "sru":
			t.Run("float32", func(t *testing.T) { bind(t, gpu32); checkSRU(t, gc, gpu32, 1e-5); syncOK(t, gpu32) })
			t.Run("float64", func(t *testing.T) { bind(t, gpu64); checkSRU(t, gc, gpu64, 1e-9); syncOK(t, gpu64) })
		case "lstm":
			t.Run("float32", func(t *testing.T) { bind(t, gpu32); checkLSTM(t, gc, gpu32, 1e-5); syncOK(t, gpu32) })
			t.Run("float64", func(t *testing.T) { bind(t, gpu64); checkLSTM(t, gc, gpu64, 1e-9); syncOK(t, gpu64) })
		default:
			t.Fatalf("unknown case kind %q", gc.Kind)
		}
	})
}

func bind(t *testing.T, d interface{ Bind() error }) {
	t.Helper()
	if err := d.Bind(); err != nil {
		t.Fatal(err)
	}
}

func syncOK(t *testing.T, d interface{ Sync() error }) {
	t.Helper()
	if err := d.Sync(); err != nil {
		t.Fatalf("device error: %v", err)
	}
}
