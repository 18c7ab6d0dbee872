package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oracleCases are the committed cases of package score computed by sacreBLEU 2.6.0 and the
// official evaluate-v1.1.py.
func oracleCases(t *testing.T, kind string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "score", "testdata", "oracle", kind, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no oracle cases for %s: %v", kind, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = raw
	}
	return out
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	text := ""
	if len(lines) > 0 {
		text = strings.Join(lines, "\n") + "\n"
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScoreBLEUGolden: sru score bleu on files holding the oracle's corpus cases prints
// sacreBLEU's line and, with -json, its statistics.
func TestScoreBLEUGolden(t *testing.T) {
	ran := 0
	for name, raw := range oracleCases(t, "bleu") {
		var c struct {
			Kind, Tokenize       string
			SmoothMethod         string `json:"smooth_method"`
			Lowercase            bool
			UseEffectiveOrder    bool `json:"use_effective_order"`
			Hypotheses           []string
			References           [][]string
			Score, BP            float64
			Counts, Totals       []int
			Precisions           []float64
			SysLen               int `json:"sys_len"`
			RefLen               int `json:"ref_len"`
			Signature, Formatted string
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		// Segments with a newline cannot be lines of a file; the command uses exp
		// smoothing and no effective order, as sacreBLEU's corpus default.
		lineSafe := !slices.ContainsFunc(c.Hypotheses, hasNewline)
		for _, r := range c.References {
			lineSafe = lineSafe && !slices.ContainsFunc(r, hasNewline)
		}
		if c.Kind != "bleu" || c.SmoothMethod != "exp" || c.UseEffectiveOrder || !lineSafe || len(c.Hypotheses) == 0 {
			continue
		}
		dir := t.TempDir()
		args := []string{"score", "bleu", "-tokenize", c.Tokenize}
		if c.Lowercase {
			args = append(args, "-lowercase")
		}
		hyp := filepath.Join(dir, "hyp.txt")
		writeLines(t, hyp, c.Hypotheses)
		args = append(args, hyp)
		for k, r := range c.References {
			ref := filepath.Join(dir, "ref"+string(rune('0'+k))+".txt")
			writeLines(t, ref, r)
			args = append(args, ref)
		}
		code, stdout, stderr := run(args...)
		want := "BLEU|" + c.Signature + " = " + strings.TrimPrefix(c.Formatted, "BLEU = ") + "\n"
		if code != 0 || stdout != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", name, code, stdout, stderr, want)
			continue
		}
		code, stdout, stderr = run(append(args[:2:2], append([]string{"-json"}, args[2:]...)...)...)
		var got struct {
			Score, BP      float64
			Counts, Totals []int
			Precisions     []float64
			SysLen         int `json:"sys_len"`
			RefLen         int `json:"ref_len"`
			Signature      string
		}
		if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil {
			t.Fatalf("%s -json: exit %d, %v, stderr %q", name, code, err, stderr)
		}
		if !slices.Equal(got.Counts, c.Counts) || !slices.Equal(got.Totals, c.Totals) || got.SysLen != c.SysLen ||
			got.RefLen != c.RefLen || got.Signature != c.Signature || relDiff(got.Score, c.Score) > 1e-9 || relDiff(got.BP, c.BP) > 1e-9 {
			t.Errorf("%s -json: %+v, want %+v", name, got, c)
		}
		ran++
	}
	t.Logf("%d corpus cases run as files", ran)
	if ran < 3 {
		t.Errorf("only %d oracle cases could be run as files", ran)
	}
}

func hasNewline(s string) bool { return strings.Contains(s, "\n") }

func relDiff(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d / max(1, a, -a, b, -b)
}

// TestScoreSQuADGolden: sru score squad prints the official script's stdout line and its
// stderr warnings on the oracle's cases.
func TestScoreSQuADGolden(t *testing.T) {
	for name, raw := range oracleCases(t, "squad") {
		var c struct {
			Dataset        json.RawMessage `json:"dataset"`
			Predictions    json.RawMessage `json:"predictions"`
			OfficialStdout string          `json:"official_stdout"`
			OfficialStderr []string        `json:"official_stderr"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		ds, preds := filepath.Join(dir, "dataset.json"), filepath.Join(dir, "predictions.json")
		if os.WriteFile(ds, c.Dataset, 0o644) != nil || os.WriteFile(preds, c.Predictions, 0o644) != nil {
			t.Fatal("writing the case")
		}
		code, stdout, stderr := run("score", "squad", ds, preds)
		wantErr := ""
		if len(c.OfficialStderr) > 0 {
			wantErr = strings.Join(c.OfficialStderr, "\n") + "\n"
		}
		if code != 0 || stdout != c.OfficialStdout+"\n" || stderr != wantErr {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q and %q", name, code, stdout, stderr, c.OfficialStdout, wantErr)
		}
	}
}

func TestScoreWER(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Hand-worked: "one two three" vs "one too three four" (S 1, I 1), "five six" vs "six"
	// (D 1): 3 errors over 5 words.
	ref := file("ref.txt", "one two three\nfive six\n")
	hyp := file("hyp.txt", "one too three four\nsix\n")
	code, stdout, stderr := run("score", "wer", ref, hyp)
	want := "WER 60.00% (S 1 D 1 I 1 / 5 words, 2 utterances)\n"
	if code != 0 || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "\nCER ") {
		t.Errorf("plain: exit %d, stdout %q, stderr %q; want %q first", code, stdout, stderr, want)
	}
	// With ids, in another order and one hypothesis missing (all its words deleted).
	refIDs := file("ref.ids", "utt-1 one two three\nutt-2 five six\nutt-3 nine\n")
	hypIDs := file("hyp.ids", "utt-2 six\nutt-1 one too three four\n")
	code, stdout, stderr = run("score", "wer", "-ids", refIDs, hypIDs)
	want = "WER 66.67% (S 1 D 2 I 1 / 6 words, 3 utterances)\n"
	if code != 0 || !strings.HasPrefix(stdout, want) || !strings.Contains(stderr, "1 utterances have no hypothesis") {
		t.Errorf("ids: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	// The guess finds the ids (both files have the same ids); -json gives both rates.
	hypIDs = file("hyp2.ids", "utt-2 six\nutt-3\nutt-1 one too three four\n")
	code, stdout, stderr = run("score", "wer", refIDs, hypIDs, "-json")
	var rates map[string]struct {
		Rate          float64 `json:"rate"`
		Substitutions int     `json:"substitutions"`
		Deletions     int     `json:"deletions"`
		Insertions    int     `json:"insertions"`
		RefLen        int     `json:"ref_len"`
	}
	if err := json.Unmarshal([]byte(stdout), &rates); code != 0 || err != nil || !strings.Contains(stderr, "matching utterances by id") {
		t.Fatalf("guessed ids -json: exit %d, %v, stdout %q, stderr %q", code, err, stdout, stderr)
	}
	if w := rates["wer"]; w.Substitutions != 1 || w.Deletions != 2 || w.Insertions != 1 || w.RefLen != 6 {
		t.Errorf("json wer %+v", w)
	}
	if c := rates["cer"]; c.RefLen != len("one two three")+len("five six")+len("nine") {
		t.Errorf("json cer %+v", c)
	}
	// Character error rate, hand-worked: "ab" vs "ac": 1 substitution over 2 characters.
	code, stdout, _ = run("score", "wer", file("r1", "ab\n"), file("h1", "ac\n"))
	if code != 0 || !strings.Contains(stdout, "CER 50.00% (S 1 D 0 I 0 / 2 chars, 1 utterances)") {
		t.Errorf("cer: exit %d, %q", code, stdout)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"score"}, 2, "which metric"},
		{[]string{"score", "meteor"}, 2, `unknown metric "meteor"`},
		{[]string{"score", "wer", ref}, 2, "want REF_FILE HYP_FILE"},
		{[]string{"score", "wer", "-bogus", ref, hyp}, 2, "flag provided but not defined"},
		{[]string{"score", "bleu", hyp}, 2, "at least one REF_FILE"},
		{[]string{"score", "bleu", "-tokenize", "intl", hyp, ref}, 2, `-tokenize "intl"`},
		{[]string{"score", "squad", ref}, 2, "DATASET.json PREDICTIONS.json"},
		{[]string{"score", "wer", ref, filepath.Join(dir, "absent.txt")}, 1, "absent.txt"},
		{[]string{"score", "wer", ref, file("short.txt", "one\n")}, 1, "2 reference lines but 1 hypothesis lines"},
		{[]string{"score", "bleu", hyp, file("ref1.txt", "one\n")}, 1, "has 1 lines"},
		{[]string{"score", "bleu", hyp, filepath.Join(dir, "absent.txt")}, 1, "absent.txt"},
		{[]string{"score", "squad", file("bad.json", "{"), file("p.json", "{}")}, 1, "bad.json"},
		{[]string{"score", "squad", file("empty.json", `{"version": "1.1", "data": []}`), file("notjson.json", "[1]")}, 1, "notjson.json"},
		{[]string{"help", "score"}, 0, "sru score squad DATASET.json"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("sru %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
		if code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("sru %s: error of more than one line: %q", strings.Join(c.args, " "), stderr)
		}
	}
}
