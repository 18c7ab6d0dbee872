package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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

// threadBound is a device that, like the CUDA device, may only be used from goroutines that
// opened it or called Bind; each Alloc from another goroutine is counted.
type threadBound struct {
	kernels.Device[float32]
	mu      sync.Mutex
	bound   map[string]bool
	unbound int
}

// goroutineID is the calling goroutine's number, from its stack header.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

func (d *threadBound) Bind() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bound[goroutineID()] = true
	return nil
}

func (d *threadBound) Alloc(n int) kernels.Buf[float32] {
	d.mu.Lock()
	if !d.bound[goroutineID()] {
		d.unbound++
	}
	d.mu.Unlock()
	return d.Device.Alloc(n)
}

// TestSetupBindsTheDevice: the task is built on a goroutine of its own (so that an interrupt
// can leave it behind), which must bind a thread-bound device before uploading the
// parameters, as the CUDA device requires.
func TestSetupBindsTheDevice(t *testing.T) {
	exp, err := experiments.Load(filepath.Join("..", "..", "experiments", "quickstart.toml"),
		[]string{"classification.hidden=8", "classification.embedding_dim=8"})
	if err != nil {
		t.Fatal(err)
	}
	dev := &threadBound{Device: kernels.MustCPU[float32](), bound: map[string]bool{goroutineID(): true}}
	task, _, err := newTaskInterruptible[float32](context.Background(), exp, dev)
	if err != nil {
		t.Fatal(err)
	}
	if task.Params().Count() == 0 {
		t.Fatal("no parameters")
	}
	if dev.unbound > 0 || len(dev.bound) != 2 {
		t.Fatalf("%d allocations from unbound goroutines; %d goroutines bound (want the caller's and the builder's)", dev.unbound, len(dev.bound))
	}
}
