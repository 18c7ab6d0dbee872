package translation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// multi30kFiles are every staged Multi30K file; the BPE tests read them from $SRU_DATA (or
// ../../../shared/data) and fail when SRU_DATA is set and one is missing.
var multi30kFiles = []string{"train", "val", "test_2016_flickr", "test_2017_flickr", "test_2017_mscoco", "test_2018_flickr"}

func dataDir(t testing.TB) (string, bool) {
	if d := os.Getenv("SRU_DATA"); d != "" {
		return d, true
	}
	return filepath.Join("..", "..", "..", "shared", "data"), false
}

// multi30kLines returns every line of every staged Multi30K file (both languages), the
// training lines first; it skips the test when the data is absent and SRU_DATA unset.
func multi30kLines(t testing.TB) (trainLines, all []string) {
	dir, required := dataDir(t)
	for _, base := range multi30kFiles {
		for _, lang := range []string{"en", "de"} {
			p := filepath.Join(dir, "translation", "multi30k", base+"."+lang+".gz")
			lines, err := readFile(p)
			if err != nil {
				if os.IsNotExist(err) || strings.Contains(err.Error(), "no such file") {
					if required {
						t.Fatalf("SRU_DATA is set but %s is missing", p)
					}
					t.Skipf("Multi30K not found (%v); set SRU_DATA", err)
				}
				t.Fatal(err)
			}
			if base == "train" {
				trainLines = append(trainLines, lines...)
			}
			all = append(all, lines...)
		}
	}
	return trainLines, all
}

func TestBPEDeterministic(t *testing.T) {
	texts := []string{"a b a b ab ab ba", "aaa aaa aa", "low lower lowest newer wider", "ab ba ab ba"}
	var first *BPE
	for run := 0; run < 5; run++ {
		// The same texts in another order give the same word counts, hence the same merges.
		in := slices.Clone(texts)
		if run%2 == 1 {
			slices.Reverse(in)
		}
		b, err := TrainBPE(in, BPEConfig{Merges: 50, MinFrequency: 1})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
			continue
		}
		if !slices.Equal(b.Pieces, first.Pieces) || !slices.Equal(b.Merges, first.Merges) {
			t.Fatalf("run %d: merges %v, first run %v", run, b.Merges, first.Merges)
		}
	}
	// Ties: "▁a"+"b"... every pair of "ab ba" counts equally; the first merge is the smallest
	// pair in byte order among the most frequent.
	b, _ := TrainBPE([]string{"xy yx"}, BPEConfig{Merges: 1, MinFrequency: 1})
	if len(b.Merges) != 0 {
		t.Fatalf("pairs seen once are not merged, got %v", b.Merges)
	}
	b, _ = TrainBPE([]string{"xy yx xy yx"}, BPEConfig{Merges: 1, MinFrequency: 1})
	if want := [2]string{"x", "y"}; len(b.Merges) != 1 || b.Merges[0] != want {
		t.Fatalf("tie broken as %v, want %v (the smallest of the pairs counted twice)", b.Merges, want)
	}
}

// TestBPECountsExact checks the incremental pair counts against a recount from scratch after
// each merge, on words where occurrences overlap and neighbour each other.
func TestBPECountsExact(t *testing.T) {
	texts := []string{"aaaa aaa abab ababab aab baba", "abab aaaa bbbb abba", "aaaaaaa"}
	b, err := TrainBPE(texts, BPEConfig{Merges: 12, MinFrequency: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Replay: at each step the chosen merge must be the best pair of a from-scratch count.
	var words [][]string
	for _, tx := range texts {
		for _, w := range strings.Split(tx, " ") {
			var s []string
			for _, r := range Marker + w {
				s = append(s, string(r))
			}
			words = append(words, s)
		}
	}
	for k, m := range b.Merges {
		counts := map[[2]string]int{}
		for _, w := range words {
			for j := 0; j+1 < len(w); j++ {
				counts[[2]string{w[j], w[j+1]}]++
			}
		}
		best, bestN := [2]string{}, 0
		for p, n := range counts {
			if n > bestN || n == bestN && comparePairs(p, best) < 0 {
				best, bestN = p, n
			}
		}
		if m != best {
			t.Fatalf("merge %d is %v, a recount gives %v (%d)", k, m, best, bestN)
		}
		for i, w := range words {
			var out []string
			for j := 0; j < len(w); j++ {
				if j+1 < len(w) && w[j] == m[0] && w[j+1] == m[1] {
					out = append(out, m[0]+m[1])
					j++
				} else {
					out = append(out, w[j])
				}
			}
			words[i] = out
		}
	}
}

func TestBPERoundTripMulti30K(t *testing.T) {
	trainLines, all := multi30kLines(t)
	start := time.Now()
	b, err := TrainBPE(trainLines, BPEConfig{Merges: 8000, MinFrequency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BPE: %d merges on %d training lines in %v; vocabulary %d", len(b.Merges), len(trainLines), time.Since(start), b.Size())
	tokens := 0
	cache := map[string][]int32{}
	for i, line := range all {
		if strings.Contains(line, Marker) {
			t.Fatalf("line %d holds the marker %q", i, Marker)
		}
		ids := b.EncodeCached(line, cache)
		if i%50 == 0 { // the cache changes nothing
			if plain := b.Encode(line); !slices.Equal(plain, ids) {
				t.Fatalf("line %d: cached encoding %v, plain %v", i, ids, plain)
			}
		}
		tokens += len(ids)
		if got := b.Decode(ids); got != line {
			t.Fatalf("line %d: %q decodes to %q", i, line, got)
		}
	}
	t.Logf("%d lines, %d subword tokens", len(all), tokens)
	// Merges are learned greedily, so a shorter run must give the first merges again.
	again, err := TrainBPE(trainLines, BPEConfig{Merges: 1500, MinFrequency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Merges, b.Merges[:1500]) {
		t.Fatal("a second training on the same text gave other merges")
	}
}

func TestBPEUnknownCharacters(t *testing.T) {
	b, err := TrainBPE([]string{"the cat sat", "the hat"}, BPEConfig{Merges: 10, MinFrequency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"the 猫 sat", "€uro  two  spaces ", " leading", "", "ü", "tab\there"} {
		ids := b.Encode(text)
		if got := b.Decode(ids); got != text {
			t.Errorf("%q → %v → %q", text, ids, got)
		}
	}
	ids := b.Encode("猫")
	// "▁" is known; the cat is three UTF-8 bytes.
	if len(ids) != 4 || ids[1] != byteBase+0xE7 {
		t.Errorf("unknown character spelled as %v, want the marker then 3 byte tokens", ids)
	}
	// A rare character below the minimum frequency is spelled in bytes too.
	r, _ := TrainBPE([]string{"aa aa aa z"}, BPEConfig{Merges: 3, MinFrequency: 2})
	if got := r.Decode(r.Encode("aa z")); got != "aa z" {
		t.Errorf("rare character: %q", got)
	}
}

func TestBPESaveLoad(t *testing.T) {
	b, _ := TrainBPE([]string{"low lower lowest", "newer wider new"}, BPEConfig{Merges: 20, MinFrequency: 1})
	data, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var c BPE
	if err := c.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Pieces, c.Pieces) || !slices.Equal(b.Merges, c.Merges) {
		t.Fatalf("loaded %v, saved %v", c.Pieces, b.Pieces)
	}
}
