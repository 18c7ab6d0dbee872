package golden

import (
	"encoding/json"
	"fmt"
	"os"
)

// CTCCase is one CTC loss case: PyTorch's F.ctc_loss over log_softmax(logits) with reduction
// 'none' (../shared/golden/ctc/README.md gives the format).
type CTCCase struct {
	Kind          string        `json:"kind"`
	Name          string        `json:"name"`
	Blank         int           `json:"blank"`
	Logits        [][][]float64 `json:"logits"` // [T][N][C]
	Targets       [][]int32     `json:"targets"`
	InputLengths  []int         `json:"input_lengths"`
	TargetLengths []int         `json:"target_lengths"`
	Loss          []float64     `json:"loss"`
	GradLogits    [][][]float64 `json:"grad_logits"` // of Σ loss, [T][N][C]
}

// LoadCTC reads a CTC case and checks that its arrays agree in shape.
func LoadCTC(path string) (*CTCCase, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	var c CTCCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("golden: %s: %w", path, err)
	}
	if c.Kind != "ctc" {
		return nil, fmt.Errorf("golden: %s: kind %q, want \"ctc\"", path, c.Kind)
	}
	T, N, C := c.Dims()
	if N == 0 || C == 0 || len(c.Targets) != N || len(c.InputLengths) != N || len(c.TargetLengths) != N ||
		len(c.Loss) != N || len(c.GradLogits) != T {
		return nil, fmt.Errorf("golden: %s: inconsistent shapes (T=%d, N=%d, C=%d)", path, T, N, C)
	}
	for t := range T {
		if len(c.Logits[t]) != N || len(c.GradLogits[t]) != N {
			return nil, fmt.Errorf("golden: %s: frame %d has %d/%d sequences, want %d", path, t, len(c.Logits[t]),
				len(c.GradLogits[t]), N)
		}
		for n := range N {
			if len(c.Logits[t][n]) != C || len(c.GradLogits[t][n]) != C {
				return nil, fmt.Errorf("golden: %s: frame %d sequence %d has %d classes, want %d", path, t, n,
					len(c.Logits[t][n]), C)
			}
		}
	}
	for n, tg := range c.Targets {
		if len(tg) != c.TargetLengths[n] {
			return nil, fmt.Errorf("golden: %s: target %d has %d labels but target_lengths says %d", path, n,
				len(tg), c.TargetLengths[n])
		}
	}
	return &c, nil
}

// Dims returns T, N and C of the logits.
func (c *CTCCase) Dims() (T, N, C int) {
	T = len(c.Logits)
	if T > 0 {
		N = len(c.Logits[0])
		if N > 0 {
			C = len(c.Logits[0][0])
		}
	}
	return T, N, C
}

// Flat returns a [T][N][C] array row-major.
func Flat(x [][][]float64) []float64 {
	var out []float64
	for _, a := range x {
		for _, b := range a {
			out = append(out, b...)
		}
	}
	return out
}

// CTCDir is the directory of CTC cases: $SRU_GOLDEN_CTC_DIR, else ../shared/golden/ctc (see
// CaseDir).
func CTCDir() (dir string, set bool, err error) { return CaseDir("SRU_GOLDEN_CTC_DIR", "ctc") }
