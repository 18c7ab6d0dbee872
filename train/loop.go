package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// ErrInterrupted is returned when the context was cancelled (Ctrl-C): a checkpoint was written
// and `sru resume` continues the run.
var ErrInterrupted = errors.New("interrupted")

// Run is one training run: a task on a device, in a run directory.
type Run[T kernels.Float] struct {
	Dir        string
	Experiment string
	ConfigTOML string // the resolved experiment, saved in config.toml and in checkpoints
	Cfg        Config
	Seed       uint64
	// Labels describe the run for comparisons (task, dataset, model, fold, ...); they are
	// copied into summary.json.
	Labels map[string]string
	Task   Task[T]
	Dev    kernels.Device[T]
	// Out gets one line per epoch and the final result; Progress gets the progress bar when
	// ShowProgress (set it when stderr is a terminal), else a progress line every
	// ProgressEvery (30 s when 0): step, steps per second and mean loss since the last line.
	Out           io.Writer
	Progress      io.Writer
	ShowProgress  bool
	ProgressEvery time.Duration
	// AfterEpoch, when set, is called after each epoch's checkpoint; returning false stops the
	// run there as an interrupt would (tests use it).
	AfterEpoch func(epoch int) bool
}

// state is the loop's position, all of which goes into checkpoints.
type state struct {
	epoch, step, cursor int
	perm                []int
	epochRNG            []byte // the PCG state when the epoch began (see EpochBeginner)
	lr                  float64
	sched               ScheduleState
	hist                History
}

// Train runs the loop from the start, or from ck when resuming, and returns the summary.
func (r *Run[T]) Train(ctx context.Context, ck *Checkpoint) (*Summary, error) {
	if err := r.Cfg.Validate(); err != nil {
		return nil, err
	}
	if r.Out == nil {
		r.Out = io.Discard
	}
	ps := r.Task.Params()
	pcg := rand.NewPCG(r.Seed, r.Seed^0x5851f42d4c957f2d)
	g := nn.NewGraph(r.Dev, rand.New(pcg))
	g.Training = true
	opt := r.optimizer(ps)
	st := state{lr: r.Cfg.LR}
	truncate := int64(-1)
	if ck != nil {
		if err := restoreParams(ps, ck.Params); err != nil {
			return nil, err
		}
		if err := opt.LoadState(ck.Optim); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := pcg.UnmarshalBinary(ck.RNG); err != nil {
			return nil, fmt.Errorf("train: checkpoint RNG: %w", err)
		}
		if eb, ok := r.Task.(EpochBeginner); ok && ck.Perm != nil {
			if err := replayBeginEpoch(eb, ck); err != nil {
				return nil, err
			}
			if nb := r.Task.NumBatches(); nb != len(ck.Perm) {
				return nil, fmt.Errorf("train: resuming epoch %d: the task made %d batches, the checkpoint's order has %d",
					ck.Epoch+1, nb, len(ck.Perm))
			}
		}
		if sf, ok := r.Task.(Stateful); ok {
			if err := sf.LoadState(ck.TaskState); err != nil {
				return nil, err
			}
		}
		st = state{epoch: ck.Epoch, step: ck.Step, cursor: ck.Cursor, perm: ck.Perm, epochRNG: ck.EpochRNG,
			lr: ck.LR, sched: ck.Schedule, hist: ck.History}
		truncate = ck.MetricsOffset
	} else if err := os.WriteFile(filepath.Join(r.Dir, ConfigFile), []byte(r.ConfigTOML), 0o644); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt.SetLR(st.lr)
	log, err := openMetrics(r.Dir, truncate)
	if err != nil {
		return nil, err
	}
	defer log.close()

	l := &loop[T]{Run: r, ps: ps, pcg: pcg, g: g, opt: opt, st: st, log: log, start: time.Now()}
	l.wallBase = st.hist.WallSeconds
	// A resume under another config (sru resume -force) must leave a checkpoint that says so.
	l.configChanged = ck != nil && ck.Config != r.ConfigTOML
	err = l.train(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.finalCheckpoints(); err != nil {
		return nil, err
	}
	return l.finish()
}

// finalCheckpoints makes every run that ends (its epochs done, max_steps reached, stopped
// early) end with a step checkpoint of its last step and a best.ckpt: the last model when no
// validation split picked one.
func (l *loop[T]) finalCheckpoints() error {
	if _, err := os.Stat(filepath.Join(l.Dir, stepCheckpointName(l.st.step))); err != nil || l.configChanged {
		if err := l.checkpoint(); err != nil {
			return err
		}
	}
	if !l.st.hist.HasBest {
		return l.writeCheckpoint(BestCheckpoint(l.Dir))
	}
	return nil
}

// replayBeginEpoch calls the task's BeginEpoch for the checkpoint's epoch with the RNG state the
// epoch began with, on a copy: the task rebuilds the batches the checkpoint's order refers to.
func replayBeginEpoch(eb EpochBeginner, ck *Checkpoint) error {
	if ck.EpochRNG == nil {
		return fmt.Errorf("train: the checkpoint stops inside epoch %d but has no RNG state of the epoch's start "+
			"(it predates per-epoch task hooks): resume from a checkpoint written at an epoch's end", ck.Epoch+1)
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(ck.EpochRNG); err != nil {
		return fmt.Errorf("train: checkpoint epoch RNG: %w", err)
	}
	if err := eb.BeginEpoch(ck.Epoch, rand.New(pcg)); err != nil {
		return fmt.Errorf("train: epoch %d: %w", ck.Epoch+1, err)
	}
	return nil
}

type loop[T kernels.Float] struct {
	*Run[T]
	ps       *nn.Params[T]
	pcg      *rand.PCG
	g        *nn.Graph[T]
	opt      nn.Optimizer
	st       state
	log      *metricsLog
	start    time.Time
	wallBase float64
	// stats holds the loss and the squared gradient norm on the device, downloaded together.
	stats     kernels.Buf[T]
	statsHost []T
	// lastValid is the most recent validation result (for the epoch line).
	lastValid Metrics
	// configChanged is set when the run resumed a checkpoint of another config.
	configChanged bool
}

func (r *Run[T]) optimizer(ps *nn.Params[T]) nn.Optimizer {
	c := r.Cfg
	switch c.Optimizer {
	case "sgd":
		return nn.NewSGD(ps, nn.SGDConfig{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay, Nesterov: c.Nesterov})
	case "adamax":
		return nn.NewAdamax(ps, nn.AdamConfig{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.AdamEps, WeightDecay: c.WeightDecay})
	}
	return nn.NewAdam(ps, nn.AdamConfig{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.AdamEps, WeightDecay: c.WeightDecay})
}

func (l *loop[T]) wall() float64 { return l.wallBase + time.Since(l.start).Seconds() }

func (l *loop[T]) epochFraction() float64 {
	return float64(l.st.epoch) + float64(l.st.cursor)/float64(l.Task.NumBatches())
}

func (l *loop[T]) done() bool {
	return l.st.epoch >= l.Cfg.Epochs && l.Cfg.Epochs > 0 ||
		l.Cfg.MaxSteps > 0 && l.st.step >= l.Cfg.MaxSteps || l.st.hist.Stopped != ""
}

func (l *loop[T]) train(ctx context.Context) error {
	hasValid := slices.Contains(l.Task.Splits(), "valid")
	for !l.done() {
		// A new epoch draws its batch order once; a checkpoint written before its first step
		// keeps the order, so a resume there must not draw again.
		if l.st.perm == nil {
			if err := l.beginEpoch(); err != nil {
				return err
			}
		}
		nb := len(l.st.perm)
		if err := l.steps(ctx, nb, hasValid); err != nil {
			return err
		}
		if l.st.cursor < nb { // stopped inside the epoch (max_steps or early stop)
			break
		}
		l.st.epoch++
		l.st.cursor = 0
		l.st.perm = nil
		l.st.hist.EpochSeconds = append(l.st.hist.EpochSeconds, l.st.hist.TrainSeconds-l.st.hist.EpochStart)
		if err := l.endEpoch(hasValid); err != nil {
			return err
		}
		if l.AfterEpoch != nil && !l.AfterEpoch(l.st.epoch) {
			return ErrInterrupted
		}
	}
	return nil
}

// beginEpoch keeps the RNG state, runs the task's epoch hook and draws the batch order.
func (l *loop[T]) beginEpoch() error {
	var err error
	if l.st.epochRNG, err = l.pcg.MarshalBinary(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if eb, ok := l.Task.(EpochBeginner); ok {
		if err := eb.BeginEpoch(l.st.epoch, l.g.RNG); err != nil {
			return fmt.Errorf("train: epoch %d: %w", l.st.epoch+1, err)
		}
	}
	nb := l.Task.NumBatches()
	if nb <= 0 {
		return fmt.Errorf("train: the task has no training batches")
	}
	l.st.perm = l.newPerm(nb)
	l.st.hist.EpochStart = l.st.hist.TrainSeconds
	if sf, ok := l.Task.(Stateful); ok {
		sf.StartEpoch()
	}
	return nil
}

// steps runs the epoch's steps from the cursor until its end, max_steps or an early stop.
func (l *loop[T]) steps(ctx context.Context, nb int, hasValid bool) error {
	loader, _ := l.Task.(BatchLoader[T])
	var pf *prefetcher
	if loader != nil && l.Cfg.Prefetch > 0 {
		pf = startPrefetch(loader.LoadBatch, l.st.perm[l.st.cursor:], l.Cfg.Prefetch)
		defer pf.close()
	}
	bar := l.progressBar(nb)
	var lossSum float64
	var lossN, items int
	tick := time.Now()
	lines := l.progressLines()
	for l.st.cursor < nb {
		if ctx.Err() != nil {
			if err := l.checkpoint(); err != nil {
				return err
			}
			return ErrInterrupted
		}
		t0 := time.Now()
		i := l.st.perm[l.st.cursor]
		var batch any
		if loader != nil {
			var err error
			if pf != nil {
				lb := pf.next()
				if lb.i != i {
					panic(fmt.Sprintf("train: prefetched batch %d, the step wants %d", lb.i, i))
				}
				batch, err = lb.batch, lb.err
			} else {
				batch, err = loader.LoadBatch(i)
			}
			if err != nil {
				return fmt.Errorf("train: loading batch %d (epoch %d, step %d): %w", i, l.st.epoch+1, l.st.step+1, err)
			}
		}
		lv, n, err := l.step(i, loader, batch)
		if err != nil {
			return err
		}
		l.st.hist.TrainSeconds += time.Since(t0).Seconds()
		l.st.hist.Items += int64(n)
		l.st.step++
		l.st.cursor++
		lossSum += lv
		lossN++
		items += n
		if bar != nil {
			bar.Add(1)
		}
		if lines != nil {
			lines.add(l.st.step, lv)
		}
		if l.Cfg.LogEverySteps > 0 && l.st.step%l.Cfg.LogEverySteps == 0 {
			el := time.Since(tick).Seconds()
			if err := l.log.write(Event{Event: "train", Step: l.st.step, Epoch: l.epochFraction(),
				Loss: lossSum / float64(lossN), LR: l.opt.LR(), ItemsPerSec: float64(items) / el,
				TrainSeconds: l.st.hist.TrainSeconds, Wall: l.wall(), Time: time.Now()}); err != nil {
				return err
			}
			lossSum, lossN, items, tick = 0, 0, 0, time.Now()
		}
		if l.Cfg.EvalEverySteps > 0 && l.st.step%l.Cfg.EvalEverySteps == 0 && hasValid && l.st.cursor < nb {
			if err := l.evaluate(); err != nil {
				return err
			}
		}
		if l.Cfg.CheckpointEverySteps > 0 && l.st.step%l.Cfg.CheckpointEverySteps == 0 && l.st.cursor < nb {
			if err := l.checkpoint(); err != nil {
				return err
			}
		}
		if l.Cfg.MaxSteps > 0 && l.st.step >= l.Cfg.MaxSteps || l.st.hist.Stopped != "" {
			break
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(l.Progress)
	}
	return nil
}

// step runs one optimizer step on training batch i (loaded by the task's BatchLoader when it
// has one) and returns its loss.
func (l *loop[T]) step(i int, loader BatchLoader[T], batch any) (float64, int, error) {
	g := l.g
	g.Reset()
	l.ps.ZeroGrad()
	var loss *nn.Tensor[T]
	var n int
	var err error
	if loader != nil {
		loss, n, err = loader.BatchLoss(g, i, batch)
	} else {
		loss, n, err = l.Task.Loss(g, i)
	}
	if err != nil {
		return 0, 0, err
	}
	// One transfer to the host per step: the loss, and with clipping the squared gradient norm
	// beside it. A non-finite loss is caught after the backward, before the update.
	if l.stats.IsNil() {
		l.stats, l.statsHost = l.Dev.Alloc(2), make([]T, 2)
	}
	g.Backward(loss)
	host := l.statsHost[:1]
	if l.Cfg.ClipGradNorm > 0 {
		l.Dev.Copy(l.stats.Slice(0, 1), loss.Data)
		ss := l.stats.Slice(1, 2)
		l.Dev.Fill(ss, 0)
		nn.ClipGradNormOnDevice(l.ps, l.Cfg.ClipGradNorm, ss)
		host = l.statsHost
		l.Dev.Download(host, l.stats)
	} else {
		l.Dev.Download(host, loss.Data)
	}
	lv := float64(host[0])
	if math.IsNaN(lv) || math.IsInf(lv, 0) {
		return 0, 0, l.nonFinite("loss", lv, i)
	}
	if len(host) == 2 {
		if norm := math.Sqrt(float64(host[1])); math.IsNaN(norm) || math.IsInf(norm, 0) {
			return 0, 0, l.nonFinite("gradient norm", norm, i)
		}
	}
	if l.Cfg.LRSchedule == "warmup_rsqrt" {
		l.st.lr = l.Cfg.LR * warmupRsqrt(l.st.step+1, l.Cfg.LRWarmupSteps)
		l.opt.SetLR(l.st.lr)
	}
	l.opt.Step()
	return lv, n, nil
}

func (l *loop[T]) nonFinite(what string, v float64, batch int) error {
	last, err := LatestCheckpoint(l.Dir)
	if err != nil {
		last = "none written yet"
	}
	l.log.write(Event{Event: "end", Step: l.st.step + 1, Epoch: l.epochFraction(),
		Metrics: Metrics{"nonfinite": v}, TrainSeconds: l.st.hist.TrainSeconds, Wall: l.wall(), Time: time.Now()})
	return fmt.Errorf("train: %s is %v at step %d (epoch %d, batch %d); stopped, the last good checkpoint is %s",
		what, v, l.st.step+1, l.st.epoch+1, batch, last)
}

func (l *loop[T]) newPerm(nb int) []int {
	if l.Task.Shuffle() {
		return l.g.RNG.Perm(nb)
	}
	p := make([]int, nb)
	for i := range p {
		p[i] = i
	}
	return p
}

// progressLines is the progress output when stderr is not a terminal (a log file, a pipe):
// a line every ProgressEvery.
func (l *loop[T]) progressLines() *progressLine {
	if l.ShowProgress || l.Progress == nil {
		return nil
	}
	every := l.ProgressEvery
	if every <= 0 {
		every = 30 * time.Second
	}
	return &progressLine{w: l.Progress, every: every, since: time.Now(), fromStep: l.st.step}
}

type progressLine struct {
	w        io.Writer
	every    time.Duration
	since    time.Time
	fromStep int
	lossSum  float64
	lossN    int
}

func (p *progressLine) add(step int, loss float64) {
	p.lossSum += loss
	p.lossN++
	el := time.Since(p.since)
	if el < p.every {
		return
	}
	fmt.Fprintf(p.w, "step %d  %.2f steps/s  loss %.4f\n", step, float64(step-p.fromStep)/el.Seconds(), p.lossSum/float64(p.lossN))
	p.since, p.fromStep, p.lossSum, p.lossN = time.Now(), step, 0, 0
}

func (l *loop[T]) progressBar(nb int) *progressbar.ProgressBar {
	if !l.ShowProgress || l.Progress == nil {
		return nil
	}
	bar := progressbar.NewOptions(nb,
		progressbar.OptionSetWriter(l.Progress),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d", l.st.epoch+1)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30))
	bar.Set(l.st.cursor)
	return bar
}

// evaluate runs the validation split, updates the best model and the early-stopping count.
func (l *loop[T]) evaluate() error {
	m, err := evaluateSplit(l.Task, "valid")
	if err != nil {
		return err
	}
	l.lastValid = m
	if err := l.log.write(Event{Event: "eval", Split: "valid", Step: l.st.step, Epoch: l.epochFraction(),
		Metrics: m, LR: l.opt.LR(), TrainSeconds: l.st.hist.TrainSeconds, Wall: l.wall(), Time: time.Now()}); err != nil {
		return err
	}
	name, higher := l.Task.Selection()
	v, ok := m[name]
	if !ok {
		return fmt.Errorf("train: the task's evaluation has no %q metric", name)
	}
	h := &l.st.hist
	better := !h.HasBest || (higher && v > h.BestMetric) || (!higher && v < h.BestMetric)
	if better {
		h.HasBest, h.BestMetric, h.BestEpoch, h.BestStep, h.BadEvals = true, v, l.st.epoch, l.st.step, 0
		if err := l.writeCheckpoint(BestCheckpoint(l.Dir)); err != nil {
			return err
		}
	} else {
		h.BadEvals++
		if l.Cfg.Patience > 0 && h.BadEvals >= l.Cfg.Patience {
			h.Stopped = fmt.Sprintf("early stop: no better valid %s in %d evaluations", name, h.BadEvals)
		}
	}
	return nil
}

func (l *loop[T]) endEpoch(hasValid bool) error {
	var valid Metrics
	if hasValid {
		if err := l.evaluate(); err != nil {
			return err
		}
		valid = l.lastValid
	}
	secs := l.st.hist.EpochSeconds[len(l.st.hist.EpochSeconds)-1]
	line := fmt.Sprintf("epoch %3d  step %7d  lr %.3g  %6.1fs", l.st.epoch, l.st.step, l.opt.LR(), secs)
	if valid != nil {
		name, _ := l.Task.Selection()
		line += fmt.Sprintf("  valid %s %.4f  (best %.4f @ epoch %d)", name, valid[name], l.st.hist.BestMetric, l.st.hist.BestEpoch)
	}
	fmt.Fprintln(l.Out, line)
	if err := l.log.write(Event{Event: "epoch", Step: l.st.step, Epoch: float64(l.st.epoch), LR: l.opt.LR(),
		TrainSeconds: l.st.hist.TrainSeconds, Wall: l.wall(), Time: time.Now()}); err != nil {
		return err
	}
	name, higher := l.Task.Selection()
	_, hasMetric := valid[name]
	l.st.lr = epochEndLR(l.Cfg, l.st.lr, l.st.epoch, valid[name], hasMetric, higher, &l.st.sched)
	l.opt.SetLR(l.st.lr)
	return l.checkpoint()
}

// checkpoint writes a step checkpoint and prunes old ones.
func (l *loop[T]) checkpoint() error {
	if err := l.writeCheckpoint(filepath.Join(l.Dir, stepCheckpointName(l.st.step))); err != nil {
		return err
	}
	return prune(l.Dir, l.Cfg.KeepLast)
}

func (l *loop[T]) writeCheckpoint(path string) error {
	// The parameters are read back from the device: its queued work must have finished, and
	// a kernel error (sticky on a GPU) must not be saved as a good checkpoint.
	if err := l.Dev.Sync(); err != nil {
		return fmt.Errorf("train: before writing %s: %w", filepath.Base(path), err)
	}
	rng, err := l.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	h := l.st.hist
	h.WallSeconds = l.wall()
	ck := &Checkpoint{Experiment: l.Experiment, Config: l.ConfigTOML, Epoch: l.st.epoch, Step: l.st.step,
		Cursor: l.st.cursor, Perm: l.st.perm, RNG: rng, EpochRNG: l.st.epochRNG, LR: l.st.lr, Schedule: l.st.sched,
		Optim:  l.opt.State(),
		Params: captureParams(l.ps), History: h, MetricsOffset: l.log.offset()}
	if sf, ok := l.Task.(Stateful); ok {
		if ck.TaskState, err = sf.SaveState(); err != nil {
			return err
		}
	}
	return WriteCheckpoint(path, ck)
}

// finish evaluates the best model (or the last, without a validation split) on the test split
// and writes summary.json.
func (l *loop[T]) finish() (*Summary, error) {
	h := l.st.hist
	name, _ := l.Task.Selection()
	s := &Summary{Experiment: l.Experiment, Labels: l.Labels, Seed: l.Seed, RunDir: l.Dir, Device: l.Dev.Name(), Params: l.ps.Count(),
		Epochs: l.st.epoch, Steps: l.st.step, Selection: name, BestEpoch: h.BestEpoch, BestStep: h.BestStep,
		TrainSeconds: h.TrainSeconds, Stopped: h.Stopped}
	if len(h.EpochSeconds) > 0 {
		s.SecondsPerEpoch = median(h.EpochSeconds)
	}
	if h.TrainSeconds > 0 {
		s.ItemsPerSecond = float64(h.Items) / h.TrainSeconds
	}
	if h.HasBest {
		best, err := ReadCheckpoint(BestCheckpoint(l.Dir))
		if err != nil {
			return nil, err
		}
		if err := restoreParams(l.ps, best.Params); err != nil {
			return nil, err
		}
		if s.Valid, err = evaluateSplit(l.Task, "valid"); err != nil {
			return nil, err
		}
	} else {
		s.BestEpoch, s.BestStep = l.st.epoch, l.st.step
	}
	if slices.Contains(l.Task.Splits(), "test") {
		var err error
		if s.Test, err = evaluateSplit(l.Task, "test"); err != nil {
			return nil, err
		}
		if err := l.log.write(Event{Event: "eval", Split: "test", Step: s.BestStep, Epoch: float64(s.BestEpoch),
			Metrics: s.Test, TrainSeconds: h.TrainSeconds, Wall: l.wall(), Time: time.Now()}); err != nil {
			return nil, err
		}
	}
	if err := l.log.write(Event{Event: "end", Step: l.st.step, Epoch: float64(l.st.epoch),
		TrainSeconds: h.TrainSeconds, Wall: l.wall(), Time: time.Now()}); err != nil {
		return nil, err
	}
	if err := WriteSummary(l.Dir, s); err != nil {
		return nil, err
	}
	line := fmt.Sprintf("done: %d epochs, %d steps, %.1fs training", s.Epochs, s.Steps, s.TrainSeconds)
	if s.SecondsPerEpoch > 0 {
		line += fmt.Sprintf(" (%.2fs/epoch)", s.SecondsPerEpoch)
	}
	if s.Valid != nil {
		line += fmt.Sprintf("; best valid %s %.4f at epoch %d", name, s.Valid[name], s.BestEpoch)
	}
	if s.Test != nil {
		line += fmt.Sprintf("; test %s %.4f", name, s.Test[name])
	}
	if s.Stopped != "" {
		line += " (" + s.Stopped + ")"
	}
	fmt.Fprintln(l.Out, line)
	return s, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
