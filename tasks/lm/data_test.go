package lm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadTokens(t *testing.T) {
	got, err := ReadTokens(strings.NewReader(" the cat <unk> \n\n a  N dog\t\nlast"))
	if err != nil {
		t.Fatal(err)
	}
	// Every line ends with <eos>, blank ones too (Python's line.split() + [eos]); no empty
	// line follows the final newline-less one.
	want := []string{"the", "cat", "<unk>", EOS, EOS, "a", "N", "dog", EOS, "last", EOS}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestNewCorpus(t *testing.T) {
	c, err := NewCorpus(strings.Fields("b a <unk> b c"), strings.Fields("a zebra"), strings.Fields("c"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Vocab.Words, []string{"b", "a", "<unk>", "c"}) {
		t.Errorf("vocabulary %q: want training words in order of first occurrence", c.Vocab.Words)
	}
	if !slices.Equal(c.Train, []int32{0, 1, 2, 0, 3}) || !slices.Equal(c.Valid, []int32{1, 2}) || !slices.Equal(c.Test, []int32{3}) {
		t.Errorf("ids train %v valid %v test %v", c.Train, c.Valid, c.Test)
	}
	if _, err := NewCorpus([]string{"a"}, []string{"zebra"}, nil); err == nil || !strings.Contains(err.Error(), "zebra") {
		t.Errorf("an unknown word without <unk>: error %v", err)
	}
}

// TestStream: the official create_batches layout and the windows that cover it.
func TestStream(t *testing.T) {
	ids := make([]int32, 23)
	for i := range ids {
		ids[i] = int32(i)
	}
	s, err := newStream(ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	// (23−1)/3 = 7 steps per stream: stream b reads tokens 7b..7b+6 and predicts the ones after
	// them; token 22 is dropped (it cannot fill a step of every stream).
	if s.Steps != 7 || s.tokens() != 21 {
		t.Fatalf("steps %d tokens %d", s.Steps, s.tokens())
	}
	for b := 0; b < 3; b++ {
		for tt := 0; tt < 7; tt++ {
			if x, y := s.x[tt*3+b], s.y[tt*3+b]; x != int32(7*b+tt) || y != x+1 {
				t.Fatalf("stream %d step %d: x %d y %d", b, tt, x, y)
			}
		}
	}
	if n := s.windows(3); n != 3 {
		t.Fatalf("%d windows of 3 over 7 steps", n)
	}
	var seen []int32
	for i := range 3 {
		x, y, L := s.window(i, 3)
		if len(x) != L*3 || len(y) != L*3 || L != []int{3, 3, 1}[i] {
			t.Fatalf("window %d: L %d, %d inputs", i, L, len(x))
		}
		seen = append(seen, x...)
	}
	if !slices.Equal(seen, s.x) {
		t.Fatal("the windows do not cover the stream in order")
	}
	if _, err := newStream(ids[:3], 4); err == nil {
		t.Error("3 tokens in 4 streams: no error")
	}
}

// TestLoadPTB checks the staged Penn Treebank against its documented counts. It is skipped
// without $SRU_DATA; with it set, missing files fail the test (a broken data path must not pass).
func TestLoadPTB(t *testing.T) {
	dir := os.Getenv("SRU_DATA")
	if dir == "" {
		t.Skip("SRU_DATA is not set, so the staged Penn Treebank cannot be checked")
	}
	c, err := Load(dir, "ptb")
	if err != nil {
		t.Fatalf("SRU_DATA=%s: %v", dir, err)
	}
	// Tokens without <eos> plus one <eos> per line (shared/data/README.md).
	if len(c.Train) != 887521+42068 || len(c.Valid) != 70390+3370 || len(c.Test) != 78669+3761 {
		t.Errorf("tokens train %d valid %d test %d", len(c.Train), len(c.Valid), len(c.Test))
	}
	if n := len(c.Vocab.Words); n != 10000 {
		t.Errorf("vocabulary of %d words, want 10000", n)
	}
	if _, ok := c.Vocab.ID(EOS); !ok {
		t.Error("no <eos>")
	}
}

func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, "ptb")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{filepath.Join(dir, "lm", "ptb", "ptb.train.txt.gz"), "sru data download ptb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// writeTinyCorpus writes a small corpus with learnable structure as gzipped ptb files under a
// new data directory and returns the directory: sentences "w_a w_(a+1) ... " counting up mod
// a small vocabulary, of random lengths.
func writeTinyCorpus(t testing.TB, trainLines int) string {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	const words = 12
	for _, sp := range []struct {
		split string
		lines int
	}{{"train", trainLines}, {"valid", 30}, {"test", 30}} {
		lines := make([]string, sp.lines)
		for i := range lines {
			w := rng.IntN(words)
			var b strings.Builder
			for range 2 + rng.IntN(6) {
				fmt.Fprintf(&b, " w%d", w)
				w = (w + 1) % words
			}
			lines[i] = b.String()
		}
		if err := WriteSplit(dir, "ptb", sp.split, lines); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadTiny(t *testing.T) {
	c, err := Load(writeTinyCorpus(t, 50), "ptb")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Vocab.Words) != 13 { // w0..w11 and <eos>
		t.Errorf("vocabulary %q", c.Vocab.Words)
	}
}
