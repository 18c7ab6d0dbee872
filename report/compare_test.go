package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/train"
)

// writeRun makes a run directory root/experiment/id with summary.json (when s is not nil) and
// metrics.jsonl (when events are given), through the train package's own types.
func writeRun(t *testing.T, root, experiment, id string, s *train.Summary, events []train.Event) string {
	t.Helper()
	dir := filepath.Join(root, experiment, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if s != nil {
		s.Experiment, s.RunDir = experiment, dir
		if err := train.WriteSummary(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	if events != nil {
		var b bytes.Buffer
		for _, e := range events {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, train.MetricsFile), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// classification is a finished classification run's summary.
func classification(labels map[string]string, acc, secsPerEpoch float64) *train.Summary {
	return &train.Summary{Labels: labels, Device: "cpu", Epochs: 3, Selection: "accuracy",
		Valid: train.Metrics{"accuracy": acc + 0.01, "loss": 0.3}, Test: train.Metrics{"accuracy": acc, "loss": 0.4},
		SecondsPerEpoch: secsPerEpoch, TrainSeconds: 3 * secsPerEpoch}
}

// makeRuns lays out: TREC with SRU (3 folds, labelled), LSTM (2 runs, no labels: the
// experiment's name says it), CNN (1 run, model label in capitals); PTB (perplexity) with SRU
// and LSTM; one unfinished SRU run.
func makeRuns(t *testing.T) (root, unfinished string) {
	root = t.TempDir()
	for i, c := range []struct{ acc, spe float64 }{{0.5, 2}, {0.75, 10}, {1.0, 4}} {
		writeRun(t, root, "trec_sru", "fold"+string(rune('0'+i)),
			classification(map[string]string{"task": "classification", "dataset": "trec", "model": "sru", "fold": string(rune('0' + i))}, c.acc, c.spe), nil)
	}
	writeRun(t, root, "trec_lstm", "seed1", classification(nil, 0.625, 12), nil)
	writeRun(t, root, "trec_lstm", "seed2", classification(nil, 0.875, 20), nil)
	writeRun(t, root, "trec_cnn", "seed1", classification(map[string]string{"dataset": "trec", "model": "CNN"}, 0.5, 3), nil)
	lm := func(model string, ppl, spe float64) *train.Summary {
		return &train.Summary{Labels: map[string]string{"task": "lm", "dataset": "ptb", "model": model}, Device: "cpu",
			Selection: "perplexity", Test: train.Metrics{"perplexity": ppl}, SecondsPerEpoch: spe}
	}
	writeRun(t, root, "ptb_sru", "seed1", lm("sru", 60.5, 100), nil)
	writeRun(t, root, "ptb_lstm", "seed1", lm("lstm", 78.25, 300), nil)
	unfinished = writeRun(t, root, "trec_sru", "zz-running", nil, []train.Event{{Event: "train", Step: 1, Loss: 1}})
	return root, unfinished
}

func TestCompare(t *testing.T) {
	root, unfinished := makeRuns(t)
	dirs, err := FindRuns([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 9 {
		t.Fatalf("FindRuns found %d runs, want 9: %v", len(dirs), dirs)
	}
	tab, err := Compare(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Skipped) != 1 || tab.Skipped[0].Dir != unfinished || !strings.Contains(tab.Skipped[0].Reason, "unfinished") {
		t.Errorf("skipped %+v, want the unfinished run", tab.Skipped)
	}
	if len(tab.Notes) != 0 {
		t.Errorf("notes %q, want none", tab.Notes)
	}
	type want struct {
		dataset, model, metric string
		mean, std              float64
		n                      int
		spe, ratio             float64
	}
	// Datasets come in order of appearance (the walk is lexical: ptb_* first), models in the
	// paper's order.
	wants := []want{
		{"ptb", "sru", "perplexity", 60.5, 0, 1, 100, 1},
		{"ptb", "lstm", "perplexity", 78.25, 0, 1, 300, 3},
		{"trec", "sru", "accuracy", 0.75, 0.25, 3, 4, 1},
		{"trec", "lstm", "accuracy", 0.75, math.Sqrt(0.03125), 2, 16, 4},
		{"trec", "cnn", "accuracy", 0.5, 0, 1, 3, 0.75},
	}
	if len(tab.Groups) != len(wants) {
		t.Fatalf("%d groups, want %d: %+v", len(tab.Groups), len(wants), tab.Groups)
	}
	for i, w := range wants {
		g := tab.Groups[i]
		got := want{g.Dataset, g.Model, g.Metric, g.Mean, g.Std, g.N, g.SecondsPerEpoch, g.SpeedRatio}
		if got != w || g.Split != "test" {
			t.Errorf("group %d: %+v (split %s), want %+v (split test)", i, got, g.Split, w)
		}
	}
	if g := tab.Groups[3]; len(g.Runs) != 2 || !slices.Equal(g.Devices, []string{"cpu"}) {
		t.Errorf("trec lstm runs %v devices %v", g.Runs, g.Devices)
	}

	var text bytes.Buffer
	if err := tab.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	// Two metrics: a metric column, model headers without a metric name.
	for _, f := range []string{"dataset", "metric", "SRU", "s/epoch", "LSTM", "time/SRU", "CNN"} {
		if !slices.Contains(strings.Fields(lines[0]), f) {
			t.Errorf("text header %q lacks %q", lines[0], f)
		}
	}
	if f := strings.Fields(lines[1]); f[0] != "ptb" || f[1] != "perplexity" || f[2] != "60.50" || f[4] != "100" ||
		f[5] != "78.25" || f[8] != "3.00x" || f[9] != "-" {
		t.Errorf("text ptb row %q", lines[1])
	}
	if !strings.Contains(lines[2], "0.7500 ± 0.2500 (n=3)") || !strings.Contains(lines[2], "0.7500 ± 0.1768 (n=2)") {
		t.Errorf("text trec row %q", lines[2])
	}
	// Columns align: every row is as long as the header (tabwriter counts runes).
	for _, l := range lines[1:3] {
		if len([]rune(strings.TrimRight(l, " "))) > len([]rune(lines[0])) {
			t.Errorf("row %q longer than header %q", l, lines[0])
		}
	}

	var js bytes.Buffer
	if err := tab.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	jl := strings.Split(strings.TrimSpace(js.String()), "\n")
	var g Group
	if len(jl) != 5 || json.Unmarshal([]byte(jl[3]), &g) != nil || g.Model != "lstm" || g.SpeedRatio != 4 || g.N != 2 {
		t.Errorf("JSON lines %q", jl)
	}
}

func TestCompareMarkdown(t *testing.T) {
	root, _ := makeRuns(t)
	dirs, err := FindRuns([]string{filepath.Join(root, "trec_*")})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Compare(dirs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tab.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "| dataset | SRU accuracy | s/epoch | LSTM accuracy | s/epoch | time/SRU | CNN accuracy | s/epoch | time/SRU |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
		"| trec | 0.7500 ± 0.2500 (n=3) | 4.00 | 0.7500 ± 0.1768 (n=2) | 16.0 | 4.00x | 0.5000 (n=1) | 3.00 | 0.75x |\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("markdown:\n%s\nwant it to start with:\n%s", b.String(), want)
	}
	if len(tab.Skipped) != 1 {
		t.Errorf("skipped %+v, want the unfinished run", tab.Skipped)
	}
}

func TestAggregateEdgeCases(t *testing.T) {
	sum := func(dir, model, device string, test, valid train.Metrics) *train.Summary {
		return &train.Summary{Experiment: "mr_" + model, RunDir: dir, Device: device, Selection: "accuracy",
			Test: test, Valid: valid, SecondsPerEpoch: 1}
	}
	acc := func(v float64) train.Metrics { return train.Metrics{"accuracy": v} }

	// No test split anywhere: the valid values, starred in the table.
	tab, err := Aggregate([]*train.Summary{sum("a", "sru", "cpu", nil, acc(0.5)), sum("b", "sru", "cpu", nil, acc(0.7))})
	if err != nil {
		t.Fatal(err)
	}
	if g := tab.Groups[0]; g.Split != "valid" || g.N != 2 || g.Dataset != "mr" || g.Model != "sru" {
		t.Errorf("valid-only group %+v", g)
	}
	var b bytes.Buffer
	tab.WriteMarkdown(&b)
	if !strings.Contains(b.String(), "(n=2)* |") || !strings.Contains(b.String(), "*: on the valid split") {
		t.Errorf("valid-only markdown:\n%s", b.String())
	}

	// Test in some runs only: the others are left out of the mean, with a note; a run with no
	// metric at all is skipped; different devices get a note.
	tab, err = Aggregate([]*train.Summary{
		sum("a", "sru", "cpu", acc(0.5), acc(0.6)),
		sum("b", "sru", "cpu", nil, acc(0.9)),
		sum("c", "sru", "cpu", nil, nil),
		sum("d", "lstm", "cuda: H100", acc(0.4), nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := tab.Groups[0]; g.Split != "test" || g.N != 1 || g.Mean != 0.5 || len(g.Runs) != 2 {
		t.Errorf("mixed group %+v", g)
	}
	if len(tab.Skipped) != 1 || tab.Skipped[0].Dir != "c" {
		t.Errorf("skipped %+v, want c", tab.Skipped)
	}
	if len(tab.Notes) != 2 || !strings.HasPrefix(tab.Notes[0], "b: no test accuracy") || !strings.Contains(tab.Notes[1], "different devices") {
		t.Errorf("notes %q", tab.Notes)
	}

	// One group, two selection metrics: an error, not an average.
	bad := sum("e", "sru", "cpu", acc(0.5), nil)
	bad.Selection, bad.Test = "f1", train.Metrics{"f1": 0.3}
	if _, err := Aggregate([]*train.Summary{sum("a", "sru", "cpu", acc(0.5), nil), bad}); err == nil ||
		!strings.Contains(err.Error(), "different metrics") {
		t.Errorf("mixed metrics: %v", err)
	}
}

func TestIdentify(t *testing.T) {
	for _, c := range []struct {
		experiment     string
		labels         map[string]string
		dataset, model string
	}{
		{"trec_sru", nil, "trec", "sru"},
		{"sst-LSTM", nil, "sst", "lstm"},
		{"ptb", nil, "ptb", "ptb"},
		{"multi30k_sru_3layer_cpu", nil, "multi30k_3layer_cpu", "sru"},
		{"multi30k-LSTM-nofeed", nil, "multi30k-nofeed", "lstm"},
		{"trec_gru_cpu", nil, "trec_gru", "cpu"},
		{"whatever", map[string]string{"dataset": "cr", "model": "SRU"}, "cr", "sru"},
		{"cr_sru_4layers", map[string]string{"model": "sru"}, "cr_4layers", "sru"},
		{"connected_lstm_bi", map[string]string{"model": "lstm"}, "connected_bi", "lstm"},
		{"connected_loso_sru_bi", map[string]string{"model": "sru"}, "connected_loso_bi", "sru"},
		{"sru-yesno-uni", map[string]string{"model": "sru"}, "yesno-uni", "sru"},
		{"sru", map[string]string{"model": "sru"}, "sru", "sru"},
		{"cr_sru", map[string]string{"model": "sru"}, "cr", "sru"},
		{"cr_sru", map[string]string{"dataset": "CR"}, "CR", "sru"},
	} {
		d, m := identify(c.experiment, c.labels)
		if d != c.dataset || m != c.model {
			t.Errorf("identify(%q, %v) = %q, %q; want %q, %q", c.experiment, c.labels, d, m, c.dataset, c.model)
		}
	}
}

func TestFindRuns(t *testing.T) {
	root := t.TempDir()
	a := writeRun(t, root, "trec_sru", "a", classification(nil, 0.5, 1), nil)
	b := writeRun(t, root, "trec_lstm", "b", nil, []train.Event{{Event: "train", Time: time.Unix(0, 0)}})
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)

	got, err := FindRuns([]string{filepath.Join(a, train.SummaryFile), root, filepath.Join(root, "trec_*")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{a, b}) {
		t.Errorf("FindRuns = %v, want [%s %s] once each", got, a, b)
	}
	for _, args := range [][]string{
		{filepath.Join(root, "nope_*")},
		{filepath.Join(root, "missing")},
		{filepath.Join(root, "empty")},
		{filepath.Join(a, train.SummaryFile) + "x"},
	} {
		if _, err := FindRuns(args); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
			t.Errorf("FindRuns(%v) = %v, want a report: error", args, err)
		}
	}
}
