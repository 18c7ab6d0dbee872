package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/train"
)

// writeCurveRun writes runs/<experiment>/s1/metrics.jsonl: a training loss and a validation
// accuracy at each of four steps. Without summary.json its experiment is its directory's.
func writeCurveRun(t *testing.T, root, experiment string) {
	t.Helper()
	dir := filepath.Join(root, experiment, "s1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for step := 1; step <= 4; step++ {
		for _, e := range []train.Event{
			{Event: "train", Step: step, Loss: 1 / float64(step), TrainSeconds: float64(step)},
			{Event: "eval", Split: "valid", Step: step, TrainSeconds: float64(step), Metrics: train.Metrics{"accuracy": float64(step) / 5}},
		} {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(append(line, '\n'))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, train.MetricsFile), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReportPanelAndStepSeconds(t *testing.T) {
	root := t.TempDir()
	runs := filepath.Join(root, "runs")
	for _, x := range []string{"trec_sru", "trec_3layer_sru", "trec_lstm"} {
		writeCurveRun(t, runs, x)
	}
	out := filepath.Join(root, "figures")
	report := func(flags ...string) []string {
		return append(append([]string{"report", "--out", out, "--format", "svg"}, flags...), runs)
	}

	code, _, stderr := run(report("--panel", "all", "--step-seconds", "trec_sru=0.5, trec_3layer_sru=1,trec_lstm=2,trec_cnn=1")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: --step-seconds entry trec_cnn names no run") || strings.Count(stderr, "warning:") != 1 {
		t.Errorf("an entry naming no run: want one warning naming it; stderr %q", stderr)
	}
	for _, f := range []string{"valid_vs_time.svg", "loss.svg"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{">all runs<", ">trec_sru<", ">trec_3layer_sru<", ">trec_lstm<", "at the measured step time"} {
			if !bytes.Contains(data, []byte(want)) {
				t.Errorf("%s: no %q", f, want)
			}
		}
	}

	for _, c := range []struct {
		flags []string
		code  int
		want  []string // in stderr
	}{
		{[]string{"--panel", "grid"}, 2, []string{`--panel "grid"`}},
		{[]string{"--step-seconds", "trec_sru"}, 2, []string{`--step-seconds entry "trec_sru"`, "NAME=SECONDS"}},
		{[]string{"--step-seconds", "trec_sru=0"}, 2, []string{`--step-seconds entry "trec_sru=0"`, "positive finite"}},
		{[]string{"--step-seconds", "trec_sru=fast"}, 2, []string{`"trec_sru=fast"`, "positive finite"}},
		{[]string{"--step-seconds", "trec_sru=1,trec_sru=2"}, 2, []string{`"trec_sru=2"`, "named twice"}},
		// trec_lstm has no entry: an error naming it and the flag; by steps it needs none.
		{[]string{"--step-seconds", "trec_sru=0.5,trec_3layer_sru=1"}, 1, []string{`"trec_lstm"`, "--step-seconds"}},
		{[]string{"--step-seconds", "trec_sru=0.5,trec_3layer_sru=1", "--valid-x", "steps"}, 1, []string{`"trec_lstm"`, "--step-seconds"}},
		{[]string{"--step-seconds", "trec_sru=0.5", "--valid-x", "steps", "--loss-x", "steps"}, 0, []string{"no effect", "wrote"}},
	} {
		code, _, stderr := run(report(c.flags...)...)
		ok := code == c.code
		for _, w := range c.want {
			ok = ok && strings.Contains(stderr, w)
		}
		if !ok {
			t.Errorf("report %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.flags, " "), code, stderr, c.code, c.want)
		}
	}

	code, stdout, stderr := run("help", "report")
	if usage := stdout + stderr; code != 0 || !strings.Contains(usage, "--step-seconds") || !strings.Contains(usage, "--panel all") {
		t.Errorf("help report: exit %d, %q; want --panel and --step-seconds explained", code, usage)
	}
}
