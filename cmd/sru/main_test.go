package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command line and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runMain(&env{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{nil, 2, "usage: sru <command>"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"bench", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"bench", "stray"}, 2, `unexpected argument "stray"`},
		{[]string{"bench", "--sizes", "huge"}, 2, `--sizes "huge"`},
		{[]string{"bench", "--sizes", "all", "--L", "8"}, 2, "exclude each other"},
		{[]string{"bench", "--D", "7", "--bidirectional"}, 2, "even D"},
		{[]string{"bench", "--models", "sru,gru", "--L", "2"}, 2, `unknown model "gru"`},
		{[]string{"bench", "--plot", "x.gif"}, 2, ".png or .svg"},
		{[]string{"bench", "--precision", "float16"}, 2, "float32 or float64"},
		{[]string{"bench", "--device", "tpu"}, 2, `unknown device "tpu"`},
		{[]string{"bench", "--device", "cuda"}, 1, "built without CUDA"},
		{[]string{"bench", "-h"}, 0, "usage: sru bench"},
		{[]string{"help", "bench"}, 0, "usage: sru bench"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("sru %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
		if code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 && !strings.Contains(stderr, "usage:") {
			t.Errorf("sru %s: error of more than one line: %q", strings.Join(c.args, " "), stderr)
		}
	}
	code, stdout, _ := run("help")
	if code != 0 || !strings.Contains(stdout, "bench") {
		t.Errorf("sru help: exit %d, %q", code, stdout)
	}
	code, stdout, _ = run("version")
	if code != 0 || !strings.HasPrefix(stdout, "sru ") {
		t.Errorf("sru version: exit %d, %q", code, stdout)
	}
}

func TestBenchOutputs(t *testing.T) {
	probeSizes.peakN, probeSizes.copyN = 64, 1<<12
	defer func() { probeSizes.peakN, probeSizes.copyN = 0, 0 }()
	dir := t.TempDir()
	jsonFile, plotFile := filepath.Join(dir, "rows.json"), filepath.Join(dir, "speed.svg")
	tiny := []string{"--L", "4", "--B", "2", "--D", "6", "--layers", "2", "--reps", "2", "--warmup", "1"}

	code, stdout, stderr := run(append([]string{"bench", "--json", jsonFile, "--plot", plotFile}, tiny...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "fwd+bwd ms") || strings.Count(stdout+stderr, "device: cpu") != 1 {
		t.Errorf("want the table on stdout and the device once; stdout %q, stderr %q", stdout, stderr)
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Errorf("%d JSON lines, want 3 (sru, lstm, cnn)", n)
	}
	if st, err := os.Stat(plotFile); err != nil || st.Size() == 0 {
		t.Errorf("plot: %v", err)
	}

	// --json -: stdout is JSON lines only, the table goes to stderr.
	code, stdout, stderr = run(append([]string{"bench", "--json", "-", "--models", "sru"}, tiny...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	lines := 0
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		if row["model"] != "sru" || row["layers"] != 2.0 {
			t.Errorf("row %v", row)
		}
		lines++
	}
	if lines != 1 || !strings.Contains(stderr, "fwd+bwd ms") {
		t.Errorf("%d JSON lines on stdout (want 1); stderr %q", lines, stderr)
	}
}
