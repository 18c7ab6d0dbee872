package train

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

func TestWarmupRsqrt(t *testing.T) {
	// warmup 4: 1/4, 2/4, 3/4, 1 at step 4, then sqrt(4/s): 0.5 at 16, 0.25 at 64.
	for _, c := range []struct {
		step int
		want float64
	}{{1, 0.25}, {2, 0.5}, {3, 0.75}, {4, 1}, {9, 2.0 / 3}, {16, 0.5}, {64, 0.25}} {
		if got := warmupRsqrt(c.step, 4); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("step %d: %v, want %v", c.step, got, c.want)
		}
	}
}

// TestPlateauSchedule follows OpenNMT-py's rule by hand: decay starts at the first epoch whose
// validation metric is not better than the previous epoch's (or at lr_decay_start), then the
// rate is multiplied by lr_decay after every epoch.
func TestPlateauSchedule(t *testing.T) {
	cases := []struct {
		name   string
		start  int
		higher bool
		valid  []float64
		want   []float64 // lr after each epoch
	}{
		{"perplexity", 0, false, []float64{10, 8, 9, 7, 6}, []float64{1, 1, 0.5, 0.25, 0.125}},
		{"accuracy tie", 0, true, []float64{0.5, 0.6, 0.6, 0.7}, []float64{1, 1, 0.5, 0.25}},
		{"start epoch", 2, false, []float64{10, 9, 8, 7}, []float64{1, 0.5, 0.25, 0.125}},
		{"improving", 0, true, []float64{0.1, 0.2, 0.3}, []float64{1, 1, 1}},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.LRSchedule, cfg.LRDecay, cfg.LRDecayStart = "plateau", 0.5, c.start
		var st ScheduleState
		lr := 1.0
		for e, v := range c.valid {
			lr = epochEndLR(cfg, lr, e+1, v, true, c.higher, &st)
			if lr != c.want[e] {
				t.Errorf("%s: lr after epoch %d = %v, want %v", c.name, e+1, lr, c.want[e])
			}
		}
	}
	// Without a validation split only the start epoch applies.
	cfg := DefaultConfig()
	cfg.LRSchedule, cfg.LRDecay, cfg.LRDecayStart = "plateau", 0.5, 3
	var st ScheduleState
	lr := 1.0
	for e, want := range []float64{1, 1, 0.5, 0.25} {
		if lr = epochEndLR(cfg, lr, e+1, 0, false, true, &st); lr != want {
			t.Errorf("no validation: lr after epoch %d = %v, want %v", e+1, lr, want)
		}
	}
}

// TestDefaultScheduleUnchanged: the default epoch_decay schedule is the old per-epoch decay.
func TestDefaultScheduleUnchanged(t *testing.T) {
	cfg := DefaultConfig()
	var st ScheduleState
	if lr := epochEndLR(cfg, 0.1, 3, 0.5, true, true, &st); lr != 0.1 {
		t.Errorf("default: lr %v, want 0.1", lr)
	}
	cfg.LRDecay, cfg.LRDecayStart = 0.5, 2
	if lr := epochEndLR(cfg, 0.1, 1, 0, false, true, &st); lr != 0.1 {
		t.Errorf("before the start: lr %v, want 0.1", lr)
	}
	if lr := epochEndLR(cfg, 0.1, 2, 0, false, true, &st); lr != 0.05 {
		t.Errorf("at the start: lr %v, want 0.05", lr)
	}
}

func TestScheduleConfigValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Config)
	}{
		{"unknown", func(c *Config) { c.LRSchedule = "cosine" }},
		{"plateau without decay", func(c *Config) { c.LRSchedule = "plateau" }},
		{"warmup without steps", func(c *Config) { c.LRSchedule = "warmup_rsqrt" }},
		{"warmup with decay", func(c *Config) { c.LRSchedule, c.LRWarmupSteps, c.LRDecay = "warmup_rsqrt", 10, 0.5 }},
		{"optimizer", func(c *Config) { c.Optimizer = "adagrad" }},
	} {
		cfg := DefaultConfig()
		c.set(&cfg)
		if cfg.Validate() == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// resumeMatchesStraight trains 4 epochs straight and 2 + resume to 4 with the configuration
// changed by set, checks that both end with the same parameters, and returns the straight
// run's events.
func resumeMatchesStraight(t *testing.T, seed uint64, set func(*Config)) []Event {
	t.Helper()
	const epochs = 4
	run := func() *Run[float64] {
		r := newTestRun(t, newMLPTask(seed), epochs)
		set(&r.Cfg)
		return r
	}
	straight := run()
	if _, err := straight.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	first := run()
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
	resumed := run()
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
	ea, _ := ReadEvents(straight.Dir)
	eb, _ := ReadEvents(first.Dir)
	if lrsOf(ea) != lrsOf(eb) {
		t.Fatalf("learning rates differ:\n%s\n%s", lrsOf(ea), lrsOf(eb))
	}
	return ea
}

func lrsOf(events []Event) string {
	s := ""
	for _, e := range events {
		if e.Event == "train" || e.Event == "epoch" {
			s += e.Event + " " + formatFloat(e.LR) + "\n"
		}
	}
	return s
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestPlateauResume: SGD with momentum and the plateau schedule: the schedule's memory survives
// a checkpoint, and the rates follow the rule on the logged validation accuracies.
func TestPlateauResume(t *testing.T) {
	events := resumeMatchesStraight(t, 3, func(c *Config) {
		c.Optimizer, c.LR, c.Momentum = "sgd", 0.1, 0.9
		c.LRSchedule, c.LRDecay = "plateau", 0.5 // decay from the first tie or drop
	})
	var valid, epochLR []float64
	for _, e := range events {
		switch {
		case e.Event == "eval" && e.Split == "valid": // one per epoch (eval_every_steps is 0)
			valid = append(valid, e.Metrics["accuracy"])
		case e.Event == "epoch":
			epochLR = append(epochLR, e.LR)
		}
	}
	t.Logf("validation accuracies %v, rates %v", valid, epochLR)
	if len(epochLR) != 4 || len(valid) != 4 {
		t.Fatalf("%d epoch events, %d validations", len(epochLR), len(valid))
	}
	lr, decaying := 0.1, false
	for e := range epochLR {
		if epochLR[e] != lr {
			t.Errorf("epoch %d trained at lr %v, want %v (validation %v)", e+1, epochLR[e], lr, valid)
		}
		if e > 0 && valid[e] <= valid[e-1] {
			decaying = true
		}
		if decaying {
			lr *= 0.5
		}
	}
}

func TestAdamaxResume(t *testing.T) {
	resumeMatchesStraight(t, 4, func(c *Config) { c.Optimizer, c.LR = "adamax", 0.01 })
}

// TestWarmupRsqrtResume: the per-step rates are lr·min(s/W, sqrt(W/s)) and survive a resume.
func TestWarmupRsqrtResume(t *testing.T) {
	const warmup = 10
	events := resumeMatchesStraight(t, 5, func(c *Config) {
		c.LRSchedule, c.LRWarmupSteps, c.LR = "warmup_rsqrt", warmup, 0.02
	})
	n := 0
	for _, e := range events {
		if e.Event != "train" {
			continue
		}
		n++
		s := float64(e.Step)
		want := 0.02 * math.Min(s/warmup, math.Sqrt(warmup/s))
		if math.Abs(e.LR-want) > 1e-15 {
			t.Errorf("step %d: lr %v, want %v", e.Step, e.LR, want)
		}
	}
	if n == 0 {
		t.Fatal("no train events")
	}
}

// transferCounter counts the device-to-host copies and host-valued reductions made through it.
// transferCounter counts the transfers to the host made between the start of a step's Loss and
// its optimizer update (checkpoints and evaluations between steps do not count).
type transferCounter struct {
	kernels.Device[float64]
	n      int
	active bool
}

func (c *transferCounter) AdamStep(p, g, m, v kernels.Buf[float64], lr, beta1, beta2, eps, weightDecay float64, step int) {
	c.active = false
	c.Device.AdamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step)
}

func (c *transferCounter) Download(dst []float64, src kernels.Buf[float64]) {
	if c.active {
		c.n++
	}
	c.Device.Download(dst, src)
}

func (c *transferCounter) DownloadInts(dst []int32, src kernels.Ints) {
	if c.active {
		c.n++
	}
	c.Device.DownloadInts(dst, src)
}

func (c *transferCounter) Sum(x kernels.Buf[float64]) float64 {
	if c.active {
		c.n++
	}
	return c.Device.Sum(x)
}

func (c *transferCounter) SumSquares(x kernels.Buf[float64]) float64 {
	if c.active {
		c.n++
	}
	return c.Device.SumSquares(x)
}

// TestOneTransferPerStep: a training step (forward, cross entropy, backward, Adam) copies one
// value to the host, the loss (gradient clipping, off here, adds its norm).
func TestOneTransferPerStep(t *testing.T) {
	for _, clip := range []float64{0, 0.5} { // with clipping, the norm comes down with the loss
		task := newMLPTask(7)
		r := newTestRun(t, task, 1)
		r.Cfg.ClipGradNorm = clip
		counter := &transferCounter{Device: task.dev}
		r.Dev = counter
		task.ps.Dev = counter
		steps := 0
		r.Task = &countSteps{mlpTask: task, n: &steps, counter: counter}
		if _, err := r.Train(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if steps == 0 || counter.n != steps {
			t.Errorf("clip %v: %d transfers in %d steps, want one per step", clip, counter.n, steps)
		}
	}
}

type countSteps struct {
	*mlpTask
	n       *int
	counter *transferCounter
}

func (c *countSteps) Loss(g *nn.Graph[float64], i int) (*nn.Tensor[float64], int, error) {
	*c.n++
	if c.counter != nil {
		c.counter.active = true
	}
	return c.mlpTask.Loss(g, i)
}
