package experiments_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gosru/gosru/experiments"
	_ "github.com/gosru/gosru/tasks/all"
	"github.com/gosru/gosru/tasks/lm"
)

// TestLoadEveryExperiment loads every *.toml under experiments/ strictly (but sweeps/).
func TestLoadEveryExperiment(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == "sweeps" {
			return filepath.SkipDir // sweep files (package sweep tests them)
		}
		if err != nil || d.IsDir() || filepath.Ext(path) != ".toml" {
			return err
		}
		n++
		if _, err := Load(path, nil); err != nil {
			t.Errorf("%v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no experiment files found")
	}
}

func TestStrictErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "seed = 3\ncolour = \"red\"\n", []string{"bad.toml:2", "unknown key colour"}},
		{"unknown key in a table", "[train]\nepochs = 3\nlearning_rate = 0.1\n", []string{"bad.toml:3", "train.learning_rate"}},
		{"unknown table", "[trian]\nepochs = 3\n", []string{"bad.toml:", "trian"}},
		{"wrong type", "[train]\nepochs = \"many\"\n", []string{"bad.toml:2", "epochs"}},
		{"bad value", "[train]\noptimizer = \"adagrad\"\n", []string{"bad.toml", "optimizer"}},
		{"not TOML", "[train\n", []string{"bad.toml:", "table name"}},
		{"unknown key in the task's section", "task = \"lm\"\n[lm]\nunroll = 5\nunrol = 6\n", []string{"bad.toml:4", "lm.unrol"}},
		{"wrong type in the task's section", "[classification]\nhidden = 1.5\n", []string{"bad.toml:2", "hidden"}},
	}
	for _, c := range cases {
		_, err := Parse("bad.toml", []byte(c.text), []string{"task=classification"})
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

func TestSetOverrides(t *testing.T) {
	e, err := Parse("x.toml", []byte("task = \"classification\"\n[train]\nepochs = 3\n"), []string{
		"train.epochs=7", "train.lr=0.5", "seed=42", "precision=float64", "train.optimizer=sgd"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Train.Epochs != 7 || e.Train.LR != 0.5 || e.Seed != 42 || e.Precision != "float64" || e.Train.Optimizer != "sgd" {
		t.Fatalf("overrides not applied: %+v", e)
	}
	for _, bad := range []string{"train.epoch=3", "train.epochs=abc", "nokey", "train.lr=-1", "classification.hidden=3"} {
		if _, err := Parse("x.toml", nil, []string{"task=lm", bad}); err == nil || !strings.Contains(err.Error(), "") {
			t.Errorf("-set %s: no error", bad)
		}
	}
}

// TestResolvedRoundTrip: the resolved TOML written to a run directory loads back to the same
// experiment (resume depends on it).
func TestResolvedRoundTrip(t *testing.T) {
	e, err := Parse("x.toml", []byte("name = \"rt\"\ntask = \"classification\"\n[train]\nepochs = 4\n"),
		[]string{"train.clip_grad_norm=5", "classification.dataset=trec", "classification.cnn_widths=[2, 7]"})
	if err != nil {
		t.Fatal(err)
	}
	text, err := e.TOML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte(text), 0o644)
	back, err := Load(path, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	t2, _ := back.TOML()
	if t2 != text {
		t.Fatalf("round trip changed the experiment:\n%s\n---\n%s", text, t2)
	}
}

// TestEverySectionConfig: a config.toml written before tasks registered themselves holds the
// section of every task; it still loads (each section strictly) and keeps the active one.
func TestEverySectionConfig(t *testing.T) {
	text := "name = \"old\"\ntask = \"lm\"\n[train]\nepochs = 2\n[classification]\ndataset = \"trec\"\n[lm]\nunroll = 7\n"
	e, err := Parse("config.toml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := Section[lm.Config](e); !ok || c.Unroll != 7 {
		t.Fatalf("lm section %+v", e.Section)
	}
	resolved, _ := e.TOML()
	if strings.Contains(resolved, "[classification]") || !strings.Contains(resolved, "[lm]") {
		t.Fatalf("resolved TOML holds other tasks' sections:\n%s", resolved)
	}
	if _, err := Parse("config.toml", []byte(text+"[classification.sru]\nbidirectonal = true\n"), nil); err == nil ||
		!strings.Contains(err.Error(), "config.toml:10: unknown key classification.sru.bidirectonal") {
		t.Fatalf("an inactive section is not checked: %v", err)
	}
}

func TestSetTypeAndForeignSection(t *testing.T) {
	_, err := Parse("x.toml", []byte("task = \"classification\"\n"), []string{"train.epochs=abc"})
	if err == nil || err.Error() != "experiments: -set train.epochs=abc: train.epochs takes an integer, not a string" {
		t.Fatalf("-set train.epochs=abc: %v", err)
	}
	text := "task = \"classification\"\n\n[classification]\ndataset = \"trec\"\n\n[lm]\nmodel = \"sru\"\n"
	err = CheckSections("x.toml", []byte(text))
	if err == nil || !strings.HasPrefix(err.Error(), `experiments: x.toml:6: a [lm] section in an experiment of task "classification" would be ignored`) {
		t.Fatalf("a foreign section: %v", err)
	}
	if err := CheckSections("x.toml", []byte("task = \"lm\"\n[lm]\nunroll = 7\n")); err != nil {
		t.Fatal(err)
	}
}
