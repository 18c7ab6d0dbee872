package score

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

type squadCase struct {
	Kind           string          `json:"kind"`
	Dataset        json.RawMessage `json:"dataset"`
	Predictions    json.RawMessage `json:"predictions"`
	ExactMatch     float64         `json:"exact_match"`
	F1             float64         `json:"f1"`
	OfficialStdout string          `json:"official_stdout"`
	OfficialStderr []string        `json:"official_stderr"`
	NumQuestions   int             `json:"num_questions"`
	NumMissing     int             `json:"num_missing"`
	PerQuestion    map[string]struct {
		ExactMatch float64 `json:"exact_match"`
		F1         float64 `json:"f1"`
		Missing    bool    `json:"missing"`
	} `json:"per_question"`
}

// TestGoldenSQuAD holds SQuAD against the official evaluate-v1.1.py on every case in
// $SRU_GOLDEN_SQUAD_DIR (default ../shared/golden/squad): totals within 1e-9, each question
// within 1e-12, the stdout line and the stderr lines exactly.
func TestGoldenSQuAD(t *testing.T) {
	var d squadDiffs
	eachGolden(t, "SRU_GOLDEN_SQUAD_DIR", "squad", d.check)
	t.Logf("max |diff|: totals %.3g, per question %.3g", d.total, d.question)
}

// squadDiffs checks SQuAD cases, keeping the largest differences seen.
type squadDiffs struct{ total, question float64 }

func (d *squadDiffs) check(t *testing.T, raw []byte) {
	var c squadCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Kind != "squad_eval" {
		t.Fatalf("unknown case kind %q", c.Kind)
	}
	ds, err := ReadSQuADDataset(bytes.NewReader(c.Dataset), "dataset")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := ReadSQuADPredictions(bytes.NewReader(c.Predictions), "predictions")
	if err != nil {
		t.Fatal(err)
	}
	res, err := SQuAD(ds, preds)
	if err != nil {
		t.Fatal(err)
	}
	dEM, dF1 := math.Abs(res.ExactMatch-c.ExactMatch), math.Abs(res.F1-c.F1)
	d.total = max(d.total, dEM, dF1)
	if dEM > 1e-9 || dF1 > 1e-9 {
		t.Errorf("exact_match %v f1 %v, want %v %v", res.ExactMatch, res.F1, c.ExactMatch, c.F1)
	}
	if got := res.OfficialJSON(); got != c.OfficialStdout {
		t.Errorf("stdout %s, want %s", got, c.OfficialStdout)
	}
	if got := res.Warnings(); !slices.Equal(got, c.OfficialStderr) && (len(got) > 0 || len(c.OfficialStderr) > 0) {
		t.Errorf("stderr %q, want %q", got, c.OfficialStderr)
	}
	if res.Questions != c.NumQuestions || len(res.MissingIDs) != c.NumMissing {
		t.Errorf("questions %d missing %d, want %d %d", res.Questions, len(res.MissingIDs), c.NumQuestions, c.NumMissing)
	}
	if len(res.PerQuestion) != len(c.PerQuestion) {
		t.Errorf("%d per-question scores, want %d", len(res.PerQuestion), len(c.PerQuestion))
	}
	for _, q := range res.PerQuestion {
		want, ok := c.PerQuestion[q.ID]
		if !ok {
			t.Errorf("question %s not in the case's per_question", q.ID)
			continue
		}
		diff := max(math.Abs(q.ExactMatch-want.ExactMatch), math.Abs(q.F1-want.F1))
		d.question = max(d.question, diff)
		if diff > 1e-12 || q.Missing != want.Missing {
			t.Errorf("question %s: em %v f1 %v missing %v, want %v %v %v", q.ID, q.ExactMatch, q.F1, q.Missing, want.ExactMatch, want.F1, want.Missing)
		}
	}
}
