package sweep_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosru/gosru/sweep"
	_ "github.com/gosru/gosru/tasks/all"
	"github.com/gosru/gosru/train"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The tests run from the repository root, where the experiment paths of sweep files point.
func chdirRoot(t *testing.T) {
	t.Helper()
	t.Chdir("..")
}

func expand(t *testing.T, text string) []sweep.Run {
	t.Helper()
	s, err := sweep.Parse("test.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func ids(runs []sweep.Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.ID
	}
	return out
}

const cvSweep = `
dir = "out"
experiments = ["experiments/classification/mr_sru.toml", "experiments/classification/cr_*.toml"]
folds = "all"
seeds = [1, 2]
[axes]
"train.lr" = [0.001, 0.002]
"classification.hidden" = [64, 128, 256]
`

func TestExpandCounts(t *testing.T) {
	chdirRoot(t)
	cases := []struct {
		name, text string
		want       int
	}{
		// 4 experiment files (mr_sru, cr_cnn, cr_lstm, cr_sru) × 10 folds × 2 seeds × 2 × 3.
		{"folds all", cvSweep, 4 * 10 * 2 * 2 * 3},
		{"fold list", `experiments = ["experiments/classification/mr_sru.toml"]
folds = [0, 3]
seeds = [1, 2, 3]`, 2 * 3},
		{"no axes", `experiments = ["experiments/quickstart.toml"]`, 1},
		{"seeds only", `experiments = ["experiments/quickstart.toml"]
seeds = [4, 5, 6, 7]`, 4},
		{"fixed splits", `experiments = ["experiments/classification/sst*_sru.toml"]
seeds = [1, 2, 3]`, 2 * 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runs := expand(t, c.text)
			if len(runs) != c.want {
				t.Fatalf("%d runs, want %d", len(runs), c.want)
			}
			dirs := map[string]bool{}
			for i, r := range runs {
				if r.Index != i {
					t.Errorf("run %d has index %d", i, r.Index)
				}
				if dirs[r.Dir] {
					t.Errorf("run directory %s twice", r.Dir)
				}
				dirs[r.Dir] = true
				if !strings.HasSuffix(r.Name, "_"+r.ID) || len(r.ID) != 8 {
					t.Errorf("name %q, id %q", r.Name, r.ID)
				}
			}
		})
	}
}

func TestExpandOrderAndNames(t *testing.T) {
	chdirRoot(t)
	runs := expand(t, cvSweep)
	// Experiments as listed (a glob's matches sorted), then folds, seeds, the axes sorted by
	// key with the last fastest.
	first := runs[:3]
	for i, want := range []string{"mr_sru_f0_s1_hidden=64_lr=0.001_", "mr_sru_f0_s1_hidden=64_lr=0.002_", "mr_sru_f0_s1_hidden=128_lr=0.001_"} {
		if !strings.HasPrefix(first[i].Name, want) {
			t.Errorf("run %d is %s, want %s...", i, first[i].Name, want)
		}
	}
	if r := runs[12]; r.Fold != 1 || r.Experiment != "experiments/classification/mr_sru.toml" {
		t.Errorf("run 12: %+v", r)
	}
	if r := runs[120]; r.Experiment != "experiments/classification/cr_cnn.toml" || r.Fold != 0 {
		t.Errorf("run 120: %+v", r)
	}
	exp, err := runs[5].Load()
	if err != nil {
		t.Fatal(err)
	}
	if exp.Seed != 1 || exp.Train.LR != 0.002 {
		t.Errorf("run 5: seed %d lr %v", exp.Seed, exp.Train.LR)
	}
	if filepath.Dir(runs[0].Dir) != "out" {
		t.Errorf("run directory %s, want under out/", runs[0].Dir)
	}
}

// The same file gives the same ids; reordering the [axes] keys changes nothing; reordering
// values or experiments reorders the runs but keeps every id.
func TestStableIDs(t *testing.T) {
	chdirRoot(t)
	a := ids(expand(t, cvSweep))
	if b := ids(expand(t, cvSweep)); !slices.Equal(a, b) {
		t.Fatal("the same sweep gave different ids")
	}
	swapped := strings.Replace(cvSweep, `"train.lr" = [0.001, 0.002]
"classification.hidden" = [64, 128, 256]`, `"classification.hidden" = [64, 128, 256]
"train.lr" = [0.001, 0.002]`, 1)
	if b := ids(expand(t, swapped)); !slices.Equal(a, b) {
		t.Error("reordering the axes changed the runs")
	}
	reordered := strings.Replace(strings.Replace(cvSweep, "[0.001, 0.002]", "[0.002, 0.001]", 1),
		`["experiments/classification/mr_sru.toml", "experiments/classification/cr_*.toml"]`,
		`["experiments/classification/cr_*.toml", "experiments/classification/mr_sru.toml"]`, 1)
	b := ids(expand(t, reordered))
	if slices.Equal(a, b) {
		t.Error("reordering values and experiments kept the order of the runs")
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Error("reordering values and experiments changed the ids")
	}
	// Known ids: a change of the hash would move every run directory of existing sweeps.
	runs := expand(t, `experiments = ["experiments/quickstart.toml"]
seeds = [1]`)
	if runs[0].ID != "1035c9a0" {
		t.Errorf("id %s changed", runs[0].ID)
	}
}

func TestErrors(t *testing.T) {
	chdirRoot(t)
	cases := []struct {
		name, text string
		want       []string
		expand     bool // the error comes from Expand, not Parse
	}{
		{"unknown key", "experiments = [\"experiments/quickstart.toml\"]\nseed = [1]\n",
			[]string{"test.toml:2:", "unknown key seed"}, false},
		{"unknown axis key", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\n\"train.lrr\" = [1.0]\n",
			[]string{"test.toml:3:", "axis train.lrr", "unknown key"}, true},
		{"axis of a task not trained", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\n\"lm.bptt\" = [35]\n",
			[]string{"test.toml:3:", "axis lm.bptt"}, true},
		{"axis not a list", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\n\"train.lr\" = 0.1\n",
			[]string{"test.toml:3:", "axis train.lr", "list"}, false},
		{"empty axis", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\n\"train.lr\" = []\n",
			[]string{"test.toml:3:", "axis train.lr"}, false},
		{"bad axis value", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\n\"train.epochs\" = [\"many\"]\n",
			[]string{"test.toml:3:", "axis train.epochs"}, true},
		{"unquoted dotted axis", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\ntrain.lr = [0.1]\n",
			[]string{"test.toml:3:", "quote"}, false},
		{"seed axis", "experiments = [\"experiments/quickstart.toml\"]\n[axes]\nseed = [1, 2]\n",
			[]string{"test.toml:3:", "seeds = [...]"}, false},
		{"bad folds", "experiments = [\"experiments/quickstart.toml\"]\nfolds = \"some\"\n",
			[]string{"test.toml:2:", "folds"}, false},
		{"no folds", "experiments = [\"experiments/lm/ptb_sru_cpu.toml\"]\nfolds = \"all\"\n",
			[]string{"test.toml:2:", "declares no folds"}, true},
		{"fold out of range", "experiments = [\"experiments/classification/mr_sru.toml\"]\nfolds = [10]\n",
			[]string{"fold 10"}, true},
		{"negative seed", "experiments = [\"experiments/quickstart.toml\"]\nseeds = [1, -2]\n",
			[]string{"test.toml:2:", "seeds"}, false},
		{"no experiments", "seeds = [1]\n", []string{"experiments"}, false},
		{"glob matches nothing", "experiments = [\"experiments/nothing_*.toml\"]\n",
			[]string{"test.toml:1:", "matches no file"}, true},
		{"same run twice", "experiments = [\"experiments/quickstart.toml\"]\nseeds = [1, 1]\n",
			[]string{"same run"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := sweep.Parse("test.toml", []byte(c.text))
			if err == nil {
				if !c.expand {
					t.Fatal("Parse accepted it")
				}
				_, err = s.Expand()
			} else if c.expand {
				t.Fatalf("Parse: %v (want the error from Expand)", err)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestSweepFiles expands every sweep file of experiments/sweeps/.
func TestSweepFiles(t *testing.T) {
	chdirRoot(t)
	files, err := filepath.Glob("experiments/sweeps/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sweep files (%v)", err)
	}
	want := map[string]int{"table1_cv": 360, "table1_fixed": 27, "ptb": 6, "quickstart": 4}
	for _, f := range files {
		s, err := sweep.Load(f)
		if err != nil {
			t.Error(err)
			continue
		}
		runs, err := s.Expand()
		if err != nil {
			t.Error(err)
			continue
		}
		if n, ok := want[s.Name]; ok && n != len(runs) {
			t.Errorf("%s: %d runs, want %d", f, len(runs), n)
		}
	}
}

func TestPlanAndStatus(t *testing.T) {
	root := t.TempDir()
	runs := make([]sweep.Run, 5)
	for i := range runs {
		runs[i] = sweep.Run{Index: i, Dir: filepath.Join(root, string(rune('a'+i)))}
	}
	write := func(dir, name, text string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// a: never started. b: interrupted with a checkpoint. c: finished. d: failed.
	// e: marked running by a process that is gone.
	write(runs[1].Dir, "step-000000010.ckpt", "x")
	write(runs[1].Dir, "step-000000020.ckpt", "x")
	write(runs[2].Dir, "step-000000020.ckpt", "x")
	write(runs[2].Dir, train.SummaryFile, "{}")
	host, _ := os.Hostname()
	for i, st := range []*sweep.State{{State: "interrupted", Attempt: 1}, {State: "done"}, {State: sweep.Failed, Error: "boom"},
		{State: sweep.Running, Host: host, PID: 1 << 30}} {
		if err := os.MkdirAll(runs[i+1].Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := sweep.WriteState(runs[i+1].Dir, st); err != nil {
			t.Fatal(err)
		}
	}
	wantPlan := []sweep.Action{sweep.Start, sweep.Resume, sweep.Skip, sweep.Start, sweep.Start}
	for i, r := range runs {
		a, ck, err := sweep.Plan(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if a != wantPlan[i] {
			t.Errorf("run %d: %v, want %v", i, a, wantPlan[i])
		}
		if a == sweep.Resume && filepath.Base(ck) != "step-000000020.ckpt" {
			t.Errorf("run %d resumes from %s, want the latest checkpoint", i, ck)
		}
	}
	st, err := sweep.ReadStatus(runs)
	if err != nil {
		t.Fatal(err)
	}
	wantState := []string{sweep.Pending, sweep.Pending, sweep.Done, sweep.Failed, sweep.Failed}
	for i, s := range st {
		if s.State != wantState[i] {
			t.Errorf("run %d: %s (%s), want %s", i, s.State, s.Detail, wantState[i])
		}
	}
	if !st[1].Resumable || st[0].Resumable {
		t.Error("resumable: want only the run with a checkpoint")
	}
	if st[3].Detail != "boom" {
		t.Errorf("failed run detail %q", st[3].Detail)
	}
	c := sweep.Counts(st)
	if c[sweep.Pending] != 2 || c[sweep.Done] != 1 || c[sweep.Failed] != 2 || c[sweep.Running] != 0 {
		t.Errorf("counts %v", c)
	}
	// A running process of this host is running.
	if err := sweep.WriteState(runs[4].Dir, &sweep.State{State: sweep.Running, Host: host, PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if st, _ := sweep.ReadStatus(runs[4:]); st[0].State != sweep.Running {
		t.Errorf("live run is %s", st[0].State)
	}
	if sweep.LiveHere(&sweep.State{State: sweep.Running, Host: host, PID: os.Getpid()}) {
		t.Error("this process's own run counted as another's")
	}
	if !sweep.LiveHere(&sweep.State{State: sweep.Running, Host: host, PID: os.Getppid()}) {
		t.Error("a run of a live process of this host is not live")
	}
	if sweep.LiveHere(&sweep.State{State: sweep.Running, Host: host + "-elsewhere", PID: os.Getppid()}) {
		t.Error("a run of another host counted as live here")
	}
}

func TestSbatchScript(t *testing.T) {
	chdirRoot(t)
	s, err := sweep.Load("experiments/sweeps/quickstart.toml")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	sl := s.Slurm
	sl.Parallel = 2
	sl.Partition = "cpu"
	sl.Extra = []string{"--qos=low"}
	b := &sweep.Batch{Binary: "/opt/gosru/bin/sru", WorkDir: "/home/me/gosru", SweepFile: "experiments/sweeps/quickstart.toml",
		Runs: len(runs), Slurm: sl, LogDir: "/home/me/gosru/runs/sweeps/quickstart/slurm"}
	got, err := b.Script(s.Name)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("sweep", "testdata", "quickstart.sbatch")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("script differs from %s (go test ./sweep -update rewrites it):\n%s", golden, got)
	}
	b.WorkDir = "/home/me/my runs"
	if _, err := b.Script(s.Name); err == nil {
		t.Error("a directory with a space made an #SBATCH line")
	}
}
