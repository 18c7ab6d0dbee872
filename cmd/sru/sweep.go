package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gosru/gosru/sweep"
	"github.com/gosru/gosru/train"
)

func init() {
	register(&command{name: "sweep", summary: "expand a sweep file (experiments × folds × seeds × settings) and run it here, on Slurm or Kubernetes", run: runSweep})
}

const sweepUsage = `sweep SWEEP.toml (-list | -status | -task N | -local [-j N] | -slurm | -print) [flags]

A sweep file names experiment files and the axes to cross (folds, seeds, any -set key with a
list of values); see experiments/sweeps/. Every run has a stable id and its own directory under
the sweep directory. A task skips a finished run (summary.json) and resumes one that holds a
checkpoint, so any launcher may start a task again.
  -list     print the runs: index, id, run directory, overrides
  -status   count pending, running, done and failed runs from their directories
  -task N   train run N (without -task: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX)
  -local    run every run on this machine, -j at a time, dividing the cores between them
  -slurm    write the job-array script to <sweep dir>/sbatch.sh and submit it with sbatch
  -print    print the job-array script without submitting it
Then: sru compare <sweep dir>.`

func runSweep(e *env, args []string) error {
	fs := newFlags(e, "sweep", sweepUsage)
	list := fs.Bool("list", false, "print the runs")
	status := fs.Bool("status", false, "count the runs by state")
	task := fs.Int("task", -1, "train run `N` (default $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX)")
	local := fs.Bool("local", false, "run the sweep on this machine")
	jobs := fs.Int("j", 1, "with -local: runs at a time")
	submit := fs.Bool("slurm", false, "submit the sweep as one Slurm job array")
	print := fs.Bool("print", false, "print the Slurm job-array script")
	var sl sweep.Slurm
	fs.StringVar(&sl.Time, "time", "", "Slurm time limit per run (default: the sweep file's slurm.time)")
	fs.StringVar(&sl.Mem, "mem", "", "Slurm memory per run (default: slurm.mem)")
	fs.IntVar(&sl.CPUsPerTask, "cpus", 0, "Slurm CPUs per run (default: slurm.cpus_per_task)")
	fs.IntVar(&sl.Parallel, "parallel", 0, "at most this many array tasks at once, the %P of --array (default: slurm.parallel)")
	fs.StringVar(&sl.Partition, "partition", "", "Slurm partition (default: slurm.partition)")
	fs.StringVar(&sl.Account, "account", "", "Slurm account (default: slurm.account)")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("name one sweep file (e.g. sru sweep -list experiments/sweeps/quickstart.toml)")
	}
	file := positional[0]
	modes := 0
	for _, m := range []bool{*list, *status, *task >= 0, *local, *submit, *print} {
		if m {
			modes++
		}
	}
	if modes > 1 {
		return usagef("pick one of -list, -status, -task, -local, -slurm, -print")
	}
	if modes == 0 {
		n, ok, err := taskFromEnv()
		if err != nil {
			return err
		}
		if !ok {
			return usagef("pick one of -list, -status, -task, -local, -slurm, -print")
		}
		*task = n
	}
	s, err := sweep.Load(file)
	if err != nil {
		return err
	}
	runs, err := s.Expand()
	if err != nil {
		return err
	}
	switch {
	case *list:
		return listSweep(e, s, runs)
	case *status:
		return sweepStatus(e, runs)
	case *local:
		if *jobs < 1 {
			return usagef("-j must be at least 1")
		}
		return runSweepLocal(e, file, runs, *jobs)
	case *submit, *print:
		return submitSweep(e, s, file, len(runs), sl, *print)
	}
	if *task >= len(runs) {
		return fmt.Errorf("task %d: the sweep has %d runs (0..%d)", *task, len(runs), len(runs)-1)
	}
	return runSweepTask(e, runs[*task])
}

// taskFromEnv reads the task index a scheduler gives: Slurm's array index, else the index of a
// Kubernetes Indexed Job.
func taskFromEnv() (int, bool, error) {
	for _, name := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, false, fmt.Errorf("$%s=%q is not a task index", name, v)
			}
			return n, true, nil
		}
	}
	return 0, false, nil
}

func listSweep(e *env, s *sweep.Sweep, runs []sweep.Run) error {
	fmt.Fprintf(e.stdout, "# %s: %d runs under %s\n", s.Name, len(runs), s.Dir)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "task\tid\trun directory\texperiment\tfold\toverrides")
	for _, r := range runs {
		fold := "-"
		if r.Fold >= 0 {
			fold = strconv.Itoa(r.Fold)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Index, r.ID, r.Dir, r.Experiment, fold, strings.Join(r.Sets, " "))
	}
	return w.Flush()
}

func sweepStatus(e *env, runs []sweep.Run) error {
	st, err := sweep.ReadStatus(runs)
	if err != nil {
		return err
	}
	c := sweep.Counts(st)
	resumable := 0
	for _, s := range st {
		if s.Resumable {
			resumable++
		}
	}
	fmt.Fprintf(e.stdout, "%d runs: pending %d (%d with a checkpoint), running %d, done %d, failed %d\n",
		len(runs), c[sweep.Pending], resumable, c[sweep.Running], c[sweep.Done], c[sweep.Failed])
	for _, s := range st {
		if s.State == sweep.Running || s.State == sweep.Failed {
			fmt.Fprintf(e.stdout, "%-8s %d %s: %s\n", s.State, s.Run.Index, s.Run.Dir, s.Detail)
		}
	}
	return nil
}

// runSweepTask trains one run: it skips a finished run, resumes one with a checkpoint, else
// starts it. SIGUSR1 (Slurm's warning before the time limit), SIGTERM and Ctrl-C stop it with
// a checkpoint; after SIGUSR1 under Slurm it requeues its own array task.
func runSweepTask(e *env, r sweep.Run) error {
	// The run directory's lock keeps two tasks (on any host sharing the file system with
	// working flock) from training one run; it is taken before the run's state is read.
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	lock, err := train.LockRunDir(r.Dir)
	if err != nil {
		return fmt.Errorf("task %d: %w", r.Index, err)
	}
	defer lock.Unlock()
	action, ckPath, err := sweep.Plan(r.Dir)
	if err != nil {
		return err
	}
	if action == sweep.Skip {
		fmt.Fprintf(e.stderr, "task %d: %s is done; skipped\n", r.Index, r.Dir)
		return nil
	}
	prev, err := sweep.ReadState(r.Dir)
	if err != nil {
		return err
	}
	if sweep.LiveHere(prev) {
		return fmt.Errorf("task %d: %s is being trained by process %d of this host", r.Index, r.Dir, prev.PID)
	}
	exp, err := r.Load()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	var ck *train.Checkpoint
	if action == sweep.Resume {
		if ck, err = train.ReadCheckpoint(ckPath); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "task %d: resuming %s from %s (epoch %d, step %d)\n", r.Index, r.Dir, ckPath, ck.Epoch, ck.Step)
	} else {
		// An attempt that died before its first checkpoint leaves a partial log: start it anew.
		if err := os.Remove(filepath.Join(r.Dir, train.MetricsFile)); err != nil && !os.IsNotExist(err) {
			return err
		}
		fmt.Fprintf(e.stderr, "task %d: starting %s\n", r.Index, r.Dir)
	}
	host, _ := os.Hostname()
	st := &sweep.State{State: sweep.Running, Host: host, PID: os.Getpid(), Since: time.Now().UTC(), Attempt: 1}
	if prev != nil {
		st.Attempt = prev.Attempt + 1
	}
	if err := sweep.WriteState(r.Dir, st); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	var got os.Signal
	var mu sync.Mutex
	go func() {
		select {
		case sig := <-sigs:
			mu.Lock()
			got = sig
			mu.Unlock()
			fmt.Fprintf(e.stderr, "task %d: %v: writing a checkpoint\n", r.Index, sig)
			cancel()
		case <-ctx.Done():
		}
	}()
	err = trainExperiment(ctx, e, exp, r.Dir, ck)
	mu.Lock()
	sig := got
	mu.Unlock()
	switch {
	case sig != nil:
		st.State = "interrupted"
		if werr := sweep.WriteState(r.Dir, st); werr != nil {
			return werr
		}
		if sig == syscall.SIGUSR1 {
			return requeueSelf(e, r)
		}
		return fmt.Errorf("task %d: stopped by %v; checkpoint written, the task resumes when started again", r.Index, sig)
	case err != nil:
		st.State, st.Error = sweep.Failed, err.Error()
		if werr := sweep.WriteState(r.Dir, st); werr != nil {
			fmt.Fprintf(e.stderr, "sru: %v\n", werr)
		}
		return err
	}
	st.State = sweep.Done
	return sweep.WriteState(r.Dir, st)
}

// requeueSelf puts the Slurm array task back in the queue (it resumes from the checkpoint just
// written), as a job warned by --signal=USR1@120 of its time limit does. Outside Slurm it
// reports the stop.
func requeueSelf(e *env, r sweep.Run) error {
	id := os.Getenv("SLURM_JOB_ID")
	if a, t := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		id = a + "_" + t
	}
	if id == "" {
		return fmt.Errorf("task %d: stopped by SIGUSR1; checkpoint written, the task resumes when started again", r.Index)
	}
	out, err := exec.Command("scontrol", "requeue", id).CombinedOutput()
	if err != nil {
		return fmt.Errorf("task %d: checkpoint written, but scontrol requeue %s failed: %v: %s", r.Index, id, err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(e.stderr, "task %d: checkpoint written; requeued Slurm job %s\n", r.Index, id)
	return nil
}

// runSweepLocal runs every unfinished run as a child process of this binary, jobs at a time;
// each gets cores/jobs worker and BLAS threads. A run's output goes to sweep.log in its
// directory.
func runSweepLocal(e *env, file string, runs []sweep.Run, jobs int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	threads := max(1, runtime.NumCPU()/jobs)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(e.stderr, "%d runs, %d at a time, %d threads each\n", len(runs), jobs, threads)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
		slots  = make(chan struct{}, jobs)
	)
	for _, r := range runs {
		if action, _, err := sweep.Plan(r.Dir); err != nil {
			return err
		} else if action == sweep.Skip {
			fmt.Fprintf(e.stdout, "%d %s: done already\n", r.Index, r.Dir)
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(r sweep.Run) {
			defer wg.Done()
			defer func() { <-slots }()
			err := runChild(ctx, exe, file, r, threads)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("%d %s: %v", r.Index, r.Dir, err))
				fmt.Fprintf(e.stdout, "%d %s: failed (%v; see %s)\n", r.Index, r.Dir, err, filepath.Join(r.Dir, "sweep.log"))
				return
			}
			fmt.Fprintf(e.stdout, "%d %s: done\n", r.Index, r.Dir)
		}(r)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; started runs wrote checkpoints: run the sweep again to resume them")
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d runs failed:\n  %s", len(failed), len(runs), strings.Join(failed, "\n  "))
	}
	return nil
}

func runChild(ctx context.Context, exe, file string, r sweep.Run, threads int) error {
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(r.Dir, "sweep.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, exe, "sweep", "-task", strconv.Itoa(r.Index), file)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // checkpoint, then exit
	cmd.WaitDelay = 2 * time.Minute
	t := strconv.Itoa(threads)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+t, "SRU_BLAS_THREADS="+t)
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

// submitSweep writes the job-array script (flags over the sweep file's [slurm]) and submits it
// with sbatch, or prints it.
func submitSweep(e *env, s *sweep.Sweep, file string, n int, flags sweep.Slurm, printOnly bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	sl := s.Slurm
	if flags.Time != "" {
		sl.Time = flags.Time
	}
	if flags.Mem != "" {
		sl.Mem = flags.Mem
	}
	if flags.CPUsPerTask > 0 {
		sl.CPUsPerTask = flags.CPUsPerTask
	}
	if flags.Parallel > 0 {
		sl.Parallel = flags.Parallel
	}
	if flags.Partition != "" {
		sl.Partition = flags.Partition
	}
	if flags.Account != "" {
		sl.Account = flags.Account
	}
	logDir := filepath.Join(s.Dir, "slurm")
	if !filepath.IsAbs(logDir) {
		logDir = filepath.Join(wd, logDir)
	}
	b := &sweep.Batch{Binary: exe, WorkDir: wd, SweepFile: file, Runs: n, Slurm: sl, LogDir: logDir}
	script, err := b.Script(s.Name)
	if err != nil {
		return err
	}
	if printOnly {
		_, err := fmt.Fprint(e.stdout, script)
		return err
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(s.Dir, "sbatch.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return err
	}
	out, err := exec.Command("sbatch", "--parsable", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sbatch %s: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	id := strings.TrimSpace(string(out))
	fmt.Fprintf(e.stdout, "%s\n", id)
	fmt.Fprintf(e.stderr, "submitted %s: job array %s of %d runs (logs in %s); follow it with: sru sweep -status %s\n", path, id, n, logDir, file)
	return nil
}
