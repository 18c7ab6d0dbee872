package score

import (
	"bytes"
	"compress/gzip"
	"math"
	"strings"
	"testing"
)

// The traps the SQuAD golden README lists, and a few more, with Python's answers.
func TestNormalizeAnswerPythonSemantics(t *testing.T) {
	cases := []struct{ in, want string }{
		{"The Normans", "normans"},
		{"  a  Cat, an  Owl and THE dog! ", "cat owl and dog"},
		{"ΚΤΕΊΣ", "κτείς"},        // final sigma
		{"ΣΑΣ ΟΔΟΣ.", "σας οδος"}, // medial and final
		{"Σ", "σ"},                // no cased letter before: not final
		{"İstanbul", "i\u0307stanbul"},
		{"Éthe Brazil", "éthe brazil"}, // no \b between é and t
		{"the\u00e9 the", "theé"},      // nor between e and é
		{"“Brazil”", "“brazil”"},       // curly quotes are not string.punctuation
		{"economic-center", "economiccenter"},
		{"the² ½an", "the² ½an"}, // numbers are word characters
		{"the2 2the", "the2 2the"},
		{"x\u00a0the\u3000y\x1cz", "x y z"}, // Python's whitespace
		{".", ""},
		{"The.", ""},
		{"¿Qué?", "¿qué"},
	}
	for _, c := range cases {
		if got := NormalizeAnswer(c.in); got != c.want {
			t.Errorf("NormalizeAnswer(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSQuADAnswerScore(t *testing.T) {
	em, f1 := SQuADAnswerScore("the Denver Broncos", []string{"Denver Broncos", "Broncos"})
	if em != 1 || f1 != 1 {
		t.Errorf("exact: %v %v", em, f1)
	}
	// prediction "denver broncos won" vs gold "broncos": p = 1/3, r = 1 → F1 = 0.5.
	em, f1 = SQuADAnswerScore("Denver Broncos won", []string{"Broncos"})
	if em != 0 || math.Abs(f1-0.5) > 1e-15 {
		t.Errorf("partial: %v %v", em, f1)
	}
	// Repeated tokens count once per occurrence in both (multiset intersection): "a a b"
	// is "b" after articles... use words: "go go stop" vs "go stop stop" → 2 common.
	_, f1 = SQuADAnswerScore("go go stop", []string{"go stop stop"})
	if math.Abs(f1-2.0/3) > 1e-15 {
		t.Errorf("multiset: %v", f1)
	}
	// Gold "." normalises to "": an empty prediction is exact but has F1 0.
	em, f1 = SQuADAnswerScore("", []string{"."})
	if em != 1 || f1 != 0 {
		t.Errorf("empty gold: %v %v", em, f1)
	}
}

const tinySQuAD = `{"version": "1.1", "data": [{"title": "T", "paragraphs": [
 {"context": "c", "qas": [
  {"id": "q1", "question": "?", "answers": [{"text": "Denver Broncos", "answer_start": 0}]},
  {"id": "q2", "question": "?", "answers": [{"text": "the 1970s", "answer_start": 0}, {"text": "1970s", "answer_start": 4}]},
  {"id": "q3", "question": "?", "answers": [{"text": "x", "answer_start": 0}]}]}]}]}`

func TestSQuADEndToEnd(t *testing.T) {
	ds, err := ReadSQuADDataset(strings.NewReader(tinySQuAD), "tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := ReadSQuADPredictions(strings.NewReader(`{"q1": "Broncos", "q2": "1970s", "zz": "ignored"}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := SQuAD(ds, preds)
	if err != nil {
		t.Fatal(err)
	}
	// q1: EM 0, F1 2/3; q2: EM 1, F1 1; q3 missing.
	if got, want := res.OfficialJSON(), `{"exact_match": 33.333333333333336, "f1": 55.55555555555555}`; got != want {
		t.Errorf("%s, want %s", got, want)
	}
	if w := res.Warnings(); len(w) != 1 || w[0] != "Unanswered question q3 will receive score 0." {
		t.Errorf("warnings %q", w)
	}
	// gzip input is read as well.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Replace(tinySQuAD, `"1.1"`, `"2.0"`, 1)))
	zw.Close()
	ds2, err := ReadSQuADDataset(&buf, "tiny.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	res2, _ := SQuAD(ds2, preds)
	if w := res2.Warnings(); len(w) != 2 || w[0] != "Evaluation expects v-1.1, but got dataset with v-2.0" {
		t.Errorf("warnings %q", w)
	}
}

func TestSQuADReaderErrors(t *testing.T) {
	cases := []struct{ dataset, want string }{
		{``, "empty input"},
		{`{"version": "1.1", "data": [}`, "line 1 column 29: invalid JSON"},
		{`{"version": "1.1"}`, `no "data" list`},
		{`{"data": []}`, `no "version" field`},
		{`{"version": 1.1, "data": []}`, `"version" is a number, not a string`},
		{`[1]`, "a JSON array where an object was expected"},
		{`{"version": "1.1", "data": [{"title": "T"}]}`, `article 0 ("T"): no "paragraphs" list`},
		{`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"qas": [{"answers": []}]}]}]}`,
			`article 0 ("T") paragraph 0 question 0: no "id"`},
		{`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"qas": [{"id": "q7", "answers": [{"text": 3}]}]}]}]}`,
			`article 0 ("T") paragraph 0 question 0 (id "q7"): answer 0: "text" is a JSON number, expected a string`},
		{`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"qas": [{"id": "q7", "answers": [{}]}]}]}]}`,
			`question 0 (id "q7"): answer 0: no "text"`},
		{`{"version": "1.1", "data": []} {}`, "more data after the JSON value"},
	}
	for _, c := range cases {
		_, err := ReadSQuADDataset(strings.NewReader(c.dataset), "d.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "score: squad dataset d.json: ") {
			t.Errorf("dataset %q: error %v, want one containing %q", c.dataset, err, c.want)
		}
	}
	preds := []struct{ in, want string }{
		{`{"q1": 5}`, `the answer for "q1" is a number, not a string`},
		{`{"q1": null}`, `the answer for "q1" is null, not a string`},
		{`["a"]`, "a JSON array where an object was expected"},
		{`null`, "not a JSON object"},
		{`{"q1": "a",}`, "invalid JSON"},
	}
	for _, c := range preds {
		_, err := ReadSQuADPredictions(strings.NewReader(c.in), "p.json")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("predictions %q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
	ds, _ := ReadSQuADDataset(strings.NewReader(`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"qas": [{"id": "q1"}]}]}]}`), "d")
	if _, err := SQuAD(ds, map[string]string{"q1": "x"}); err == nil || !strings.Contains(err.Error(), `question "q1" (article "T") has no gold answer`) {
		t.Errorf("answered question without gold: %v", err)
	}
	if _, err := SQuAD(ds, nil); err != nil {
		t.Errorf("unanswered question without gold (the official script scores it 0): %v", err)
	}
	if _, err := SQuAD(&SQuADDataset{Version: "1.1"}, nil); err == nil {
		t.Error("no error for a dataset without questions")
	}
}

func TestPyFloatRepr(t *testing.T) {
	cases := map[float64]string{
		100: "100.0", 0: "0.0", 50: "50.0", 23.68421052631579: "23.68421052631579",
		0.0001: "0.0001", 1e-5: "1e-05", 1.5e-7: "1.5e-07", 1e15: "1000000000000000.0",
		1e16: "1e+16", 1.2345e100: "1.2345e+100", -2.5: "-2.5", math.Inf(1): "Infinity",
	}
	for f, want := range cases {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
}
