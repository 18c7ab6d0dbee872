package classification

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The files in testdata were written by a few lines of Python (struct.pack for the binary
// one), not by this package. w2v.bin stores for "bad" a float whose bytes are "\n \n ", which a
// line-based reader would cut apart.
func TestLoadVectors(t *testing.T) {
	odd := math.Float32frombits(0x200a200a)
	want := map[string][]float32{
		"the": {0.1, 0.2, 0.3}, "film": {-1, 0.5, 2}, "good": {0.1, 0, -0.25}, "bad": {3, 4, 0},
	}
	cases := []struct {
		file, format string
		words        []string // in file order, the wanted ones
	}{
		{"w2v.txt", "word2vec-text", []string{"the", "film", "good", "bad"}},
		{"w2v.bin", "word2vec-binary", []string{"the", "film", "good", "bad"}},
		{"glove.txt", "glove", []string{"the", "film", ". . .", "good"}},
		{"glove.txt.gz", "glove", []string{"the", "film", ". . .", "good"}},
	}
	for _, c := range cases {
		// "missing" is wanted but absent; "film" is not wanted.
		wanted := map[string]bool{"the": true, "good": true, "bad": true, ". . .": true, "missing": true}
		v, err := LoadVectors(filepath.Join("testdata", c.file), func(w string) bool { return wanted[w] })
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if v.Format != c.format || v.Dim != 3 {
			t.Errorf("%s: format %q dim %d, want %q 3", c.file, v.Format, v.Dim, c.format)
		}
		var loaded []string
		for _, w := range c.words {
			if wanted[w] {
				loaded = append(loaded, w)
			}
		}
		if !slices.Equal(v.Words, loaded) {
			t.Errorf("%s: loaded %q, want %q", c.file, v.Words, loaded)
		}
		for _, w := range v.Words {
			exp := want[w]
			if w == ". . ." {
				exp = []float32{7, 8, 9}
			}
			if w == "bad" && c.format == "word2vec-binary" {
				exp = []float32{odd, 4, 0}
			}
			if got := v.Vector(w); !slices.Equal(got, exp) {
				t.Errorf("%s: %q = %v, want %v", c.file, w, got, exp)
			}
		}
		if v.Vector("film") != nil || v.Vector("missing") != nil {
			t.Errorf("%s: holds a word it was not asked for or does not have", c.file)
		}
	}
}

func TestLoadVectorsErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"short.txt":  "the 1 2 3\nfilm 1 2\n", // GloVe, second line too short
		"bad.txt":    "the 1 2 3\nfilm 1 x 3\n",
		"trunc.bin":  "2 3\nthe \x00\x00\x80\x3f",
		"empty.txt":  "",
		"nowords.gz": "\x1f\x8bnot gzip",
	}
	for name, text := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		if _, err := LoadVectors(p, func(string) bool { return true }); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	if _, err := LoadVectors(filepath.Join(dir, "absent"), func(string) bool { return true }); err == nil {
		t.Error("no error for a missing file")
	}
}
