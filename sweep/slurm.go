package sweep

import (
	"fmt"
	"strings"
)

// Batch is what the Slurm job-array script needs beyond the sweep file.
type Batch struct {
	// Binary is the sru executable (an absolute path: array tasks start elsewhere).
	Binary string
	// WorkDir is where the tasks run (the sweep file's experiment paths are relative to it).
	WorkDir string
	// SweepFile is the sweep file, as the tasks will open it from WorkDir.
	SweepFile string
	// Runs is the number of runs (the array is 0..Runs-1).
	Runs int
	// Slurm settings: the sweep file's, with the command line's flags over them.
	Slurm Slurm
	// LogDir is where Slurm writes each task's output (%A_%a.out).
	LogDir string
}

// Script writes the sbatch script of the job array: one task per run, at most Parallel at once,
// USR1 two minutes before the time limit (the run checkpoints and requeues itself), and each
// task running `sru sweep -task $SLURM_ARRAY_TASK_ID`.
func (b *Batch) Script(name string) (string, error) {
	if b.Runs <= 0 {
		return "", fmt.Errorf("sweep: no runs to submit")
	}
	// #SBATCH lines are not read by a shell: their values cannot be quoted.
	for _, v := range []string{name, b.WorkDir, b.LogDir, b.Slurm.Time, b.Slurm.Mem, b.Slurm.Partition, b.Slurm.Account} {
		if strings.ContainsAny(v, " \t\n\r'\"") {
			return "", fmt.Errorf("sweep: %q: an #SBATCH value may not hold spaces or quotes", v)
		}
	}
	var s strings.Builder
	opt := func(format string, args ...any) { fmt.Fprintf(&s, "#SBATCH "+format+"\n", args...) }
	s.WriteString("#!/bin/bash\n")
	opt("--job-name=%s", name)
	array := fmt.Sprintf("0-%d", b.Runs-1)
	if b.Slurm.Parallel > 0 {
		array += fmt.Sprintf("%%%d", b.Slurm.Parallel)
	}
	opt("--array=%s", array)
	opt("--chdir=%s", b.WorkDir)
	opt("--output=%s/%%A_%%a.out", b.LogDir)
	opt("--signal=USR1@120")
	opt("--requeue")
	opt("--open-mode=append")
	opt("--ntasks=1")
	if b.Slurm.CPUsPerTask > 0 {
		opt("--cpus-per-task=%d", b.Slurm.CPUsPerTask)
	}
	if b.Slurm.Time != "" {
		opt("--time=%s", b.Slurm.Time)
	}
	if b.Slurm.Mem != "" {
		opt("--mem=%s", b.Slurm.Mem)
	}
	if b.Slurm.Partition != "" {
		opt("--partition=%s", b.Slurm.Partition)
	}
	if b.Slurm.Account != "" {
		opt("--account=%s", b.Slurm.Account)
	}
	for _, x := range b.Slurm.Extra {
		if strings.ContainsAny(x, "\n\r") {
			return "", fmt.Errorf("sweep: slurm.extra %q spans lines", x)
		}
		opt("%s", x)
	}
	s.WriteString("\n# Each task trains one run of the sweep (resuming its checkpoint, skipping it when done).\n")
	s.WriteString("# Its worker and BLAS threads follow the CPUs Slurm gave it.\n")
	s.WriteString("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-1}\" SRU_BLAS_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n")
	fmt.Fprintf(&s, "srun %s sweep -task \"$SLURM_ARRAY_TASK_ID\" %s\n", shellWord(b.Binary), shellWord(b.SweepFile))
	return s.String(), nil
}

// shellWord quotes s for the shell unless it is plain.
func shellWord(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@%", r)) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
