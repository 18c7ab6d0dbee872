package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gosru/gosru/train"
)

// StateFile is the file a sweep task keeps in its run directory: what it is doing, for
// sru sweep -status (no scheduler query needed).
const StateFile = "sweep-state.json"

// The states of a run.
const (
	Pending = "pending" // not started, or interrupted with a checkpoint to resume
	Running = "running"
	Done    = "done" // summary.json written
	Failed  = "failed"
)

// State is the content of StateFile.
type State struct {
	State string    `json:"state"` // running, interrupted, failed
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	// Attempt counts the starts of the run (a requeued or resumed run starts again).
	Attempt int    `json:"attempt"`
	Error   string `json:"error,omitempty"`
}

// WriteState writes the run's state file atomically.
func WriteState(dir string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+StateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, StateFile)); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// ReadState reads the run's state file; a run never started has none (nil, nil).
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(dir, StateFile), err)
	}
	return &st, nil
}

// Action is what a task does with its run directory.
type Action int

const (
	Start  Action = iota // nothing worth keeping: train from the start
	Resume               // a checkpoint: continue from it
	Skip                 // finished (summary.json): nothing to do
)

func (a Action) String() string {
	return [...]string{"start", "resume", "skip"}[a]
}

// Plan decides what a task does with dir: skip a finished run, resume from the latest
// checkpoint, else start (a missing directory is a run not yet started).
func Plan(dir string) (Action, string, error) {
	if _, err := os.Stat(filepath.Join(dir, train.SummaryFile)); err == nil {
		return Skip, "", nil
	}
	if path, err := train.LatestCheckpoint(dir); err == nil {
		return Resume, path, nil
	}
	return Start, "", nil
}

// Status is the state of one run as its directory tells it.
type Status struct {
	Run   Run
	State string // Pending, Running, Done or Failed
	// Resumable: a pending run with a checkpoint.
	Resumable bool
	Detail    string
}

// ReadStatus reads the state of every run from the run directories. A run marked running by a
// process of this host that no longer exists is failed (killed without a word).
func ReadStatus(runs []Run) ([]Status, error) {
	host, _ := os.Hostname()
	out := make([]Status, len(runs))
	for i, r := range runs {
		s := Status{Run: r, State: Pending}
		action, _, err := Plan(r.Dir)
		if err != nil {
			return nil, err
		}
		st, err := ReadState(r.Dir)
		if err != nil {
			return nil, err
		}
		switch {
		case action == Skip:
			s.State = Done
		case st == nil:
		case st.State == Failed:
			s.State, s.Detail = Failed, st.Error
		case st.State == Running && st.Host == host && !alive(st.PID):
			s.State, s.Detail = Failed, fmt.Sprintf("process %d on %s ended without finishing", st.PID, st.Host)
		case st.State == Running:
			s.State, s.Detail = Running, fmt.Sprintf("on %s since %s (attempt %d)", st.Host, st.Since.Format(time.RFC3339), st.Attempt)
		}
		s.Resumable = s.State == Pending && action == Resume
		out[i] = s
	}
	return out, nil
}

// LiveHere reports whether st is a run marked running by a live process of this host (not this
// process): a second task must not write the same run. Processes of other hosts cannot be
// checked; a scheduler starts a task again only after its previous instance ended.
func LiveHere(st *State) bool {
	host, _ := os.Hostname()
	return st != nil && st.State == Running && st.Host == host && st.PID != os.Getpid() && alive(st.PID)
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Counts tallies statuses by state.
func Counts(st []Status) map[string]int {
	c := map[string]int{Pending: 0, Running: 0, Done: 0, Failed: 0}
	for _, s := range st {
		c[s.State]++
	}
	return c
}
