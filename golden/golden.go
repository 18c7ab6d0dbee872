// Package golden reads the reference cases of the official SRU implementation and of PyTorch's
// LSTM (forward outputs and gradients in float64). The tests in this package hold the sru and
// lstm packages against every case in $SRU_GOLDEN_DIR.
package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Tensor is a row-major array from a case file.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Case is one golden file.
type Case struct {
	Kind    string                     `json:"kind"`
	Name    string                     `json:"name"`
	Config  map[string]json.RawMessage `json:"config"`
	Params  map[string]*Tensor         `json:"params"`
	Buffers map[string]*Tensor         `json:"buffers"`
	Grads   map[string]*Tensor         `json:"grads"`
	// Tensors holds the top-level arrays (x, c0, h, c, grad_h, mask_pad, y, hn, ...); a key
	// whose value is null is absent.
	Tensors map[string]*Tensor `json:"-"`
}

// Load reads a case file.
func Load(path string) (*Case, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	var c Case
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("golden: %s: %w", path, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("golden: %s: %w", path, err)
	}
	c.Tensors = map[string]*Tensor{}
	for k, v := range top {
		var t Tensor
		if json.Unmarshal(v, &t) == nil && t.Shape != nil {
			if n := size(t.Shape); n != len(t.Data) {
				return nil, fmt.Errorf("golden: %s: %s has shape %v but %d values", path, k, t.Shape, len(t.Data))
			}
			c.Tensors[k] = &t
		}
	}
	return &c, nil
}

func size(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Dir is the directory of golden cases: $SRU_GOLDEN_DIR, else ../shared/golden/sru beside the
// repository root.
func Dir() (string, error) {
	dir, _, err := CaseDir("SRU_GOLDEN_DIR", "sru")
	return dir, err
}

// CaseDir is the directory of one kind of golden case: $envVar, else ../shared/golden/<kind>
// beside the repository root (found by walking up to go.mod). set reports whether the variable
// was set: then a missing directory is an error, not a reason to skip.
func CaseDir(envVar, kind string) (dir string, set bool, err error) {
	if d := os.Getenv(envVar); d != "" {
		return d, true, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false, err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "golden", kind), false, nil
		}
		if filepath.Dir(d) == d {
			return "", false, fmt.Errorf("golden: no go.mod above %s; set %s", wd, envVar)
		}
	}
}

// Files lists the *.json cases in dir, sorted.
func Files(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// Int reads an integer config key (def when absent).
func (c *Case) Int(key string, def int) (int, error) {
	v, ok := c.Config[key]
	if !ok {
		return def, nil
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, fmt.Errorf("golden: config %s: %w", key, err)
	}
	return n, nil
}

// Float reads a number config key (def when absent).
func (c *Case) Float(key string, def float64) (float64, error) {
	v, ok := c.Config[key]
	if !ok {
		return def, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, fmt.Errorf("golden: config %s: %w", key, err)
	}
	return f, nil
}

// Bool reads a boolean config key (def when absent); 0/1 are accepted as the official code
// accepts them.
func (c *Case) Bool(key string, def bool) (bool, error) {
	v, ok := c.Config[key]
	if !ok {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return b, nil
	}
	var n float64
	if err := json.Unmarshal(v, &n); err != nil {
		return false, fmt.Errorf("golden: config %s: not a boolean: %s", key, v)
	}
	return n != 0, nil
}

// MaxAbsDiff is max |a−b|; +Inf when the lengths differ, NaN-safe (a NaN counts as +Inf).
func MaxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if d != d {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

// Each runs f on every case of Dir(), in a subtest named after its file; no case at all, or a
// file that does not load, fails the test.
func Each(t *testing.T, f func(t *testing.T, c *Case)) {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		hint := "set SRU_GOLDEN_DIR to the folder of the SRU and LSTM cases"
		if sub, _ := Files(filepath.Join(dir, "sru")); len(sub) > 0 {
			hint = "they are in " + filepath.Join(dir, "sru") + ": set SRU_GOLDEN_DIR to it"
		}
		t.Fatalf("no golden cases in %s (%s)", dir, hint)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			f(t, c)
		})
	}
}
