package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosru/gosru/train"
)

// TestLockAndInterrupt: while a run trains (a child process), resume of its directory is
// refused naming the child's pid; Ctrl-C (SIGINT) then stops the child with exit status 130
// and a checkpoint, and resume continues it; once done, eval works.
func TestLockAndInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in a child process")
	}
	runs := t.TempDir()
	args := crashRunArgs(runs)
	args = append(args, "-set", "train.epochs=20")
	cmd := child(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var dir string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child wrote no metrics in 30 s:\n%s", cmd.Stdout)
		}
		if dir = runDirOf(t, runs); dir == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, train.MetricsFile)); err == nil && st.Size() > 0 {
			break
		}
	}
	code, _, stderr := run("resume", dir)
	if want := fmt.Sprintf("process %d", cmd.Process.Pid); code != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("resume of a running run: exit %d, %q; want 1 naming %s", code, stderr, want)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted child: %v, want exit status 130\n%s", err, cmd.Stdout)
	}
	if out := fmt.Sprint(cmd.Stdout); !strings.Contains(out, "continue with: sru resume") {
		t.Fatalf("interrupted child printed:\n%s", out)
	}
	if code, _, stderr := run("resume", dir, "-set", "x"); code != 2 {
		t.Fatalf("resume -set: exit %d, %s", code, stderr)
	}
	cfg := filepath.Join(dir, train.ConfigFile)
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(text), "lr = 0.001", "lr = 0.5", 1)), 0o644)
	code, _, stderr = run("resume", dir)
	if code != 1 || !strings.Contains(stderr, "- train.lr = 0.001\n  + train.lr = 0.5\n") || !strings.Contains(stderr, "-force") {
		t.Fatalf("resume with an edited config.toml: exit %d, %s", code, stderr)
	}
	os.WriteFile(cfg, text, 0o644)
	if code, _, stderr := run("eval", dir, "-split", "valid", "-checkpoint", "latest"); code != 0 || !strings.Contains(stderr, "device: ") {
		t.Fatalf("eval of the interrupted run: exit %d, %s", code, stderr)
	}
}

func TestHelpVersion(t *testing.T) {
	if code, out, _ := run("help", "version"); code != 0 || !strings.Contains(out, "usage: sru version") {
		t.Fatalf("help version: %d %q", code, out)
	}
}
