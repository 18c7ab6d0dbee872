package score

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for every reader of outside input. Seeds are in testdata/fuzz/<target>/ and
// below; `go test` runs them, `go test -fuzz=FuzzXxx -fuzztime=30s ./score` explores.

func FuzzReadSQuADDataset(f *testing.F) {
	f.Add([]byte(tinySQuAD))
	f.Add([]byte(`{"version": "1.1", "data": [{"paragraphs": [{"qas": [{"id": "q", "answers": [{"text": "ΣΑΣ İ"}]}]}]}]}`))
	f.Add([]byte(`{"version": null, "data": [[]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ReadSQuADDataset(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "score: squad dataset fuzz") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		preds := map[string]string{}
		for i, q := range ds.Questions {
			if i%2 == 0 && len(q.Answers) > 0 {
				preds[q.ID] = q.Answers[0]
			}
		}
		res, err := SQuAD(ds, preds)
		if err == nil && (res.ExactMatch < 0 || res.ExactMatch > 100 || res.F1 < 0 || res.F1 > 100+1e-9 || math.IsNaN(res.F1)) {
			t.Fatalf("scores out of range: %+v", res)
		}
	})
}

func FuzzReadSQuADPredictions(f *testing.F) {
	f.Add([]byte(`{"q1": "Broncos", "q2": "the 1970s"}`))
	f.Add([]byte(`{"q1": 1, "q2": [1]}`))
	f.Add([]byte(`{"q\u00e9": "\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		preds, err := ReadSQuADPredictions(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, p := range preds {
			em, f1 := SQuADAnswerScore(p, []string{p, "x"})
			if em != 1 || (f1 != 1 && NormalizeAnswer(p) != "") {
				t.Fatalf("a prediction does not match itself: %q (em %v f1 %v)", p, em, f1)
			}
		}
	})
}

func FuzzReadTranscripts(f *testing.F) {
	f.Add([]byte("u1 yes no\nu2 no\r\n\nu3\n"), []byte("u2 no yes\nu1 yes no\n"), true)
	f.Add([]byte("one two three\n\nfour"), []byte("one too three\nfor\nfive"), false)
	f.Add([]byte("a a\na b\n"), []byte("a\n"), true)
	f.Fuzz(func(t *testing.T, ref, hyp []byte, withIDs bool) {
		refs, err := ReadTranscripts(bytes.NewReader(ref), "ref", withIDs)
		if err != nil {
			return
		}
		hyps, err := ReadTranscripts(bytes.NewReader(hyp), "hyp", withIDs)
		if err != nil {
			return
		}
		LooksLikeIDs(refs, hyps)
		p, err := PairTranscripts(refs, hyps)
		if err != nil {
			return
		}
		for _, score := range []func([]string, []string) (ErrorRate, error){WER, CER} {
			e, err := score(p.Refs, p.Hyps)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range append(e.PerUtterance, e.Total) {
				if c.Hits+c.Substitutions+c.Deletions != c.RefLen || c.Hits+c.Substitutions+c.Insertions != c.HypLen {
					t.Fatalf("inconsistent counts %+v", c)
				}
			}
			for _, c := range e.PerUtterance {
				if c.Errors() > max(c.RefLen, c.HypLen) {
					t.Fatalf("more edits than the longer side: %+v", c)
				}
			}
		}
	})
}

// FuzzBLEU feeds arbitrary text (as a hypothesis and a reference file would) to the
// tokenizer and the metric.
func FuzzBLEU(f *testing.F) {
	f.Add("Hello, world. 1,000 people paid $3.50 (today)!", "Hello world, 1.000 people paid 3,50 $ today", false)
	f.Add("&amp;quot;<skipped>-\n\x1c ΣΑΣ", "İ Σ", true)
	f.Fuzz(func(t *testing.T, hyp, ref string, lowercase bool) {
		tok := Tokenize13a(hyp)
		if utf8.ValidString(hyp) && !utf8.ValidString(tok) {
			t.Fatalf("13a made invalid UTF-8 of %q", hyp)
		}
		for _, tokenize := range []string{"13a", "none"} {
			r, err := CorpusBLEU([]string{hyp, ref}, [][]string{{ref, hyp}}, BLEUOptions{Tokenize: tokenize, Lowercase: lowercase})
			if err != nil {
				t.Fatal(err)
			}
			if r.Score < 0 || r.Score > 100+1e-9 || math.IsNaN(r.Score) {
				t.Fatalf("score %v", r.Score)
			}
			s, err := SentenceBLEU(hyp, []string{hyp}, BLEUOptions{Tokenize: tokenize, Lowercase: lowercase})
			if err != nil {
				t.Fatal(err)
			}
			if s.SysLen > 0 && math.Abs(s.Score-100) > 1e-9 {
				t.Fatalf("a hypothesis against itself scores %v", s.Score)
			}
		}
	})
}

func FuzzReadBLEUSegments(f *testing.F) {
	f.Add([]byte("Ein Mann fährt Rad.\r\n  \nZwei Hunde&amp;Katzen \n"))
	f.Add([]byte("a\rb\x1c\n\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := ReadBLEUSegments(bytes.NewReader(data), "fuzz")
		if err != nil || len(segs) == 0 {
			return
		}
		r, err := CorpusBLEU(segs, [][]string{segs}, BLEUOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.SysLen != r.RefLen || r.Counts != r.Totals {
			t.Fatalf("a file against itself: %+v", r)
		}
	})
}
