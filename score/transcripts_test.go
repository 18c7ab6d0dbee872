package score

import (
	"strings"
	"testing"
)

func TestReadTranscriptsPlain(t *testing.T) {
	ts, err := ReadTranscripts(strings.NewReader("one two\r\n\nthree"), "ref.txt", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Transcript{{Text: "one two", Line: 1}, {Text: "", Line: 2}, {Text: "three", Line: 3}}
	if len(ts) != len(want) {
		t.Fatalf("%+v", ts)
	}
	for i := range want {
		if ts[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i+1, ts[i], want[i])
		}
	}
}

func TestPairTranscriptsByID(t *testing.T) {
	refs, err := ReadTranscripts(strings.NewReader("u1 yes no\nu2  no  no \n\nu3 yes\n"), "ref", true)
	if err != nil {
		t.Fatal(err)
	}
	hyps, err := ReadTranscripts(strings.NewReader("u2 no yes\nu1 yes no\n"), "hyp", true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PairTranscripts(refs, hyps)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.IDs, ",") != "u1,u2,u3" || strings.Join(p.Refs, "|") != "yes no|no no|yes" ||
		strings.Join(p.Hyps, "|") != "yes no|no yes|" || strings.Join(p.MissingHyps, ",") != "u3" {
		t.Fatalf("%+v", p)
	}
	e, err := WER(p.Refs, p.Hyps)
	if err != nil {
		t.Fatal(err)
	}
	if e.Total != (EditCounts{Hits: 3, Substitutions: 1, Deletions: 1, RefLen: 5, HypLen: 4}) {
		t.Errorf("%+v", e.Total)
	}
}

func TestTranscriptErrors(t *testing.T) {
	if _, err := ReadTranscripts(strings.NewReader("u1 a\nu1 b\n"), "ref.txt", true); err == nil ||
		!strings.Contains(err.Error(), `ref.txt:2: utterance id "u1" already on line 1`) {
		t.Errorf("duplicate id: %v", err)
	}
	refs, _ := ReadTranscripts(strings.NewReader("u1 a\n"), "ref", true)
	hyps, _ := ReadTranscripts(strings.NewReader("u1 a\nu9 b\n"), "hyp", true)
	if _, err := PairTranscripts(refs, hyps); err == nil || !strings.Contains(err.Error(), `line 2: utterance id "u9" has no reference`) {
		t.Errorf("extra hypothesis: %v", err)
	}
	plain, _ := ReadTranscripts(strings.NewReader("a\nb\n"), "ref", false)
	if _, err := PairTranscripts(plain, hyps); err == nil {
		t.Error("no error mixing plain and id files")
	}
	if _, err := PairTranscripts(plain, plain[:1]); err == nil || !strings.Contains(err.Error(), "2 reference lines but 1 hypothesis lines") {
		t.Errorf("line counts: %v", err)
	}
	long := strings.Repeat("x", maxTranscriptLine+1)
	if _, err := ReadTranscripts(strings.NewReader("a\n"+long), "big.txt", false); err == nil || !strings.Contains(err.Error(), "big.txt: line 2 is longer") {
		t.Errorf("long line: %v", err)
	}
}

func TestLooksLikeIDs(t *testing.T) {
	read := func(s string) []Transcript {
		ts, _ := ReadTranscripts(strings.NewReader(s), "x", false)
		return ts
	}
	cases := []struct {
		ref, hyp string
		want     bool
	}{
		{"0_1_0 no yes no\n1_1_1 yes yes yes\n", "1_1_1 yes yes\n0_1_0 no yes no\n", true},
		{"spk1-utt1 seven\nspk1-utt2 three\n", "spk1-utt1 seven\nspk1-utt2\n", true},
		{"yes no\nno yes\n", "no no\nyes yes\n", false}, // no digits in the first words
		{"7 3\n3 7\n", "7\n3\n", true},                  // ambiguous; a flag overrides
		{"7\n3\n", "7\n3\n", false},                     // references without text
		{"u1 a\nu1 b\n", "u1 a\nu1 b\n", false},         // repeated first field
		{"u1 a\nu2 b\n", "u1 a\nu3 b\n", false},         // different id sets
		{"the cat\n", "the cat\n", false},               // one line
	}
	for _, c := range cases {
		if got := LooksLikeIDs(read(c.ref), read(c.hyp)); got != c.want {
			t.Errorf("LooksLikeIDs(%q, %q) = %v", c.ref, c.hyp, got)
		}
	}
}
