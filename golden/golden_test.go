package golden_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/golden"
	"github.com/gosru/gosru/kernels"
)

// TestGolden runs every case in $SRU_GOLDEN_DIR (default ../shared/golden/sru beside the
// repository) through the float64 path (max abs error ≤ 1e-9) and the float32 path (≤ 1e-5).
func TestGolden(t *testing.T) {
	dir, err := golden.Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, err := golden.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden cases in %s (set SRU_GOLDEN_DIR)", dir)
	}
	cpu64 := kernels.MustCPU[float64]()
	cpu32 := kernels.MustCPU[float32]()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			gc, err := golden.Load(f)
			if err != nil {
				t.Fatal(err)
			}
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
}
