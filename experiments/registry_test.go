package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// fakeConfig is the [fake] section of the fake task registered by these tests.
type fakeConfig struct {
	Target  float64 `toml:"target"`
	Batches int     `toml:"batches"`
	// Fold -1 asks for three runs, as classification's fold = -1 asks for ten.
	Fold  int `toml:"fold"`
	Inner struct {
		Name string `toml:"name"`
	} `toml:"inner"`
}

func (c fakeConfig) validate() error {
	if c.Batches <= 0 {
		return fmt.Errorf("fake: batches must be positive, got %d", c.Batches)
	}
	return nil
}

// fakeTask learns one number: the loss of every batch is (w - target)².
type fakeTask[T kernels.Float] struct {
	cfg fakeConfig
	ps  *nn.Params[T]
	w   *nn.Param[T]
	dev kernels.Device[T]
}

func newFakeTask[T kernels.Float](c fakeConfig, env Env, dev kernels.Device[T]) (train.Task[T], error) {
	if env.DataDir == "missing" {
		return nil, fmt.Errorf("fake: no data in %s", env.DataDir)
	}
	t := &fakeTask[T]{cfg: c, ps: nn.NewParams(dev), dev: dev}
	t.w = t.ps.Add("w", 1)
	return t, nil
}

func (t *fakeTask[T]) Params() *nn.Params[T]     { return t.ps }
func (t *fakeTask[T]) NumBatches() int           { return t.cfg.Batches }
func (t *fakeTask[T]) Shuffle() bool             { return true }
func (t *fakeTask[T]) Splits() []string          { return []string{"valid", "test"} }
func (t *fakeTask[T]) Selection() (string, bool) { return "err", false }
func (t *fakeTask[T]) Labels() map[string]string { return map[string]string{"inner": t.cfg.Inner.Name} }

func (t *fakeTask[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	d := g.Add(&t.w.Tensor, g.FromHost([]T{T(-t.cfg.Target)}, 1))
	return g.Mul(d, d), 1, nil
}

func (t *fakeTask[T]) Evaluate(split string) (train.Metrics, error) {
	v := make([]T, 1)
	t.dev.Download(v, t.w.Data)
	return train.Metrics{"err": float64(v[0]) - t.cfg.Target}, nil
}

func init() {
	Register(TaskSpec[fakeConfig]{
		Name:     "fake",
		Summary:  "a test task",
		Default:  func() fakeConfig { c := fakeConfig{Target: 1, Batches: 4}; c.Inner.Name = "default"; return c },
		Validate: fakeConfig.validate,
		Folds: func(c fakeConfig) []int {
			if c.Fold == -1 {
				return []int{0, 1, 2}
			}
			return nil
		},
		WithFold: func(c fakeConfig, k int) fakeConfig { c.Fold = k; return c },
		New32:    newFakeTask[float32],
		New64:    newFakeTask[float64],
	})
}

// TestRegisteredTaskEndToEnd: a task registered from outside experiments is loaded from a
// file, overridden with -set, validated, encoded into the resolved TOML and read back, split
// into folds, built at both precisions and trained by the loop.
func TestRegisteredTaskEndToEnd(t *testing.T) {
	text := "task = \"fake\"\nseed = 3\n[train]\nepochs = 2\nlr = 0.1\n[fake]\ntarget = 2.5\n[fake.inner]\nname = \"x\"\n"
	path := filepath.Join(t.TempDir(), "f.toml")
	os.WriteFile(path, []byte(text), 0o644)
	e, err := Load(path, []string{"fake.batches=6", "fake.inner.name=from-set"})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := Section[fakeConfig](e)
	if !ok || c.Target != 2.5 || c.Batches != 6 || c.Inner.Name != "from-set" || e.Name != "f" || e.Train.Epochs != 2 {
		t.Fatalf("loaded %+v %+v", e, c)
	}
	if _, ok := Section[struct{}](e); ok {
		t.Fatal("Section of the wrong type succeeded")
	}
	if e.Folds() != nil {
		t.Fatalf("one run expected, got folds %v", e.Folds())
	}

	// The resolved TOML holds the fake section and loads back to the same experiment.
	resolved, err := e.TOML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resolved, "[fake]") || !strings.Contains(resolved, "[fake.inner]") {
		t.Fatalf("resolved TOML lacks the task section:\n%s", resolved)
	}
	back, err := Parse("config.toml", []byte(resolved), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, resolved)
	}
	if again, _ := back.TOML(); again != resolved {
		t.Fatalf("round trip changed the experiment:\n%s\n---\n%s", resolved, again)
	}

	// Folds come from the task.
	e3, err := Parse("x.toml", []byte(text), []string{"fake.fold=-1"})
	if err != nil {
		t.Fatal(err)
	}
	if f := e3.Folds(); len(f) != 3 {
		t.Fatalf("folds %v", f)
	}
	if c1, _ := Section[fakeConfig](e3.WithFold(1)); c1.Fold != 1 {
		t.Fatalf("WithFold(1) gave fold %d", c1.Fold)
	}
	if c0, _ := Section[fakeConfig](e3); c0.Fold != -1 {
		t.Fatal("WithFold changed the original experiment")
	}

	// Built and trained at both precisions.
	task64, labels, err := NewTask(e, kernels.MustCPU[float64]())
	if err != nil {
		t.Fatal(err)
	}
	if labels["task"] != "fake" || labels["inner"] != "from-set" {
		t.Fatalf("labels %v", labels)
	}
	if _, _, err := NewTask(e, kernels.MustCPU[float32]()); err != nil {
		t.Fatal(err)
	}
	dir, err := train.NewRunDir(t.TempDir(), e.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run := &train.Run[float64]{Dir: dir, Experiment: e.Name, ConfigTOML: resolved, Cfg: e.Train, Seed: e.Seed,
		Labels: labels, Task: task64, Dev: kernels.MustCPU[float64]()}
	sum, err := run.Train(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 12 || sum.Labels["task"] != "fake" {
		t.Fatalf("summary %+v", sum)
	}
	saved, err := Load(filepath.Join(dir, train.ConfigFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := Section[fakeConfig](saved); c.Batches != 6 {
		t.Fatalf("config.toml read back %+v", c)
	}

	// Constructor errors come back.
	e.DataDir = "missing"
	if _, _, err := NewTask(e, kernels.MustCPU[float64]()); err == nil || !strings.Contains(err.Error(), "no data") {
		t.Fatalf("constructor error: %v", err)
	}
}

// TestTaskSectionStrict: the task's section is decoded as strictly as the common keys.
func TestTaskSectionStrict(t *testing.T) {
	cases := []struct {
		name, text string
		sets       []string
		want       []string
	}{
		{"unknown key in the section", "task = \"fake\"\n[fake]\ntarget = 1\ntargte = 2\n", nil, []string{"bad.toml:4", "unknown key fake.targte"}},
		{"unknown key in a subtable", "task = \"fake\"\n[fake.inner]\nnme = \"a\"\n", nil, []string{"bad.toml:3", "fake.inner.nme"}},
		{"wrong type in the section", "task = \"fake\"\n[fake]\nbatches = \"six\"\n", nil, []string{"bad.toml:3", "batches"}},
		{"section validation", "task = \"fake\"\n[fake]\nbatches = 0\n", nil, []string{"bad.toml", "batches must be positive"}},
		{"-set unknown key", "task = \"fake\"\n", []string{"fake.nokey=1"}, []string{"-set fake.nokey=1", "unknown key fake.nokey"}},
		{"-set wrong type", "task = \"fake\"\n", []string{"fake.batches=many"}, []string{"-set fake.batches=many"}},
		{"-set another task's section", "task = \"fake\"\n", []string{"fake.batches=2", "task=other"}, []string{"task must be one of", "other"}},
		{"no task", "seed = 2\n", nil, []string{"no task", "fake"}},
		{"unknown task", "task = \"nope\"\n", nil, []string{"task must be one of", "nope"}},
	}
	for _, c := range cases {
		_, err := Parse("bad.toml", []byte(c.text), c.sets)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	good := TaskSpec[fakeConfig]{Name: "fake2", Default: func() fakeConfig { return fakeConfig{} },
		Validate: fakeConfig.validate, New32: newFakeTask[float32], New64: newFakeTask[float64]}
	for name, spec := range map[string]TaskSpec[fakeConfig]{
		"duplicate":   func() TaskSpec[fakeConfig] { s := good; s.Name = "fake"; return s }(),
		"common key":  func() TaskSpec[fakeConfig] { s := good; s.Name = "train"; return s }(),
		"bad name":    func() TaskSpec[fakeConfig] { s := good; s.Name = "Fake Task"; return s }(),
		"no New64":    func() TaskSpec[fakeConfig] { s := good; s.New64 = nil; return s }(),
		"half a fold": func() TaskSpec[fakeConfig] { s := good; s.Folds = func(fakeConfig) []int { return nil }; return s }(),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			Register(spec)
		}()
	}
}
