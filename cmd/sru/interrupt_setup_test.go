package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

// slowSetupConfig is the section of a test task whose construction blocks until released,
// as a task that prepares a large dataset does.
type slowSetupConfig struct{}

var slowSetupRelease = make(chan struct{})

func newSlowSetup[T kernels.Float](slowSetupConfig, experiments.Env, kernels.Device[T]) (train.Task[T], error) {
	<-slowSetupRelease
	return nil, errors.New("slowsetup: released")
}

func init() {
	experiments.Register(experiments.TaskSpec[slowSetupConfig]{
		Name: "slowsetup", Summary: "a test task whose setup blocks",
		Default:  func() slowSetupConfig { return slowSetupConfig{} },
		Validate: func(slowSetupConfig) error { return nil },
		New32:    newSlowSetup[float32], New64: newSlowSetup[float64],
	})
}

// closeRecorder is a device that records when it is closed.
type closeRecorder struct {
	kernels.Device[float32]
	closed chan struct{}
}

func (d *closeRecorder) Close() error {
	close(d.closed)
	return nil
}

// TestInterruptDuringSetup: an interrupt while the task prepares its data ends the command at
// once with train.ErrInterrupted (exit 130), without waiting for the preparation; the device
// is closed by the abandoned preparation when it ends, never under it.
func TestInterruptDuringSetup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "slow.toml")
	os.WriteFile(file, []byte("task = \"slowsetup\"\n"), 0o644)
	exp, err := experiments.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	dev := &closeRecorder{Device: kernels.MustCPU[float32](), closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, _, err := newTaskInterruptible[float32](ctx, exp, dev)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, train.ErrInterrupted) {
			t.Fatalf("got %v, want train.ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the interrupt did not end the task's setup")
	}
	select {
	case <-dev.closed:
		t.Fatal("the device was closed while the abandoned setup still ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(slowSetupRelease)
	select {
	case <-dev.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned setup ended without closing the device")
	}
}
