package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFinalCheckpointOnMaxSteps: a run stopped by max_steps inside an epoch, or by early
// stopping between evaluations, ends with a step checkpoint of its last step and a best one.
func TestFinalCheckpointOnMaxSteps(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(*Run[float64])
		step  int
	}{
		{"max_steps", func(r *Run[float64]) { r.Cfg.MaxSteps = 7 }, 7},
		{"early stop", func(r *Run[float64]) { r.Cfg.EvalEverySteps, r.Cfg.Patience, r.Cfg.LR = 1, 1, 1e-12 }, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := newTestRun(t, newMLPTask(11), 3)
			c.setup(run)
			s, err := run.Train(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Steps != c.step {
				t.Fatalf("stopped at step %d, want %d (%s)", s.Steps, c.step, s.Stopped)
			}
			path, err := LatestCheckpoint(run.Dir)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := ReadCheckpoint(path)
			if err != nil || ck.Step != c.step {
				t.Fatalf("latest checkpoint %s: step %v, %v; want step %d", path, ck, err, c.step)
			}
			if _, err := ReadCheckpoint(BestCheckpoint(run.Dir)); err != nil {
				t.Fatalf("best checkpoint: %v", err)
			}
		})
	}
}

// TestFinalCheckpointWithoutValid: without a validation split, best.ckpt is the last model.
func TestFinalCheckpointWithoutValid(t *testing.T) {
	task := &noValidTask{newMLPTask(12)}
	run := runOf(t, task, 1)
	run.Cfg.MaxSteps = 5
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(BestCheckpoint(run.Dir))
	if err != nil || ck.Step != 5 {
		t.Fatalf("best.ckpt: %v, %v; want the last model (step 5)", ck, err)
	}
}

type noValidTask struct{ *mlpTask }

func (noValidTask) Splits() []string { return []string{"test"} }

// TestRunLock: a second lock of a locked run directory fails naming the holder's pid (flock
// locks belong to the open file: two opens in one process exclude each other), and succeeds
// once the first is released.
func TestRunLock(t *testing.T) {
	dir := t.TempDir()
	first, err := LockRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockRunDir(dir)
	if !errors.Is(err, ErrLocked) {
		if lockSupported {
			t.Fatalf("second lock: %v, want ErrLocked", err)
		}
		t.Skip("flock is not supported on this system")
	}
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the holder (%s)", err, want)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	second, err := LockRunDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	second.Unlock()
}

func TestCleanTemp(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".tmp-step-000000005.ckpt-123", ".summary.json.tmp", "step-000000005.ckpt", "config.toml"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	removed, err := CleanTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(removed) != "[.summary.json.tmp .tmp-step-000000005.ckpt-123]" {
		t.Fatalf("removed %v", removed)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 2 {
		t.Fatalf("%d files left, want 2", len(left))
	}
}

// TestOpenCheckpointFallback: a corrupt latest checkpoint is skipped, with its reason, for the
// newest intact one; best and a file name are taken as given.
func TestOpenCheckpointFallback(t *testing.T) {
	run := newTestRun(t, newMLPTask(13), 3)
	run.Cfg.KeepLast = 3
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	names, _ := stepCheckpoints(run.Dir)
	if len(names) != 3 {
		t.Fatalf("checkpoints %v", names)
	}
	newest := filepath.Join(run.Dir, names[2])
	raw, _ := os.ReadFile(newest)
	raw[len(raw)/3] ^= 1
	os.WriteFile(newest, raw, 0o644)
	path, ck, skipped, err := OpenCheckpoint(run.Dir, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(run.Dir, names[1]) || ck.Step != 24 {
		t.Fatalf("fell back to %s (step %d), want %s", path, ck.Step, names[1])
	}
	if len(skipped) != 1 || skipped[0].Path != newest || !errors.Is(skipped[0].Reason, ErrCorrupt) {
		t.Fatalf("skipped %v", skipped)
	}
	moved, err := SetAsideAfter(run.Dir, ck.Step)
	if err != nil || len(moved) != 1 || moved[0] != names[2]+".abandoned" {
		t.Fatalf("set aside %v, %v", moved, err)
	}
	if p, _ := LatestCheckpoint(run.Dir); p != path {
		t.Fatalf("latest after setting aside is %s, want %s", p, path)
	}
	if p, _, _, err := OpenCheckpoint(run.Dir, "best"); err != nil || p != BestCheckpoint(run.Dir) {
		t.Fatalf("best: %s, %v", p, err)
	}
	if p, ck, _, err := OpenCheckpoint(run.Dir, names[0]); err != nil || ck.Step != 12 || p != filepath.Join(run.Dir, names[0]) {
		t.Fatalf("file %s: %s, %v", names[0], p, err)
	}
	for _, n := range names[:2] {
		os.WriteFile(filepath.Join(run.Dir, n), []byte("torn"), 0o644)
	}
	if _, _, skipped, err := OpenCheckpoint(run.Dir, "latest"); err == nil || len(skipped) != 2 {
		t.Fatalf("all corrupt: %v, skipped %v", err, skipped)
	}
}

func TestParseEvents(t *testing.T) {
	good := `{"event":"train","step":1,"train_s":0,"wall_s":0,"time":"2026-01-01T00:00:00Z"}` + "\n"
	events, warn, err := ParseEvents("m.jsonl", []byte(good+"\n"+good+`{"event":"tr`))
	if err != nil || len(events) != 2 || !strings.Contains(warn, "m.jsonl:4: torn last line") {
		t.Fatalf("torn last line: %d events, warning %q, %v", len(events), warn, err)
	}
	_, _, err = ParseEvents("m.jsonl", []byte(good+"{\"event\":\"tr\n"+good))
	if err == nil || !strings.HasPrefix(err.Error(), "train: m.jsonl:2: ") {
		t.Fatalf("bad middle line: %v, want m.jsonl:2", err)
	}
	_, _, err = ParseEvents("m.jsonl", []byte(good+"{}{}\n"))
	if err == nil || !strings.Contains(err.Error(), "m.jsonl:2") {
		t.Fatalf("two objects on a line: %v", err)
	}
}

// TestProgressLines: without a terminal, the loop prints a progress line every ProgressEvery.
func TestProgressLines(t *testing.T) {
	run := newTestRun(t, newMLPTask(14), 1)
	var b strings.Builder
	run.Progress, run.ProgressEvery = &b, 1
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 12 || !strings.HasPrefix(lines[11], "step 12  ") || !strings.Contains(lines[0], " steps/s  loss ") {
		t.Fatalf("progress lines:\n%s", b.String())
	}
}
