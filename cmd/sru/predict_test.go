package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// echoConfig is the section of a test task that learns w toward target; with predicts it
// writes one line of prediction per split.
type echoConfig struct {
	Target   float64 `toml:"target"`
	Predicts bool    `toml:"predicts"`
	Beam     int     `toml:"beam"` // only echoed, for predict's -beam
}

type echoTask[T kernels.Float] struct {
	cfg echoConfig
	ps  *nn.Params[T]
	w   *nn.Param[T]
	dev kernels.Device[T]
}

func (t *echoTask[T]) Params() *nn.Params[T]     { return t.ps }
func (t *echoTask[T]) NumBatches() int           { return 5 }
func (t *echoTask[T]) Shuffle() bool             { return true }
func (t *echoTask[T]) Splits() []string          { return []string{"valid", "test"} }
func (t *echoTask[T]) Selection() (string, bool) { return "err", false }
func (t *echoTask[T]) value() float64 {
	v := make([]T, 1)
	t.dev.Download(v, t.w.Data)
	return float64(v[0])
}

func (t *echoTask[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	d := g.Add(&t.w.Tensor, g.FromHost([]T{T(-t.cfg.Target)}, 1))
	return g.Mul(d, d), 1, nil
}

func (t *echoTask[T]) Evaluate(split string) (train.Metrics, error) {
	return train.Metrics{"err": (t.value() - t.cfg.Target) * (t.value() - t.cfg.Target)}, nil
}

// echoPredictor is the echo task with a predictor.
type echoPredictor[T kernels.Float] struct{ *echoTask[T] }

func (p echoPredictor[T]) Predict(split string, w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s w=%.3f beam=%d\n", split, p.value(), p.cfg.Beam)
	return err
}

// DecodeTiming makes the echo predictor a decodeTimer: one sentence in a quarter second.
func (p echoPredictor[T]) DecodeTiming() (int, float64) { return 1, 0.25 }

func newEcho[T kernels.Float](c echoConfig, env experiments.Env, dev kernels.Device[T]) (train.Task[T], error) {
	t := &echoTask[T]{cfg: c, ps: nn.NewParams(dev), dev: dev}
	t.w = t.ps.Add("w", 1)
	if c.Predicts {
		return echoPredictor[T]{t}, nil
	}
	return t, nil
}

func init() {
	experiments.Register(experiments.TaskSpec[echoConfig]{
		Name: "echo", Summary: "a test task",
		Default:  func() echoConfig { return echoConfig{Target: 0.5} },
		Validate: func(echoConfig) error { return nil },
		New32:    newEcho[float32], New64: newEcho[float64],
	})
}

// TestPredict: sru predict writes a predicting task's output to stdout or a file, and a task
// that does not predict says so.
func TestPredict(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "echo.toml")
	os.WriteFile(file, []byte("task = \"echo\"\n[train]\nepochs = 3\nlr = 0.1\n[echo]\npredicts = true\n"), 0o644)
	runs := filepath.Join(dir, "runs")
	if code, _, stderr := run("run", file, "-runs-dir", runs); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	runDir := onlyRunDir(t, filepath.Join(runs, "echo"))
	code, stdout, stderr := run("predict", runDir, "-split", "valid")
	if code != 0 || !strings.HasPrefix(stdout, "valid w=0.") {
		t.Fatalf("predict: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "decoded 1 sentences in 0.25 s (4.0 sentences/s)") {
		t.Fatalf("predict does not print the task's decoding time: %q", stderr)
	}
	// -beam is short for -set echo.beam; -length-penalty names a key the echo task lacks.
	if code, stdout, stderr := run("predict", runDir, "-beam", "5"); code != 0 || !strings.Contains(stdout, "beam=5") {
		t.Fatalf("predict -beam 5: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := run("predict", runDir, "-length-penalty", "gnmt"); code != 1 ||
		!strings.Contains(stderr, "-length-penalty") || !strings.Contains(stderr, "echo.length_penalty") {
		t.Fatalf("predict -length-penalty on a task without it: exit %d, %q", code, stderr)
	}
	out := filepath.Join(dir, "pred.txt")
	if code, _, stderr := run("predict", runDir, "-checkpoint", "latest", "-out", out); code != 0 {
		t.Fatalf("predict -out: %s", stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "test w=") {
		t.Fatalf("predictions file %q, %v", b, err)
	}
	if code, _, stderr := run("predict", runDir, "-split", "train"); code != 1 || !strings.Contains(stderr, `no "train" split`) {
		t.Fatalf("predict -split train: exit %d, %q", code, stderr)
	}

	os.WriteFile(file, []byte("task = \"echo\"\n[train]\nepochs = 1\n"), 0o644)
	runs2 := filepath.Join(dir, "runs2")
	if code, _, stderr := run("run", file, "-runs-dir", runs2); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	code, _, stderr = run("predict", onlyRunDir(t, filepath.Join(runs2, "echo")), "-out", out+"2")
	if code != 1 || !strings.Contains(stderr, `task "echo" does not write predictions`) {
		t.Fatalf("a task without a predictor: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out + "2"); err == nil {
		t.Fatal("an output file was created for a task that does not predict")
	}
	if code, _, stderr := run("generate", runDir); code != 1 || !strings.Contains(stderr, "does not sample text") {
		t.Fatalf("generate on a task that is not a language model: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run("predict"); code != 2 || !strings.Contains(stderr, "which run directory") {
		t.Fatalf("predict without a run: exit %d, %q", code, stderr)
	}
}

// TestDataListTasks: sru data list names the task of each dataset and says which are not
// implemented yet.
func TestDataListTasks(t *testing.T) {
	code, stdout, stderr := run("data", "list", "--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"trec", "ptb", "squad", "wmt14"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("data list lacks %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if (strings.HasPrefix(line, "mr ") || strings.HasPrefix(line, "squad ")) && strings.Contains(line, "not yet implemented") {
			t.Errorf("an implemented task marked as not implemented: %q", line)
		}
	}
}

func onlyRunDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("run directories in %s: %v %v", dir, entries, err)
	}
	return filepath.Join(dir, entries[0].Name())
}
