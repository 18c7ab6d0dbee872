package squad

import (
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	text := "  Ünïcode café, in 1,000 U.S.\tcities\u00a0(don't)  "
	var got []string
	for _, tok := range Tokenize(text) {
		if text[tok.Start:tok.End] != tok.Text {
			t.Fatalf("token %q at %d:%d reads %q", tok.Text, tok.Start, tok.End, text[tok.Start:tok.End])
		}
		got = append(got, tok.Text)
	}
	want := "Ünïcode|café|,|in|1|,|000|U|.|S|.|cities|(|don|'|t|)"
	if strings.Join(got, "|") != want {
		t.Errorf("tokens %s, want %s", strings.Join(got, "|"), want)
	}
}

// checkRoundTrip checks that tokens are in order, do not overlap, read their text at their
// offsets, and that only white space lies between them.
func checkRoundTrip(t *testing.T, text string) bool {
	t.Helper()
	prev := 0
	for _, tok := range Tokenize(text) {
		if tok.Start < prev || tok.End <= tok.Start || text[tok.Start:tok.End] != tok.Text {
			t.Errorf("token %q at %d:%d after %d in %q", tok.Text, tok.Start, tok.End, prev, text)
			return false
		}
		if strings.TrimSpace(text[prev:tok.Start]) != "" {
			t.Errorf("non-space %q between tokens in %q", text[prev:tok.Start], text)
			return false
		}
		prev = tok.End
	}
	if strings.TrimSpace(text[prev:]) != "" {
		t.Errorf("non-space tail %q in %q", text[prev:], text)
		return false
	}
	return true
}

func TestTokenizeRoundTripsDev(t *testing.T) {
	ds, err := OpenDataset(squadFile(t, DevFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ds.Paragraphs {
		if !checkRoundTrip(t, p.Context) {
			return
		}
		for _, q := range p.Questions {
			if !checkRoundTrip(t, q.Text) {
				return
			}
		}
	}
	t.Logf("%d dev contexts round-trip", len(ds.Paragraphs))
}

func TestAlignSpan(t *testing.T) {
	text := "in 1,000 U.S. cities"
	toks := Tokenize(text)
	for _, c := range []struct {
		answer      string
		first, last int
		ok          bool
	}{{"1,000", 1, 3, true}, {"U.S.", 4, 7, true}, {"cities", 8, 8, true}, {"000 U", 3, 4, true}, {"citie", 0, 0, false}, {"n 1", 0, 0, false}} {
		s := strings.Index(text, c.answer)
		first, last, ok := alignSpan(toks, s, s+len(c.answer))
		if ok != c.ok || ok && (first != c.first || last != c.last) {
			t.Errorf("%q: %d %d %v, want %d %d %v", c.answer, first, last, ok, c.first, c.last, c.ok)
		}
		if ok && text[toks[first].Start:toks[last].End] != c.answer {
			t.Errorf("%q: span reads %q", c.answer, text[toks[first].Start:toks[last].End])
		}
	}
}

func TestStem(t *testing.T) {
	for w, want := range map[string]string{"Cities": "city", "played": "play", "playing": "play", "plays": "play",
		"boxes": "box", "class": "class", "bus": "bus", "the": "the", "Run": "run"} {
		if got := Stem(w); got != want {
			t.Errorf("Stem(%q) = %q, want %q", w, got, want)
		}
	}
}
