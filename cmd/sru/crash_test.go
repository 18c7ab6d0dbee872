package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gosru/gosru/train"
)

// crashChildEnv, when set in the environment, makes the test binary run the sru command line
// it holds (JSON) instead of the tests: the crash test's child processes.
const crashChildEnv = "SRU_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(crashChildEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(runMain(&env{stdout: os.Stdout, stderr: os.Stderr}, args))
	}
	os.Exit(m.Run())
}

// child starts this test binary as `sru args...`.
func child(t *testing.T, args ...string) *exec.Cmd {
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+string(a))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd
}

// crashRunArgs is a tiny classification run (TREC, compiled in): 2 epochs of 154 steps, a
// checkpoint every 10 steps.
func crashRunArgs(runsDir string) []string {
	args := []string{"run", "../../experiments/quickstart.toml", "-runs-dir", runsDir}
	for _, s := range []string{"train.epochs=2", "classification.embedding_dim=16", "classification.hidden=16",
		"classification.layers=1", "train.checkpoint_every_steps=10", "train.log_every_steps=5"} {
		args = append(args, "-set", s)
	}
	return args
}

// runDirOf is the one run directory under runsDir, or "".
func runDirOf(t *testing.T, runsDir string) string {
	m, _ := filepath.Glob(filepath.Join(runsDir, "quickstart", "*"))
	if len(m) > 1 {
		t.Fatalf("several run directories: %v", m)
	}
	if len(m) == 0 {
		return ""
	}
	return m[0]
}

// TestCrashConsistency kills a training run with SIGKILL at 20 random moments, resuming it
// each time (starting over while it has no checkpoint yet), and checks that it ends with the
// parameters of an uninterrupted run, bit for bit, and with a metrics.jsonl whose every line
// parses and that holds each event of each step once.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts about 25 training processes (about 40 s)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	refRuns := t.TempDir()
	start := time.Now()
	ref := child(t, crashRunArgs(refRuns)...)
	if err := ref.Run(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, ref.Stdout)
	}
	full := time.Since(start)
	refDir := runDirOf(t, refRuns)

	runs := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills, finished, attempts, resumes := 0, 0, 0, 0
	for kills < 20 {
		if attempts++; attempts > 100 {
			t.Fatalf("only %d kills in %d attempts", kills, attempts)
		}
		dir := runDirOf(t, runs)
		if dir != "" {
			if _, err := train.LatestCheckpoint(dir); err != nil {
				os.RemoveAll(dir) // killed before its first checkpoint: start over
				dir = ""
			}
		}
		cmd := child(t, "resume", dir)
		if dir != "" {
			resumes++
		} else {
			cmd = child(t, crashRunArgs(runs)...)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			// The run ended before the kill: check it, and start another.
			if err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args[1:], err, cmd.Stdout)
			}
			compareRuns(t, refDir, runDirOf(t, runs))
			finished++
			os.RemoveAll(filepath.Dir(runDirOf(t, runs)))
		case <-time.After(time.Duration(rng.Float64() * float64(full) / 2)):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
	if dir := runDirOf(t, runs); dir != "" {
		final := child(t, "resume", dir)
		if _, err := train.LatestCheckpoint(dir); err != nil {
			os.RemoveAll(dir)
			final = child(t, crashRunArgs(runs)...)
		}
		if err := final.Run(); err != nil {
			t.Fatalf("final resume: %v\n%s", err, final.Stdout)
		}
		compareRuns(t, refDir, runDirOf(t, runs))
		finished++
	}
	t.Logf("%d kills in %d attempts (%d resumes), %d runs finished and compared; an uninterrupted run takes %.1fs",
		kills, attempts, resumes, finished, full.Seconds())
	if resumes < 5 {
		t.Fatalf("only %d resumes: the kills did not land inside the runs", resumes)
	}
}

// compareRuns checks that a run ended with the parameters, the events and the results of the
// uninterrupted one.
func compareRuns(t *testing.T, refDir, dir string) {
	t.Helper()
	for _, name := range []string{"step-000000308.ckpt", "best.ckpt"} {
		want, err := train.ReadCheckpoint(filepath.Join(refDir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := train.ReadCheckpoint(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got.Step != want.Step || len(got.Params) != len(want.Params) {
			t.Fatalf("%s: step %d with %d parameters, want %d with %d", name, got.Step, len(got.Params), want.Step, len(want.Params))
		}
		for i := range want.Params {
			if !bytes.Equal(got.Params[i].Data, want.Params[i].Data) {
				t.Fatalf("%s: parameter %s differs from the uninterrupted run's", name, want.Params[i].Name)
			}
		}
	}
	wantEvents := eventKeys(t, refDir)
	gotEvents := eventKeys(t, dir)
	if !slices.Equal(gotEvents, wantEvents) {
		t.Fatalf("metrics.jsonl events differ from the uninterrupted run's:\n got %v\nwant %v", gotEvents, wantEvents)
	}
	ws, _ := train.ReadSummary(refDir)
	gs, err := train.ReadSummary(dir)
	if err != nil || fmt.Sprint(gs.Test, gs.Valid) != fmt.Sprint(ws.Test, ws.Valid) {
		t.Fatalf("summary %v (%v), want %v", gs, err, ws)
	}
}

// eventKeys reads a run's metrics.jsonl line by line (no torn or bad line allowed) and returns
// each event as "event split step metrics", failing on a duplicate.
func eventKeys(t *testing.T, dir string) []string {
	raw, err := os.ReadFile(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	events, warn, err := train.ParseEvents(dir, raw)
	if err != nil || warn != "" {
		t.Fatalf("metrics.jsonl: %v %s", err, warn)
	}
	seen := map[string]bool{}
	var keys []string
	for _, e := range events {
		id := fmt.Sprintf("%s %s %d", e.Event, e.Split, e.Step)
		if seen[id] {
			t.Fatalf("%s: event %q twice", dir, id)
		}
		seen[id] = true
		m, _ := json.Marshal(e.Metrics)
		keys = append(keys, id+" "+string(m))
	}
	return keys
}
