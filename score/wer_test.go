package score

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Hand-worked alignments.
func TestAlignByHand(t *testing.T) {
	cases := []struct {
		ref, hyp           string
		hits, sub, del, in int
	}{
		{"the cat sat on the mat", "the cat sat on the mat", 6, 0, 0, 0},
		{"the cat sat on the mat", "the cat sat on mat", 5, 0, 1, 0},
		{"a b c", "a x c", 2, 1, 0, 0},
		// "a b" → "b c": delete a, keep b, insert c (2 edits) beats two substitutions.
		{"a b", "b c", 1, 0, 1, 1},
		{"", "a b", 0, 0, 0, 2},
		{"a b c d", "", 0, 0, 4, 0},
		// one=one, two→too, three=three, +for, four=four, +five.
		{"one two three four", "one too three for four five", 3, 1, 0, 2},
		// yes/no: one word dropped at the front, one inserted at the end.
		{"YES NO NO YES", "NO NO YES YES", 3, 0, 1, 1},
		{"x", "y", 0, 1, 0, 0},
		{"", "", 0, 0, 0, 0},
	}
	for _, c := range cases {
		got := Align(strings.Fields(c.ref), strings.Fields(c.hyp))
		want := EditCounts{Hits: c.hits, Substitutions: c.sub, Deletions: c.del, Insertions: c.in,
			RefLen: len(strings.Fields(c.ref)), HypLen: len(strings.Fields(c.hyp))}
		if got != want {
			t.Errorf("Align(%q, %q) = %+v, want %+v", c.ref, c.hyp, got, want)
		}
	}
}

func TestWERCorpus(t *testing.T) {
	refs := []string{"the cat sat on the mat", "a b c", "one two three four"}
	hyps := []string{"the cat sat on mat", "a x c", "one too three for four five"}
	e, err := WER(refs, hyps)
	if err != nil {
		t.Fatal(err)
	}
	want := EditCounts{Hits: 10, Substitutions: 2, Deletions: 1, Insertions: 2, RefLen: 13, HypLen: 14}
	if e.Total != want {
		t.Fatalf("total %+v, want %+v", e.Total, want)
	}
	if r := e.Rate(); math.Abs(r-5.0/13) > 1e-15 {
		t.Errorf("WER %v, want 5/13", r)
	}
	if s := e.String(); s != "WER 38.46% (S 2 D 1 I 2 / 13 words, 3 utterances)" {
		t.Errorf("String %q", s)
	}
	if _, err := WER(refs, hyps[:2]); err == nil {
		t.Error("no error for 3 references and 2 hypotheses")
	}
}

func TestCERByHand(t *testing.T) {
	// "abc de" vs "abd  e" (spaces collapse): a b, c→d, space, d deleted, e.
	e, err := CER([]string{"abc de", "ñu"}, []string{"abd  e", "nu"})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.PerUtterance[0]; got != (EditCounts{Hits: 4, Substitutions: 1, Deletions: 1, RefLen: 6, HypLen: 5}) {
		t.Errorf("utterance 0: %+v", got)
	}
	if got := e.PerUtterance[1]; got != (EditCounts{Hits: 1, Substitutions: 1, RefLen: 2, HypLen: 2}) {
		t.Errorf("utterance 1 (multi-byte): %+v", got)
	}
	if r := e.Rate(); math.Abs(r-3.0/8) > 1e-15 {
		t.Errorf("CER %v, want 3/8", r)
	}
}

func TestRateWithoutReference(t *testing.T) {
	if r := (EditCounts{}).Rate(); r != 0 {
		t.Errorf("empty vs empty: %v", r)
	}
	if r := (EditCounts{Insertions: 2, HypLen: 2}).Rate(); !math.IsInf(r, 1) {
		t.Errorf("empty reference, 2 insertions: %v", r)
	}
}

// bruteAlign tries every alignment: the least (edits, substitutions) pair.
func bruteAlign(ref, hyp []string) (edits, subs int) {
	if len(ref) == 0 {
		return len(hyp), 0
	}
	if len(hyp) == 0 {
		return len(ref), 0
	}
	e, s := bruteAlign(ref[1:], hyp[1:])
	if ref[0] != hyp[0] {
		e, s = e+1, s+1
	}
	if e2, s2 := bruteAlign(ref[1:], hyp); e2+1 < e || (e2+1 == e && s2 < s) {
		e, s = e2+1, s2
	}
	if e2, s2 := bruteAlign(ref, hyp[1:]); e2+1 < e || (e2+1 == e && s2 < s) {
		e, s = e2+1, s2
	}
	return e, s
}

func TestAlignAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c"}
	draw := func() []string {
		s := make([]string, rng.IntN(7))
		for i := range s {
			s[i] = words[rng.IntN(len(words))]
		}
		return s
	}
	for range 2000 {
		ref, hyp := draw(), draw()
		c := Align(ref, hyp)
		edits, subs := bruteAlign(ref, hyp)
		if c.Errors() != edits || c.Substitutions != subs || c.Deletions-c.Insertions != len(ref)-len(hyp) ||
			c.Hits+c.Substitutions+c.Deletions != len(ref) || c.Hits+c.Substitutions+c.Insertions != len(hyp) || min(c.Deletions, c.Insertions) < 0 {
			t.Fatalf("Align(%q, %q) = %+v, brute force: %d edits, %d substitutions", ref, hyp, c, edits, subs)
		}
	}
}
