//go:build cuda || cudaemu

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/tasks/lm"
)

// TestCommandsOnCUDA runs the commands that train and use a model with device = "cuda": sru
// run (whose task is built on a goroutine of its own, which must bind the device), resume of
// the finished run, eval, predict (SQuAD on the shipped dev slice) and generate (a language
// model on a tiny corpus). On the emulator,
// device work from a goroutine that did not bind fails as it does on a GPU.
func TestCommandsOnCUDA(t *testing.T) {
	data := t.TempDir()
	slice, err := os.ReadFile(filepath.Join("..", "..", "tasks", "squad", "testdata", "dev-slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(data, "squad"), 0o755)
	if err := os.WriteFile(filepath.Join(data, "squad", "slice.json"), slice, 0o644); err != nil {
		t.Fatal(err)
	}
	squadFile := filepath.Join(t.TempDir(), "squad_tiny.toml")
	if err := os.WriteFile(squadFile, []byte(`name = "squad_tiny"
task = "squad"
data_dir = "`+data+`"

[train]
epochs = 1
optimizer = "adamax"
lr = 0.002

[squad]
train_file = "slice.json"
dev_file = "slice.json"
embedding_dim = 8
hidden = 4
doc_layers = 2
question_layers = 2
batch_size = 8
`), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 300)
	for i := range lines {
		lines[i] = fmt.Sprintf("w%d w%d w%d", i%7, (i+1)%7, (i+3)%7)
	}
	for _, split := range []string{"train", "valid", "test"} {
		if err := lm.WriteSplit(data, "ptb", split, lines); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file string
		sets []string
		then [][]string // commands on the run directory, which is appended to each
	}{
		{filepath.Join("..", "..", "experiments", "quickstart.toml"),
			[]string{"classification.hidden=8", "classification.embedding_dim=8"},
			[][]string{{"resume"}, {"eval", "-checkpoint", "latest"}}},
		{squadFile, nil, [][]string{{"predict", "-out", filepath.Join(t.TempDir(), "predictions.json")}}},
		{filepath.Join("..", "..", "experiments", "lm", "ptb_sru_cpu.toml"),
			[]string{"data_dir=" + data, "lm.batch_size=4", "lm.unroll=5", "lm.hidden=8", "lm.embedding_dim=8", "lm.layers=2"},
			[][]string{{"generate", "-words", "5"}}},
	} {
		runs := t.TempDir()
		args := []string{"run", tc.file, "-runs-dir", runs, "-set", "device=cuda", "-set", "train.epochs=1", "-set", "train.max_steps=6"}
		for _, s := range tc.sets {
			args = append(args, "-set", s)
		}
		code, stdout, stderr := run(args...)
		if code != 0 || !strings.Contains(stderr, "device: cuda") {
			t.Fatalf("sru %s: exit %d\nstdout %s\nstderr %s", strings.Join(args, " "), code, stdout, stderr)
		}
		dirs, _ := filepath.Glob(filepath.Join(runs, "*", "*"))
		if len(dirs) != 1 {
			t.Fatalf("run directories %v", dirs)
		}
		dir := dirs[0]
		for _, cmd := range tc.then {
			args := append([]string{cmd[0], dir}, cmd[1:]...)
			if code, stdout, stderr := run(args...); code != 0 || !strings.Contains(stderr, "device: cuda") {
				t.Errorf("sru %s: exit %d\nstdout %s\nstderr %s", strings.Join(args, " "), code, stdout, stderr)
			}
		}
	}
}
