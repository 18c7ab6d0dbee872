package experiments_test

import (
	"os"
	"strings"
	"testing"

	. "github.com/gosru/gosru/experiments"
)

// FuzzParse feeds arbitrary experiment text and one -set override to the loader: it must
// return an experiment or an error that says where it came from, never panic; an accepted
// experiment names a registered task and passes its own validation. The seed corpus is in
// testdata/fuzz/FuzzParse; the shipped experiment files are added as seeds too.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"quickstart.toml", "classification/cr_sru.toml", "lm/ptb_sru_cpu.toml"} {
		if text, err := os.ReadFile(p); err == nil {
			f.Add(text, "train.epochs=2")
		}
	}
	f.Fuzz(func(t *testing.T, text []byte, set string) {
		var sets []string
		if set != "" {
			sets = []string{set}
		}
		e, err := Parse("fuzz.toml", text, sets)
		checkParsed(t, e, err)
	})
}

// FuzzSet applies arbitrary -set overrides to a valid experiment (quickstart.toml): each is
// applied or refused with an error naming the override, never a panic.
func FuzzSet(f *testing.F) {
	text, err := os.ReadFile("quickstart.toml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"train.epochs=abc", "train.lr=0.5", "classification.model=lstm",
		"task=lm", "seed=", "=", "classification.dataset=\"cr\"", "a.b.c.d=1", "train.epochs=[1,2]"} {
		f.Add(s, "seed=3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		e, err := Parse("quickstart.toml", text, []string{a, b})
		checkParsed(t, e, err)
	})
}

func checkParsed(t *testing.T, e *Experiment, err error) {
	t.Helper()
	if err != nil {
		if e != nil {
			t.Fatalf("an experiment and an error: %v", err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "experiments: ") {
			t.Fatalf("error without the package prefix: %q", msg)
		}
		return
	}
	if e == nil || e.Task == "" || e.Section == nil {
		t.Fatalf("accepted without a task or its section: %+v", e)
	}
	if _, ok := TaskSummary(e.Task); !ok {
		t.Fatalf("accepted unregistered task %q", e.Task)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("accepted an experiment that fails Validate: %v", err)
	}
}
