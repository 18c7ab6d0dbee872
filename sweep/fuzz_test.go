package sweep_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gosru/gosru/sweep"
)

// FuzzParse: any text, however malformed, gives a sweep or an error, never a panic; a sweep
// that parses expands or fails with an error (its experiment files may not exist).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "experiments", "sweeps", "*.toml"))
	for _, name := range files {
		if text, err := os.ReadFile(name); err == nil {
			f.Add(string(text))
		}
	}
	f.Add("experiments = [\"a.toml\"]\nseeds = [1, 2]\n[axes]\n\"train.lr\" = [0.1, 0.2]\n")
	f.Add("experiments = []\nfolds = \"all\"\n")
	f.Add("[axes]\ntrain.lr = [1]\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := sweep.Parse("fuzz.toml", []byte(text))
		if err != nil {
			return
		}
		_, _ = s.Expand()
	})
}
