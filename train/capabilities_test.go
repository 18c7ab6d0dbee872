package train

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// bucketTask re-buckets the training examples every epoch with the run's RNG: a new order and
// batches of 5 to 10 examples (a stand-in for a token budget), so the number of batches
// changes from epoch to epoch.
type bucketTask struct {
	*mlpTask
	batches [][]int
	begins  []int // the epochs BeginEpoch was called for
	steps   int
	cancel  func() // called after cancelAt steps
	cancel2 int
}

func (b *bucketTask) BeginEpoch(epoch int, rng *rand.Rand) error {
	b.begins = append(b.begins, epoch)
	n := len(b.y["train"])
	order := rng.Perm(n)
	b.batches = b.batches[:0]
	for lo := 0; lo < n; {
		hi := min(lo+5+rng.IntN(6), n)
		b.batches = append(b.batches, order[lo:hi])
		lo = hi
	}
	return nil
}

func (b *bucketTask) NumBatches() int { return len(b.batches) }

func (b *bucketTask) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	b.steps++
	if b.cancel != nil && b.steps == b.cancel2 {
		b.cancel()
	}
	rows := b.batches[i]
	x := make([]float64, 0, len(rows)*mlpIn)
	y := make([]int32, 0, len(rows))
	for _, r := range rows {
		x = append(x, b.x["train"][r*mlpIn:(r+1)*mlpIn]...)
		y = append(y, b.y["train"][r])
	}
	logits := b.forward(g, x, len(rows))
	return g.CrossEntropy(logits, y, nil, -1), len(rows), nil
}

// TestEpochBeginnerResume: a task that re-buckets its batches every epoch with the run's RNG,
// interrupted inside an epoch and resumed in a fresh process, ends exactly where an
// uninterrupted run ends; the resume calls BeginEpoch for the interrupted epoch once (with the
// epoch's starting RNG state) and then for each later epoch.
func TestEpochBeginnerResume(t *testing.T) {
	straightTask := &bucketTask{mlpTask: newMLPTask(7)}
	straight := runOf(t, straightTask, 3)
	if _, err := straight.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(straightTask.begins) != "[0 1 2]" {
		t.Fatalf("BeginEpoch called for epochs %v", straightTask.begins)
	}

	ctx, cancel := context.WithCancel(context.Background())
	firstTask := &bucketTask{mlpTask: newMLPTask(7), cancel: cancel}
	firstTask.cancel2 = len(firstTask.y["train"])/5 + 3 // inside the second epoch
	first := runOf(t, firstTask, 3)
	if _, err := first.Train(ctx, nil); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	path, _ := LatestCheckpoint(first.Dir)
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 1 || ck.Cursor == 0 || ck.EpochRNG == nil {
		t.Fatalf("checkpoint at epoch %d cursor %d (epoch RNG %v), want inside the second epoch", ck.Epoch, ck.Cursor, ck.EpochRNG != nil)
	}

	resumedTask := &bucketTask{mlpTask: newMLPTask(7)}
	resumed := runOf(t, resumedTask, 3)
	resumed.Dir = first.Dir
	if _, err := resumed.Train(context.Background(), ck); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(resumedTask.begins) != "[1 2]" {
		t.Fatalf("the resumed run called BeginEpoch for epochs %v, want [1 2]", resumedTask.begins)
	}
	a, b := paramValues(straight.Task.Params()), paramValues(resumed.Task.Params())
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d: resumed %v, straight %v", i, b[i], a[i])
		}
	}

	// A mid-epoch checkpoint without the epoch's RNG state cannot rebuild the batches.
	ck.EpochRNG = nil
	old := runOf(t, &bucketTask{mlpTask: newMLPTask(7)}, 3)
	old.Dir = first.Dir
	if _, err := old.Train(context.Background(), ck); err == nil || !strings.Contains(err.Error(), "no RNG state") {
		t.Fatalf("resume without the epoch RNG: %v", err)
	}
}

// predictTask writes one predicted class per line and scores its own predictions.
type predictTask struct {
	*mlpTask
	scored int
}

func (p *predictTask) Selection() (string, bool) { return "predicted_accuracy", true }

func (p *predictTask) Predict(split string, w io.Writer) error {
	g := p.evalG
	g.Reset()
	y := p.y[split]
	logits := p.forward(g, p.x[split], len(y))
	host := make([]float64, logits.Len())
	p.dev.Download(host, logits.Data)
	bw := bufio.NewWriter(w)
	for r := range y {
		best := 0
		for c := 1; c < mlpClasses; c++ {
			if host[r*mlpClasses+c] > host[r*mlpClasses+best] {
				best = c
			}
		}
		fmt.Fprintln(bw, best)
	}
	return bw.Flush()
}

func (p *predictTask) Score(split string, r io.Reader) (Metrics, error) {
	p.scored++
	sc := bufio.NewScanner(r)
	y := p.y[split]
	correct, n := 0, 0
	for ; sc.Scan(); n++ {
		c, err := strconv.Atoi(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if n < len(y) && int32(c) == y[n] {
			correct++
		}
	}
	if n != len(y) {
		return nil, fmt.Errorf("%d predictions for %d examples", n, len(y))
	}
	return Metrics{"predicted_accuracy": float64(correct) / float64(n)}, nil
}

// TestPredictorAndScorer: the scores of a task's own predictions are logged with every
// evaluation, select the best model, reach the summary, and Predict writes a checkpoint's
// predictions; a task without a predictor says so.
func TestPredictorAndScorer(t *testing.T) {
	task := &predictTask{mlpTask: newMLPTask(8)}
	run := runOf(t, task, 2)
	sum, err := run.Train(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Selection != "predicted_accuracy" || sum.Test["predicted_accuracy"] != sum.Test["accuracy"] ||
		sum.Valid["predicted_accuracy"] != sum.Valid["accuracy"] {
		t.Fatalf("summary %+v", sum)
	}
	events, _ := ReadEvents(run.Dir)
	evals := 0
	for _, e := range events {
		if e.Event == "eval" {
			evals++
			if _, ok := e.Metrics["predicted_accuracy"]; !ok {
				t.Fatalf("eval event without the scored metric: %+v", e)
			}
		}
	}
	if evals != 3 || task.scored != 4 { // 2 validations and the test are logged; the best is re-scored on valid
		t.Fatalf("%d eval events, %d scorings", evals, task.scored)
	}

	ck, err := ReadCheckpoint(BestCheckpoint(run.Dir))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Predict[float64](&predictTask{mlpTask: newMLPTask(8)}, ck, "test", &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != len(task.y["test"]) {
		t.Fatalf("%d prediction lines, want %d", lines, len(task.y["test"]))
	}
	if err := Predict[float64](newMLPTask(8), ck, "test", &out); !errors.Is(err, ErrNoPredictor) {
		t.Fatalf("a task without a predictor: %v", err)
	}
	if err := Predict[float64](&predictTask{mlpTask: newMLPTask(8)}, ck, "train", &out); err == nil {
		t.Fatal("predicting a split the task does not have: no error")
	}
}

// loaderTask prepares every training batch on the host (a copy of its rows, as tokenising and
// padding would make) in LoadBatch, optionally slowly, and fails on a chosen batch.
type loaderTask struct {
	*mlpTask
	delay    time.Duration
	failOn   int // the (1-based) LoadBatch call that fails; 0: none
	loads    atomic.Int64
	inFlight atomic.Int64
}

type hostBatch struct {
	x []float64
	y []int32
}

func (l *loaderTask) LoadBatch(i int) (any, error) {
	l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	n := l.loads.Add(1)
	if l.delay > 0 {
		time.Sleep(l.delay)
	}
	if l.failOn > 0 && n == int64(l.failOn) {
		return nil, errors.New("disk on fire")
	}
	lo, hi := i*l.batch, (i+1)*l.batch
	return &hostBatch{x: append([]float64(nil), l.x["train"][lo*mlpIn:hi*mlpIn]...),
		y: append([]int32(nil), l.y["train"][lo:hi]...)}, nil
}

func (l *loaderTask) BatchLoss(g *nn.Graph[float64], i int, batch any) (*nn.Tensor[float64], int, error) {
	b := batch.(*hostBatch)
	logits := l.forward(g, b.x, len(b.y))
	return g.CrossEntropy(logits, b.y, nil, -1), len(b.y), nil
}

func (l *loaderTask) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	panic("the loop called Loss on a BatchLoader")
}

// TestBatchLoaderPrefetchExact: loading batches ahead in a goroutine trains exactly as loading
// them in the step does, and as the same task with its batches uploaded once.
func TestBatchLoaderPrefetchExact(t *testing.T) {
	var want []float64
	var wantTest float64
	for _, prefetch := range []int{0, 1, 3} {
		task := &loaderTask{mlpTask: newMLPTask(10)}
		run := runOf(t, task, 2)
		run.Cfg.Prefetch = prefetch
		sum, err := run.Train(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := paramValues(task.Params())
		if want == nil {
			want, wantTest = got, sum.Test["accuracy"]
			plain := newTestRun(t, newMLPTask(10), 2)
			if _, err := plain.Train(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if p := paramValues(plain.Task.Params()); fmt.Sprint(p) != fmt.Sprint(want) {
				t.Fatal("loading in the step differs from the task's own batches")
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || sum.Test["accuracy"] != wantTest {
			t.Fatalf("prefetch %d: the parameters differ from loading synchronously", prefetch)
		}
	}
}

// TestBatchLoaderErrorAndInterrupt: a loader error stops the run naming the batch, and an
// interruption stops the loading goroutine before Train returns; the resumed run ends where
// an uninterrupted one does.
func TestBatchLoaderErrorAndInterrupt(t *testing.T) {
	task := &loaderTask{mlpTask: newMLPTask(11), failOn: 15, delay: time.Millisecond}
	run := runOf(t, task, 3)
	_, err := run.Train(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "loading batch") ||
		!strings.Contains(err.Error(), "epoch 2") {
		t.Fatalf("loader error: %v", err)
	}
	noPrefetcher(t)

	straight := runOf(t, &loaderTask{mlpTask: newMLPTask(12)}, 2)
	if _, err := straight.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slow := &loaderTask{mlpTask: newMLPTask(12), delay: 2 * time.Millisecond}
	first := runOf(t, &cancelAfterLoader{loaderTask: slow, n: 17, cancel: cancel}, 2)
	first.Cfg.Prefetch = 4
	if _, err := first.Train(ctx, nil); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if n := slow.inFlight.Load(); n != 0 {
		t.Fatalf("%d loads still running after Train returned", n)
	}
	noPrefetcher(t)
	path, _ := LatestCheckpoint(first.Dir)
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	resumed := runOf(t, &loaderTask{mlpTask: newMLPTask(12)}, 2)
	resumed.Dir = first.Dir
	if _, err := resumed.Train(context.Background(), ck); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(paramValues(straight.Task.Params())) != fmt.Sprint(paramValues(resumed.Task.Params())) {
		t.Fatal("resumed run with prefetching differs from the uninterrupted one")
	}
}

type cancelAfterLoader struct {
	*loaderTask
	n      int
	cancel func()
}

func (c *cancelAfterLoader) BatchLoss(g *nn.Graph[float64], i int, batch any) (*nn.Tensor[float64], int, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.loaderTask.BatchLoss(g, i, batch)
}

// noPrefetcher fails when a loading goroutine is still alive: Train waits for it to end.
func noPrefetcher(t *testing.T) {
	t.Helper()
	if n := runningPrefetchers.Load(); n != 0 {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d loading goroutines alive after Train returned:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
}

// syncFailDevice is a device whose Sync reports a (sticky) kernel error.
type syncFailDevice struct {
	kernels.Device[float64]
	syncs int
}

func (d *syncFailDevice) Sync() error {
	d.syncs++
	return errors.New("kernel 7 failed: illegal address")
}

// TestSyncBeforeCheckpoint: a device error found by Sync stops the run before a checkpoint is
// written.
func TestSyncBeforeCheckpoint(t *testing.T) {
	task := newMLPTask(13)
	run := runOf(t, task, 2)
	dev := &syncFailDevice{Device: task.dev}
	run.Dev = dev
	_, err := run.Train(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "illegal address") || dev.syncs == 0 {
		t.Fatalf("got %v after %d syncs", err, dev.syncs)
	}
	entries, _ := os.ReadDir(run.Dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ckpt") {
			t.Fatalf("checkpoint %s written despite the device error", e.Name())
		}
	}
}

// runOf is newTestRun for any float64 task.
func runOf(t *testing.T, task Task[float64], epochs int) *Run[float64] {
	r := newTestRun(t, &mlpTask{dev: kernels.MustCPU[float64]()}, epochs)
	r.Task = task
	return r
}
