package golden_test

import (
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels"
)

// TestGolden runs every case in $SRU_GOLDEN_DIR (default ../shared/golden/sru beside the
// repository) through the float64 path (max abs error ≤ 1e-9) and the float32 path (≤ 1e-5).
func TestGolden(t *testing.T) {
	cpu64 := kernels.MustCPU[float64]()
	cpu32 := kernels.MustCPU[float32]()
	golden.Each(t, func(t *testing.T, gc *golden.Case) {
		switch gc.Kind {
		case "sru":
			t.Run("float64", func(t *testing.T) { checkSRU(t, gc, cpu64, 1e-9) })
			t.Run("float32", func(t *testing.T) { checkSRU(t, gc, cpu32, 1e-5) })
		case "lstm":
			t.Run("float64", func(t *testing.T) { checkLSTM(t, gc, cpu64, 1e-9) })
			t.Run("float32", func(t *testing.T) { checkLSTM(t, gc, cpu32, 1e-5) })
		default:
			t.Fatalf("unknown case kind %q", gc.Kind)
		}
	})
}
