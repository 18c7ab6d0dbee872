package score

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The cases under testdata/oracle were drawn at random by scripts/score_oracle_cases.py and
// computed by sacreBLEU 2.6.0 and the official evaluate-v1.1.py (Python 3.11).

func TestOracleStrings(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "oracle", "strings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In              string   `json:"in"`
		Tok13a          string   `json:"tok13a"`
		Lower           string   `json:"lower"`
		RStrip          string   `json:"rstrip"`
		Split           []string `json:"split"`
		SQuADNormalized string   `json:"squad_normalized"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if got := Tokenize13a(c.In); got != c.Tok13a {
			t.Errorf("Tokenize13a(%q) = %q, want %q", c.In, got, c.Tok13a)
		}
		if got := pyLower(c.In); got != c.Lower {
			t.Errorf("lower(%q) = %q, want %q", c.In, got, c.Lower)
		}
		if got := pyRStrip(c.In); got != c.RStrip {
			t.Errorf("rstrip(%q) = %q, want %q", c.In, got, c.RStrip)
		}
		if got := pyFields(c.In); !slices.Equal(got, c.Split) && len(got)+len(c.Split) > 0 {
			t.Errorf("split(%q) = %q, want %q", c.In, got, c.Split)
		}
		if got := NormalizeAnswer(c.In); got != c.SQuADNormalized {
			t.Errorf("NormalizeAnswer(%q) = %q, want %q", c.In, got, c.SQuADNormalized)
		}
	}
}

func TestOracleCases(t *testing.T) {
	glob := func(sub string) []string {
		files, err := filepath.Glob(filepath.Join("testdata", "oracle", sub, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no oracle cases in testdata/oracle/%s (%v)", sub, err)
		}
		return files
	}
	var bleuDiff float64
	t.Run("bleu", func(t *testing.T) {
		runCaseFiles(t, glob("bleu"), func(t *testing.T, raw []byte) { checkBLEUCase(t, raw, &bleuDiff) })
	})
	var d squadDiffs
	t.Run("squad", func(t *testing.T) { runCaseFiles(t, glob("squad"), d.check) })
	t.Logf("max diffs: bleu %.3g relative; squad totals %.3g, per question %.3g", bleuDiff, d.total, d.question)
}
