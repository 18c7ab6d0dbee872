package train

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CleanTemp removes the temporary files that a process killed while writing a checkpoint or
// summary.json left in a run directory (.tmp-* and .summary.json.tmp), and returns their
// names. It is called under the run's lock at the start of run and resume.
func CleanTemp(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var removed []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, ".tmp-") && n != "."+SummaryFile+".tmp" {
			continue
		}
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("train: %w", err)
		}
		removed = append(removed, n)
	}
	return removed, nil
}

// Skipped is a checkpoint passed over when looking for one to resume from, and why.
type Skipped struct {
	Path   string
	Reason error
}

// OpenCheckpoint reads the checkpoint of a run directory that which names: "latest" is the
// newest intact step checkpoint (corrupt newer ones are returned in skipped, with the
// reason); "best" is best.ckpt; anything else is a file, taken as given or, when no such
// file exists, inside dir.
func OpenCheckpoint(dir, which string) (path string, ck *Checkpoint, skipped []Skipped, err error) {
	switch which {
	case "latest", "":
		names, err := stepCheckpoints(dir)
		if err != nil {
			return "", nil, nil, fmt.Errorf("train: %w", err)
		}
		if len(names) == 0 {
			return "", nil, nil, fmt.Errorf("train: no checkpoint in %s", dir)
		}
		for i := len(names) - 1; i >= 0; i-- {
			p := filepath.Join(dir, names[i])
			ck, err := ReadCheckpoint(p)
			if err == nil {
				return p, ck, skipped, nil
			}
			if !errors.Is(err, ErrCorrupt) {
				return "", nil, skipped, err
			}
			skipped = append(skipped, Skipped{Path: p, Reason: err})
		}
		return "", nil, skipped, fmt.Errorf("train: every checkpoint in %s is corrupt (%d tried)", dir, len(names))
	case "best":
		path = BestCheckpoint(dir)
	default:
		path = which
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(dir, which)); err == nil {
				path = filepath.Join(dir, which)
			}
		}
	}
	ck, err = ReadCheckpoint(path)
	if err != nil {
		return "", nil, nil, err
	}
	return path, ck, nil, nil
}

// SetAsideAfter renames the step checkpoints of dir after step to <name>.abandoned, so that a
// run resumed from an older checkpoint does not later take them for its own latest ones, and
// returns the new names.
func SetAsideAfter(dir string, step int) ([]string, error) {
	names, err := stepCheckpoints(dir)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var moved []string
	for _, n := range names {
		var s int
		if _, err := fmt.Sscanf(strings.TrimPrefix(n, stepPrefix), "%d", &s); err != nil || s <= step {
			continue
		}
		to := n + ".abandoned"
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(dir, to)); err != nil {
			return moved, fmt.Errorf("train: %w", err)
		}
		moved = append(moved, to)
	}
	return moved, nil
}
