package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	_ "github.com/gosru/gosru/tasks/all" // every task registers itself
	"github.com/gosru/gosru/train"
)

func init() {
	register(&command{name: "run", summary: "train an experiment file (experiments/*.toml)", run: runRun})
	register(&command{name: "resume", summary: "continue an interrupted run from its last (or a chosen) checkpoint", run: runResume})
	register(&command{name: "eval", summary: "evaluate a run's best (or latest) checkpoint on a split", run: runEval})
}

// setFlags collects repeated -set section.key=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// splitPositional takes the leading positional argument (the experiment file or run
// directory) so that flags may come before or after it.
func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") && (n < 2 || !strings.HasPrefix(args[n-2], "-set")) {
		return args[n-1], args[:n-1]
	}
	return "", args
}

func runRun(e *env, args []string) error {
	file, rest := splitPositional(args)
	fs := newFlags(e, "run", "run EXPERIMENT.toml [-set section.key=value]... [-runs-dir DIR]")
	var sets setFlags
	fs.Var(&sets, "set", "override a setting, e.g. -set train.epochs=5 (repeatable)")
	runsDir := fs.String("runs-dir", "", "directory for run directories (default: the experiment's runs_dir)")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if file == "" {
		return usagef("run: which experiment file? (e.g. sru run experiments/quickstart.toml)")
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := experiments.CheckSections(file, text); err != nil {
		return err
	}
	exp, err := experiments.Load(file, sets)
	if err != nil {
		return err
	}
	if *runsDir != "" {
		exp.RunsDir = *runsDir
	}
	if exp.DataDir == "" {
		// config.toml records where the data came from, so that a resume without $SRU_DATA
		// finds it again.
		if exp.DataDir, err = filepath.Abs(exp.DataPath()); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runs, folds := []*experiments.Experiment{exp}, exp.Folds()
	if len(folds) > 0 {
		runs = runs[:0]
		for _, k := range folds {
			runs = append(runs, exp.WithFold(k))
		}
	}
	for i, x := range runs {
		if len(folds) > 0 {
			fmt.Fprintf(e.stdout, "== %s fold %d\n", exp.Name, folds[i])
		}
		dir, err := train.NewRunDir(x.RunsDir, x.Name, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "run directory: %s\n", dir)
		lock, err := train.LockRunDir(dir)
		if err != nil {
			return err
		}
		err = trainExperiment(ctx, e, x, dir, nil)
		lock.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

const resumeUsage = `resume RUN_DIR [-checkpoint latest|best|FILE] [-force]

Continues a run from a checkpoint with the configuration stored in it. -checkpoint latest
(the default) takes the newest intact step checkpoint: corrupt newer ones are skipped, and
named. Step checkpoints newer than the one resumed from are renamed *.abandoned. When
config.toml differs from the stored configuration, resume refuses and prints the difference;
-force trains on with config.toml's settings instead.`

func runResume(e *env, args []string) error {
	dir, rest := splitPositional(args)
	fs := newFlags(e, "resume", resumeUsage)
	which := fs.String("checkpoint", "latest", "latest, best, or a checkpoint file")
	force := fs.Bool("force", false, "resume with config.toml's settings where they differ from the checkpoint's")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return usagef("resume: which run directory?")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a run directory", dir)
	}
	lock, err := train.LockRunDir(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	removed, err := train.CleanTemp(dir)
	for _, n := range removed {
		fmt.Fprintf(e.stderr, "removed %s (a temporary file left by a stopped writer)\n", filepath.Join(dir, n))
	}
	if err != nil {
		return err
	}
	path, ck, skipped, err := train.OpenCheckpoint(dir, *which)
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "skipped %s: %v\n", s.Path, s.Reason)
	}
	if err != nil {
		return err
	}
	moved, err := train.SetAsideAfter(dir, ck.Step)
	for _, n := range moved {
		fmt.Fprintf(e.stderr, "set aside %s (newer than the checkpoint resumed from)\n", filepath.Join(dir, n))
	}
	if err != nil {
		return err
	}
	exp, err := resumeConfig(e, dir, path, ck, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "resuming %s from %s (epoch %d, step %d)\n", dir, path, ck.Epoch, ck.Step)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return trainExperiment(ctx, e, exp, dir, ck)
}

func trainExperiment(ctx context.Context, e *env, exp *experiments.Experiment, dir string, ck *train.Checkpoint) error {
	if exp.Precision == "float64" {
		return trainOn[float64](ctx, e, exp, dir, ck)
	}
	return trainOn[float32](ctx, e, exp, dir, ck)
}

func trainOn[T kernels.Float](ctx context.Context, e *env, exp *experiments.Experiment, dir string, ck *train.Checkpoint) (err error) {
	dev, err := openDevice[T](exp.Device)
	if err != nil {
		return err
	}
	ownDevice := true // false once an interrupted construction owns it (newTaskInterruptible)
	defer func() {
		if ownDevice {
			closeDevice(dev, &err)
		}
	}()
	fmt.Fprintf(e.stderr, "device: %s\n", dev.Name())
	task, labels, err := newTaskInterruptible(ctx, exp, dev)
	if err != nil {
		ownDevice = !errors.Is(err, train.ErrInterrupted)
		if errors.Is(err, train.ErrInterrupted) && ck == nil {
			return fmt.Errorf("%w while preparing the data, before the first step: nothing to keep; "+
				"start again with sru run (%s has no checkpoint)", err, dir)
		}
		if errors.Is(err, train.ErrInterrupted) {
			return fmt.Errorf("%w while preparing the data; the checkpoints are as they were: sru resume %s", err, dir)
		}
		return err
	}
	rec, err := dataRecord(exp, task, labels)
	if err != nil {
		return err
	}
	if err := recordData(e, dir, ck != nil, rec); err != nil {
		return err
	}
	text, err := exp.TOML()
	if err != nil {
		return err
	}
	run := &train.Run[T]{Dir: dir, Experiment: exp.Name, ConfigTOML: text, Cfg: exp.Train, Seed: exp.Seed,
		Labels: labels, Task: task, Dev: dev, Out: e.stdout, Progress: e.stderr, ShowProgress: e.stderrIsTerminal}
	_, err = run.Train(ctx, ck)
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w; checkpoint written, continue with: sru resume %s", err, dir)
	}
	return err
}

// newTaskInterruptible builds the task (reading and preparing its data can take minutes, and
// does not watch ctx) and returns train.ErrInterrupted as soon as ctx is done, leaving the
// construction behind: the command then exits without waiting for it. The abandoned
// construction then owns dev: it closes dev when it ends (it may still be uploading to it), so
// the caller must not close dev after train.ErrInterrupted.
func newTaskInterruptible[T kernels.Float](ctx context.Context, exp *experiments.Experiment, dev kernels.Device[T]) (
	train.Task[T], map[string]string, error) {
	type built struct {
		task   train.Task[T]
		labels map[string]string
		err    error
	}
	done := make(chan built) // unbuffered: a send succeeds only while the caller waits
	abandoned := make(chan struct{})
	go func() {
		// The construction uploads the parameters: a device bound to its opener's thread (the
		// CUDA device) must be bound here first. This goroutine then ends locked to its
		// thread, which the runtime retires with it.
		var t train.Task[T]
		var l map[string]string
		err := kernels.Bind(dev)
		if err == nil {
			t, l, err = experiments.NewTask(exp, dev)
		}
		select {
		case done <- built{t, l, err}:
		case <-abandoned:
			dev.Close() // nobody is left to report an error to
		}
	}()
	select {
	case b := <-done:
		return b.task, b.labels, b.err
	case <-ctx.Done():
		close(abandoned)
		return nil, nil, train.ErrInterrupted
	}
}

func runEval(e *env, args []string) error {
	dir, rest := splitPositional(args)
	fs := newFlags(e, "eval", "eval RUN_DIR [-split test] [-checkpoint best|latest|FILE]")
	split := fs.String("split", "test", "split to evaluate: valid or test")
	which := fs.String("checkpoint", "best", "best, latest, or a checkpoint file")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return usagef("eval: which run directory?")
	}
	exp, err := experiments.Load(dir+"/"+train.ConfigFile, nil)
	if err != nil {
		return err
	}
	path, ck, err := readRunCheckpoint(dir, *which)
	if err != nil {
		return err
	}
	if exp.Precision == "float64" {
		return evalOn[float64](e, exp, ck, path, *split)
	}
	return evalOn[float32](e, exp, ck, path, *split)
}

// readRunCheckpoint reads a run's checkpoint: "best" (else the latest, when no validation
// picked one), "latest", or a file.
func readRunCheckpoint(dir, which string) (string, *train.Checkpoint, error) {
	path := which
	switch which {
	case "best":
		path = train.BestCheckpoint(dir)
		if _, err := os.Stat(path); err != nil {
			if path, err = train.LatestCheckpoint(dir); err != nil {
				return "", nil, err
			}
		}
	case "latest":
		var err error
		if path, err = train.LatestCheckpoint(dir); err != nil {
			return "", nil, err
		}
	}
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		return "", nil, err
	}
	return path, ck, nil
}

func evalOn[T kernels.Float](e *env, exp *experiments.Experiment, ck *train.Checkpoint, path, split string) (err error) {
	dev, err := openDevice[T](exp.Device)
	if err != nil {
		return err
	}
	defer closeDevice(dev, &err)
	fmt.Fprintf(e.stderr, "device: %s\n", dev.Name())
	task, _, err := experiments.NewTask(exp, dev)
	if err != nil {
		return err
	}
	m, err := train.Evaluate(task, ck, split)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s  %s (epoch %d, step %d)  %s\n", exp.Name, path, ck.Epoch, ck.Step, formatMetrics(m))
	return nil
}

func formatMetrics(m train.Metrics) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%s %.4f", k, m[k])
	}
	return b.String()
}
