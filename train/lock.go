package train

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the run directory's lock: `sru run` and `sru resume` hold an exclusive flock on
// it for the run's life, and write their process id into it.
const LockFile = "run.lock"

// ErrLocked is returned (wrapped) by LockRunDir when another process holds the run directory.
var ErrLocked = errors.New("run directory in use")

// errWouldBlock is what tryLock returns when the lock is held elsewhere.
var errWouldBlock = errors.New("lock held")

// RunLock is a held lock on a run directory.
type RunLock struct {
	f *os.File
}

// LockRunDir takes the run directory's exclusive lock without waiting. When another process
// holds it, the error names that process's id (from the lock file). The lock lives as long as
// the open file: Unlock, or the process's exit (a kill included), releases it. On systems
// without flock (see lock_other.go) the lock file is written but nothing is locked.
func LockRunDir(dir string) (*RunLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errWouldBlock) {
			holder := "another process"
			if b, rerr := io.ReadAll(io.LimitReader(f, 64)); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("process %d", pid)
				}
			}
			return nil, fmt.Errorf("train: %w: %s is being trained by %s (it holds %s); wait for it to end or stop it first",
				ErrLocked, dir, holder, path)
		}
		return nil, fmt.Errorf("train: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("train: lock %s: %w", path, err)
	}
	return &RunLock{f: f}, nil
}

// Unlock clears the process id and releases the lock.
func (l *RunLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
