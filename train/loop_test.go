package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// mlpTask is a small real classification problem for the loop's tests: points from four
// Gaussian blobs in 6-D, a one-hidden-layer network with dropout (so the run's RNG matters),
// shuffled batches, a valid and a test split.
type mlpTask struct {
	ps      *nn.Params[float64]
	w1, b1  *nn.Param[float64]
	w2, b2  *nn.Param[float64]
	x       map[string][]float64
	y       map[string][]int32
	batch   int
	poison  int // when > 0, the loss of this (1-based) call of Loss is NaN
	calls   int
	dev     kernels.Device[float64]
	evalG   *nn.Graph[float64]
	dropout float64
}

const mlpIn, mlpHidden, mlpClasses = 6, 16, 4

func newMLPTask(seed uint64) *mlpTask {
	dev := kernels.MustCPU[float64]()
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &mlpTask{ps: nn.NewParams(dev), batch: 8, dev: dev, dropout: 0.3,
		x: map[string][]float64{}, y: map[string][]int32{}}
	centers := make([]float64, mlpClasses*mlpIn)
	for i := range centers {
		centers[i] = rng.NormFloat64() * 1.5
	}
	for _, sp := range []struct {
		name string
		n    int
	}{{"train", 96}, {"valid", 40}, {"test", 40}} {
		split := sp.name
		for i := 0; i < sp.n; i++ {
			c := rng.IntN(mlpClasses)
			for j := 0; j < mlpIn; j++ {
				t.x[split] = append(t.x[split], centers[c*mlpIn+j]+rng.NormFloat64())
			}
			t.y[split] = append(t.y[split], int32(c))
		}
	}
	init := func(p *nn.Param[float64], scale float64) {
		v := make([]float64, p.Len())
		for i := range v {
			v[i] = (rng.Float64()*2 - 1) * scale
		}
		dev.Upload(p.Data, v)
	}
	t.w1 = t.ps.Add("w1", mlpIn, mlpHidden)
	t.b1 = t.ps.Add("b1", mlpHidden)
	t.w2 = t.ps.Add("w2", mlpHidden, mlpClasses)
	t.b2 = t.ps.Add("b2", mlpClasses)
	init(t.w1, 0.5)
	init(t.w2, 0.5)
	t.evalG = nn.NewGraph[float64](dev, nil)
	t.evalG.NoGrad = true
	return t
}

func (t *mlpTask) Params() *nn.Params[float64] { return t.ps }
func (t *mlpTask) NumBatches() int             { return len(t.y["train"]) / t.batch }
func (t *mlpTask) Shuffle() bool               { return true }
func (t *mlpTask) Splits() []string            { return []string{"valid", "test"} }
func (t *mlpTask) Selection() (string, bool)   { return "accuracy", true }

func (t *mlpTask) forward(g *nn.Graph[float64], x []float64, n int) *nn.Tensor[float64] {
	h := g.Tanh(g.Linear(g.FromHost(x, n, mlpIn), &t.w1.Tensor, &t.b1.Tensor))
	h = g.Dropout(h, t.dropout)
	return g.Linear(h, &t.w2.Tensor, &t.b2.Tensor)
}

func (t *mlpTask) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	t.calls++
	lo, hi := i*t.batch, (i+1)*t.batch
	logits := t.forward(g, t.x["train"][lo*mlpIn:hi*mlpIn], t.batch)
	loss := g.CrossEntropy(logits, t.y["train"][lo:hi], nil, -1)
	if t.poison > 0 && t.calls == t.poison {
		g.Dev.Fill(loss.Data, math.NaN())
	}
	return loss, t.batch, nil
}

func (t *mlpTask) Evaluate(split string) (Metrics, error) {
	g := t.evalG
	g.Reset()
	y := t.y[split]
	logits := t.forward(g, t.x[split], len(y))
	loss := g.CrossEntropy(logits, y, nil, -1)
	host := make([]float64, logits.Len())
	t.dev.Download(host, logits.Data)
	correct := 0
	for r, label := range y {
		best := 0
		for c := 1; c < mlpClasses; c++ {
			if host[r*mlpClasses+c] > host[r*mlpClasses+best] {
				best = c
			}
		}
		if int32(best) == label {
			correct++
		}
	}
	lh := make([]float64, 1)
	t.dev.Download(lh, loss.Data)
	return Metrics{"accuracy": float64(correct) / float64(len(y)), "loss": lh[0]}, nil
}

func newTestRun(t *testing.T, task *mlpTask, epochs int) *Run[float64] {
	cfg := DefaultConfig()
	cfg.Epochs = epochs
	cfg.LR = 0.01
	cfg.ClipGradNorm = 5
	cfg.LogEverySteps = 5
	dir, err := NewRunDir(t.TempDir(), "mlp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &Run[float64]{Dir: dir, Experiment: "mlp", ConfigTOML: "# test\n", Cfg: cfg, Seed: 9,
		Task: task, Dev: task.dev}
}

func paramValues(ps *nn.Params[float64]) []float64 {
	var v []float64
	for _, p := range ps.List() {
		v = append(v, p.Data.Host()...)
	}
	return v
}

// TestResumeEqualsUninterrupted: 2 epochs, an interruption, then resume to 3 epochs gives
// exactly the parameters and metrics of 3 epochs straight.
func TestResumeEqualsUninterrupted(t *testing.T) {
	straight := newTestRun(t, newMLPTask(1), 3)
	want, err := straight.Train(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantParams := paramValues(straight.Task.Params())

	first := newTestRun(t, newMLPTask(1), 3)
	first.AfterEpoch = func(epoch int) bool { return epoch < 2 }
	if _, err := first.Train(context.Background(), nil); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first part: %v, want ErrInterrupted", err)
	}
	path, err := LatestCheckpoint(first.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 2 {
		t.Fatalf("checkpoint at epoch %d, want 2", ck.Epoch)
	}
	// A fresh process: a new task (new random init, overwritten by the checkpoint).
	resumed := newTestRun(t, newMLPTask(1), 3)
	resumed.Dir = first.Dir
	got, err := resumed.Train(context.Background(), ck)
	if err != nil {
		t.Fatal(err)
	}
	gotParams := paramValues(resumed.Task.Params())
	for i := range wantParams {
		if gotParams[i] != wantParams[i] {
			t.Fatalf("parameter %d: resumed %v, straight %v", i, gotParams[i], wantParams[i])
		}
	}
	if got.Test["accuracy"] != want.Test["accuracy"] || got.Valid["loss"] != want.Valid["loss"] ||
		got.BestEpoch != want.BestEpoch || got.Steps != want.Steps {
		t.Fatalf("resumed summary %+v\nstraight %+v", got, want)
	}
	// The metrics logs agree on every eval event.
	a, _ := ReadEvents(straight.Dir)
	b, _ := ReadEvents(first.Dir)
	if evalsOf(a) != evalsOf(b) {
		t.Fatalf("eval events differ:\n%s\n%s", evalsOf(a), evalsOf(b))
	}
	if want.Test["accuracy"] < 0.7 {
		t.Errorf("test accuracy %.2f: the task did not learn", want.Test["accuracy"])
	}
}

// TestResumeInsideEpoch: a checkpoint written mid-epoch continues to the same result.
func TestResumeInsideEpoch(t *testing.T) {
	straight := newTestRun(t, newMLPTask(2), 2)
	if _, err := straight.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	task := newMLPTask(2)
	first := newTestRun(t, task, 2)
	// Cancel after 17 steps: inside the second epoch (12 batches per epoch).
	counting := &cancelAfter{mlpTask: task, n: 17, cancel: cancel}
	first.Task = counting
	if _, err := first.Train(ctx, nil); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	path, _ := LatestCheckpoint(first.Dir)
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Cursor == 0 {
		t.Fatalf("checkpoint at an epoch boundary (step %d), want inside an epoch", ck.Step)
	}
	resumed := newTestRun(t, newMLPTask(2), 2)
	resumed.Dir = first.Dir
	if _, err := resumed.Train(context.Background(), ck); err != nil {
		t.Fatal(err)
	}
	a, b := paramValues(straight.Task.Params()), paramValues(resumed.Task.Params())
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d: resumed %v, straight %v", i, b[i], a[i])
		}
	}
}

// TestResumeAtEpochBoundary: an interrupt that lands while an epoch ends (during its
// evaluation) resumes with the same batch order as an uninterrupted run.
func TestResumeAtEpochBoundary(t *testing.T) {
	straight := newTestRun(t, newMLPTask(6), 3)
	if _, err := straight.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := newTestRun(t, newMLPTask(6), 3)
	first.Task = &cancelOnEval{mlpTask: first.Task.(*mlpTask), n: 2, cancel: cancel}
	if _, err := first.Train(ctx, nil); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	path, _ := LatestCheckpoint(first.Dir)
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 2 || ck.Cursor != 0 {
		t.Fatalf("checkpoint at epoch %d cursor %d, want the boundary after epoch 2", ck.Epoch, ck.Cursor)
	}
	resumed := newTestRun(t, newMLPTask(6), 3)
	resumed.Dir = first.Dir
	if _, err := resumed.Train(context.Background(), ck); err != nil {
		t.Fatal(err)
	}
	a, b := paramValues(straight.Task.Params()), paramValues(resumed.Task.Params())
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d: resumed %v, straight %v", i, b[i], a[i])
		}
	}
}

// cancelOnEval cancels the run's context during its n-th validation.
type cancelOnEval struct {
	*mlpTask
	n      int
	cancel func()
}

func (c *cancelOnEval) Evaluate(split string) (Metrics, error) {
	if split == "valid" {
		c.n--
		if c.n == 0 {
			c.cancel()
		}
	}
	return c.mlpTask.Evaluate(split)
}

type cancelAfter struct {
	*mlpTask
	n      int
	cancel func()
}

func (c *cancelAfter) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.mlpTask.Loss(g, i)
}

func evalsOf(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		if e.Event == "eval" {
			fmt.Fprintf(&b, "%s step %d accuracy %v loss %v\n", e.Split, e.Step, e.Metrics["accuracy"], e.Metrics["loss"])
		}
	}
	return b.String()
}

// TestCorruptCheckpoint: a flipped byte or a truncated file is refused with ErrCorrupt.
func TestCorruptCheckpoint(t *testing.T) {
	run := newTestRun(t, newMLPTask(3), 1)
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	path, err := LatestCheckpoint(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if _, err := ReadCheckpoint(path); err != nil {
		t.Fatalf("intact checkpoint: %v", err)
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 0x40
	bad := filepath.Join(t.TempDir(), "flipped.ckpt")
	os.WriteFile(bad, flipped, 0o644)
	if _, err := ReadCheckpoint(bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("flipped byte: %v, want a checksum error", err)
	}
	os.WriteFile(bad, raw[:len(raw)-100], 0o644)
	if _, err := ReadCheckpoint(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v, want ErrCorrupt", err)
	}
	os.WriteFile(bad, []byte("hello"), 0o644)
	if _, err := ReadCheckpoint(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("not a checkpoint: %v, want ErrCorrupt", err)
	}
}

// TestNaNStops: a NaN loss stops the run with a message naming the step, and the last good
// checkpoint is kept as it was.
func TestNaNStops(t *testing.T) {
	task := newMLPTask(4)
	task.poison = 12 + 5 // the 5th step of the second epoch
	run := newTestRun(t, task, 3)
	_, err := run.Train(context.Background(), nil)
	if err == nil {
		t.Fatal("a NaN loss did not stop the run")
	}
	if !strings.Contains(err.Error(), "step 17") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("error %q does not name the step and the NaN", err)
	}
	path, err := LatestCheckpoint(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step != 12 {
		t.Fatalf("last checkpoint at step %d, want the good one at 12", ck.Step)
	}
	for _, p := range ck.Params {
		for _, v := range decodeFloats[float64](p.Data) {
			if math.IsNaN(v) {
				t.Fatalf("checkpoint parameter %s holds NaN", p.Name)
			}
		}
	}
}

// TestCheckpointPruning keeps the last KeepLast step checkpoints and the best.
func TestCheckpointPruning(t *testing.T) {
	run := newTestRun(t, newMLPTask(5), 5)
	run.Cfg.KeepLast = 2
	if _, err := run.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	names, _ := stepCheckpoints(run.Dir)
	if len(names) != 2 || names[1] != stepCheckpointName(60) {
		t.Fatalf("step checkpoints %v, want the last two", names)
	}
	if _, err := ReadCheckpoint(BestCheckpoint(run.Dir)); err != nil {
		t.Fatalf("best checkpoint: %v", err)
	}
	if _, err := ReadSummary(run.Dir); err != nil {
		t.Fatal(err)
	}
}
