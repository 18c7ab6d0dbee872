package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/sweep"
	"github.com/gosru/gosru/train"
)

// writeSweep writes a sweep of the quickstart (a few steps per run) whose runs go under dir.
func writeSweep(t *testing.T, dir, extra string) string {
	t.Helper()
	exp, err := filepath.Abs("../../experiments/quickstart.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := "dir = " + quote(filepath.Join(dir, "runs")) + "\nexperiments = [" + quote(exp) + "]\n" +
		"set = [\"train.max_steps=4\", \"train.checkpoint_every_steps=2\", \"train.epochs=1\"]\n" + extra
	path := filepath.Join(dir, "sweep.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func quote(s string) string { return "\"" + s + "\"" }

func TestSweepCommandErrors(t *testing.T) {
	file := writeSweep(t, t.TempDir(), "seeds = [1, 2]\n")
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sweep"}, 2, "name one sweep file"},
		{[]string{"sweep", file}, 2, "pick one of"},
		{[]string{"sweep", "-list", "-status", file}, 2, "pick one of"},
		{[]string{"sweep", "-local", "-j", "0", file}, 2, "-j must be at least 1"},
		{[]string{"sweep", "-task", "2", file}, 1, "the sweep has 2 runs"},
		{[]string{"sweep", "-list", "no-such.toml"}, 1, "no-such.toml"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("sru %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
	}
	t.Setenv("JOB_COMPLETION_INDEX", "x")
	if code, _, stderr := run("sweep", file); code != 1 || !strings.Contains(stderr, "JOB_COMPLETION_INDEX") {
		t.Errorf("bad $JOB_COMPLETION_INDEX: exit %d, %q", code, stderr)
	}
}

func TestSweepListAndPrint(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, dir, "seeds = [1, 2]\n[axes]\n\"train.lr\" = [0.001, 0.01]\n")
	code, stdout, stderr := run("sweep", "-list", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 2+4 || !strings.Contains(lines[0], "4 runs") {
		t.Errorf("-list printed %q", stdout)
	}
	code, stdout, stderr = run("sweep", file, "-print", "-parallel", "3", "-time", "1:00:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"#SBATCH --array=0-3%3", "#SBATCH --time=1:00:00", "#SBATCH --signal=USR1@120", "sweep -task \"$SLURM_ARRAY_TASK_ID\" " + file} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-print lacks %q:\n%s", want, stdout)
		}
	}
}

// A task trains its run, a second start skips it, and a run with a checkpoint resumes it.
func TestSweepTaskResumeOrSkip(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := t.TempDir()
	file := writeSweep(t, dir, "seeds = [1, 2]\n")
	s, err := sweep.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "1") // the Kubernetes Indexed Job entry point
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	code, _, stderr := run("sweep", file)
	if code != 0 || !strings.Contains(stderr, "task 1: starting") {
		t.Fatalf("first start: exit %d, %s", code, stderr)
	}
	done, err := train.ReadSummary(runs[1].Dir)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run("sweep", "-task", "1", file)
	if code != 0 || !strings.Contains(stderr, "done; skipped") {
		t.Fatalf("second start: exit %d, %s", code, stderr)
	}
	// Make the finished run look interrupted after step 2: it resumes there, and ends as it did.
	if err := os.Remove(filepath.Join(runs[1].Dir, train.SummaryFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(runs[1].Dir, "step-000000004.ckpt")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run("sweep", "-task", "1", file)
	if code != 0 || !strings.Contains(stderr, "task 1: resuming") || !strings.Contains(stderr, "step 2)") {
		t.Fatalf("resume: exit %d, %s", code, stderr)
	}
	again, err := train.ReadSummary(runs[1].Dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Test["loss"] != done.Test["loss"] || again.Steps != done.Steps {
		t.Errorf("resumed run ended with %v after %d steps, the uninterrupted one with %v after %d", again.Test, again.Steps, done.Test, done.Steps)
	}
	st, err := sweep.ReadState(runs[1].Dir)
	if err != nil || st.State != sweep.Done || st.Attempt != 2 {
		t.Errorf("state %+v (%v), want done after 2 attempts", st, err)
	}
	code, stdout, _ := run("sweep", "-status", file)
	if code != 0 || !strings.Contains(stdout, "pending 1 (0 with a checkpoint), running 0, done 1, failed 0") {
		t.Errorf("-status: exit %d, %q", code, stdout)
	}
	// A run directory another process holds is refused, not trained twice.
	if err := os.MkdirAll(runs[0].Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := train.LockRunDir(runs[0].Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	code, _, stderr = run("sweep", "-task", "0", file)
	if code == 0 || !strings.Contains(stderr, "task 0:") || !strings.Contains(stderr, "run.lock") {
		t.Errorf("a locked run: exit %d, %s", code, stderr)
	}
}
