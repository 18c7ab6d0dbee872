// Package bench reproduces the speed figure of the SRU paper (Lei & Zhang 2017, figure 2): the
// time of one mini-batch through SRU, LSTM and a word-level convolution, forward and forward +
// backward, on any kernels.Device, set against what the machine can do at best.
//
// Every row carries, beside the model's times, the time of the very GEMMs the model ran (recorded
// from one step and replayed alone on the same buffers), the machine's measured SGEMM peak and
// copy bandwidth, and from these how close the model gets: GEMM FLOP/s as a percent of the peak,
// and for the rest (the recurrence and the elementwise kernels) GB/s as a percent of the copy
// bandwidth.
//
// Shapes: L = time steps, B = batch, D = input and output width of every layer.
package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Size is one configuration of the figure. A bidirectional RNN gets D/2 hidden units per
// direction, so that every model maps [L, B, D] to [L, B, D].
type Size struct {
	L, B, D, Layers int
	Bidirectional   bool
}

func (s Size) String() string {
	dir := ""
	if s.Bidirectional {
		dir = ", bidirectional"
	}
	return fmt.Sprintf("L=%d B=%d D=%d, %d layer%s%s", s.L, s.B, s.D, s.Layers, plural(s.Layers), dir)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Validate reports an impossible size.
func (s Size) Validate() error {
	switch {
	case s.L <= 0 || s.B <= 0 || s.D <= 0 || s.Layers <= 0:
		return fmt.Errorf("bench: size %v: L, B, D and layers must be positive", s)
	case s.Bidirectional && s.D%2 != 0:
		return fmt.Errorf("bench: size %v: a bidirectional model needs an even D (D/2 per direction)", s)
	}
	return nil
}

// PaperSizes are the sizes of the paper's figure: batch 32, one layer, (L, D) = (32, 256) and
// (128, 512).
func PaperSizes() []Size {
	return []Size{{L: 32, B: 32, D: 256, Layers: 1}, {L: 128, B: 32, D: 512, Layers: 1}}
}

// AllSizes adds deeper and larger models to the paper's sizes: 4 layers, 2 bidirectional
// layers, and a long, wide, large-batch 2-layer model.
func AllSizes() []Size {
	return append(PaperSizes(),
		Size{L: 128, B: 32, D: 512, Layers: 4},
		Size{L: 128, B: 32, D: 512, Layers: 2, Bidirectional: true},
		Size{L: 256, B: 64, D: 1024, Layers: 2},
	)
}

// Options say what to time and how.
type Options struct {
	// Models are model names (see Models); empty means all.
	Models []string
	Sizes  []Size
	// Warmup steps run untimed before each measurement (the first one fills the arena).
	Warmup int
	// Reps timed steps per measurement; 0 picks them by time: at least 10 and 1 s per
	// measurement on average, at most 200. The measurements of one size take turns.
	Reps int
	// PeakN is the side of the square GEMM that measures the peak (0: 2048); CopyN the number
	// of elements copied to measure the bandwidth (0: 2^24). Tests make them small.
	PeakN, CopyN int
	// Seed seeds parameters and inputs.
	Seed uint64
	// Progress, when set, is called after each finished row.
	Progress func(Row)
}

// Stats summarise repeated timings, in milliseconds.
type Stats struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P25    float64 `json:"p25"`
	P75    float64 `json:"p75"`
	N      int     `json:"n"`
}

// Machine is what the device can do at best, measured once per run.
type Machine struct {
	Device    string  `json:"device"`
	Precision string  `json:"precision"`
	PeakN     int     `json:"peak_n"`
	PeakGFLOP float64 `json:"peak_gflops"` // best of square GEMMs of side PeakN
	CopyGBps  float64 `json:"peak_gbps"`   // best device Copy, bytes read + written
}

// Row is the result for one model at one size. The JSON field names are stable.
type Row struct {
	Model         string `json:"model"`
	L             int    `json:"L"`
	B             int    `json:"B"`
	D             int    `json:"D"`
	Layers        int    `json:"layers"`
	Bidirectional bool   `json:"bidirectional"`
	Hidden        int    `json:"hidden"` // per direction

	// Medians, the figure's numbers.
	FwdMs    float64 `json:"fwd_ms"`
	FwdBwdMs float64 `json:"fwd_bwd_ms"`
	// GemmMs is the time of the GEMMs of one forward+backward step alone; GemmFwdMs of the
	// forward's.
	GemmMs    float64 `json:"gemm_ms"`
	GemmFwdMs float64 `json:"gemm_fwd_ms"`

	Fwd     Stats `json:"fwd"`
	FwdBwd  Stats `json:"fwd_bwd"`
	Gemm    Stats `json:"gemm"`
	GemmFwd Stats `json:"gemm_fwd"`

	// GFLOP is the GEMM work of one forward+backward step (GFLOPFwd: of the forward); GFLOPS
	// that work over the step's median time, PctPeak as a percent of the machine's peak, and
	// GemmPctPeak the same for the GEMMs alone.
	GFLOP       float64 `json:"gflop"`
	GFLOPFwd    float64 `json:"gflop_fwd"`
	GFLOPS      float64 `json:"gflops"`
	PctPeak     float64 `json:"pct_peak"`
	GemmPctPeak float64 `json:"gemm_pct_peak"`

	// RestMs = FwdBwdMs − GemmMs is the time outside GEMMs (the SRU recurrence, the LSTM cell,
	// im2col, biases); RestGB the bytes its kernels must move at least (each operand read or
	// written once), RestGBps their rate and RestPctBW that rate as a percent of the copy
	// bandwidth. Zero when the rest is too small to measure.
	RestMs    float64 `json:"rest_ms"`
	RestGB    float64 `json:"rest_gb"`
	RestGBps  float64 `json:"rest_gbps"`
	RestPctBW float64 `json:"rest_pct_bw"`

	// OtherCPUPct is the share of the machine's CPU time that other processes took while this
	// row was measured (−1: unknown); above a few percent the times are disturbed.
	OtherCPUPct float64 `json:"other_cpu_pct"`

	Warmup int `json:"warmup"`
	Machine
}

// Report is the result of Run.
type Report struct {
	Machine Machine
	Rows    []Row
}

// Run times every model at every size on dev.
func Run[T kernels.Float](dev kernels.Device[T], opts Options) (*Report, error) {
	models, err := resolveModels(opts.Models)
	if err != nil {
		return nil, err
	}
	if len(opts.Sizes) == 0 {
		return nil, fmt.Errorf("bench: no sizes")
	}
	for _, s := range opts.Sizes {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	if opts.Warmup < 0 || opts.Reps < 0 {
		return nil, fmt.Errorf("bench: warmup and reps must be >= 0")
	}
	m, err := measureMachine(dev, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Machine: m}
	for _, s := range opts.Sizes {
		var specs []modelSpec
		for _, spec := range models {
			if !s.Bidirectional || spec.directional { // a convolution has no direction
				specs = append(specs, spec)
			}
		}
		before := sampleCPU()
		rows, err := timeSize(dev, specs, s, opts, m)
		if err != nil {
			return nil, err
		}
		others := otherCPUPercent(before, sampleCPU())
		for _, row := range rows {
			row.OtherCPUPct = others
			rep.Rows = append(rep.Rows, row)
			if opts.Progress != nil {
				opts.Progress(row)
			}
		}
	}
	return rep, nil
}

// subject is one model being timed: its parameters, input, graph and recorded GEMMs.
type subject[T kernels.Float] struct {
	dev   kernels.Device[T]
	mod   model[T]
	x     *nn.Tensor[T]
	rec   *recorder[T]
	g     *nn.Graph[T]
	nFwd  int // GEMMs of the forward among rec.calls
	err   error
	row   Row
	stats [4]*Stats // fwd, fwd+bwd, GEMMs of fwd, GEMMs of fwd+bwd
}

func newSubject[T kernels.Float](dev kernels.Device[T], spec modelSpec, s Size, opts Options, m Machine) (*subject[T], error) {
	rng := rand.New(rand.NewPCG(opts.Seed, 1))
	mod, err := build[T](spec, nn.NewParams[T](dev), s, rng)
	if err != nil {
		return nil, fmt.Errorf("bench: %s at %v: %w", spec.name, s, err)
	}
	x := &nn.Tensor[T]{Data: dev.Alloc(s.L * s.B * s.D), Shape: []int{s.L, s.B, s.D}, NeedsGrad: true}
	host := make([]T, x.Len())
	for i := range host {
		host[i] = T(rng.NormFloat64())
	}
	dev.Upload(x.Data, host)
	sub := &subject[T]{dev: dev, mod: mod, x: x, rec: &recorder[T]{Device: dev}}
	sub.g = nn.NewGraph[T](sub.rec, rand.New(rand.NewPCG(opts.Seed, 2)))
	sub.g.Training = true
	sub.row = Row{
		Model: spec.name, L: s.L, B: s.B, D: s.D, Layers: s.Layers, Bidirectional: s.Bidirectional,
		Hidden: mod.hidden, Warmup: opts.Warmup, Machine: m,
	}
	sub.stats = [4]*Stats{&sub.row.Fwd, &sub.row.FwdBwd, &sub.row.GemmFwd, &sub.row.Gemm}
	return sub, nil
}

// step runs one training step of the model (forward only unless backward), Reset included.
func (s *subject[T]) step(backward bool) {
	g := s.g
	g.Reset()
	s.x.Grad = kernels.Buf[T]{} // as below a real model: x gets a fresh gradient each step
	y := s.mod.forward(g, s.x)
	if s.rec.on {
		s.nFwd = len(s.rec.calls)
	}
	if backward {
		dy, _ := g.GradInit(y) // written in full: no need to zero it first
		s.dev.Fill(dy, 1)
		g.BackwardFrom()
	}
	if err := s.dev.Sync(); err != nil && s.err == nil {
		s.err = err
	}
}

// record runs one step noting its GEMMs, for replaying them alone, and counts their work.
func (s *subject[T]) record() {
	s.rec.on = true
	s.step(true)
	s.rec.on = false
	for i, c := range s.rec.calls {
		if i < s.nFwd {
			s.row.GFLOPFwd += c.flop() / 1e9
		}
		s.row.GFLOP += c.flop() / 1e9
	}
}

// task is the i-th measurement of the subject (see subject.stats).
func (s *subject[T]) task(i int) func() {
	switch i {
	case 0:
		return func() { s.step(false) }
	case 1:
		return func() { s.step(true) }
	case 2:
		// Replays overwrite activations and add into gradients: harmless, since every step
		// recomputes all it reads from x and the parameters.
		return func() { replay(s.dev, s.rec.calls[:s.nFwd]) }
	}
	return func() { replay(s.dev, s.rec.calls) }
}

// timeSize times every model at one size. The measurements are interleaved, one repetition
// of each in turn, so that a burst of load from elsewhere hits all of them alike and the
// ratios between models stay fair.
func timeSize[T kernels.Float](dev kernels.Device[T], specs []modelSpec, s Size, opts Options, m Machine) ([]Row, error) {
	var subs []*subject[T]
	var tasks []func()
	var samples [][]float64
	for _, spec := range specs {
		sub, err := newSubject(dev, spec, s, opts, m)
		if err != nil {
			return nil, err
		}
		defer dev.Free(sub.x.Data)
		sub.record()
		subs = append(subs, sub)
		for i := range sub.stats {
			tasks = append(tasks, sub.task(i))
		}
	}
	samples = make([][]float64, len(tasks))
	for _, f := range tasks {
		for range opts.Warmup {
			f()
		}
	}
	runtime.GC() // not during the timed steps, which allocate nothing
	const minReps, maxReps, minTimePerTask = 10, 200, time.Second
	start := time.Now()
	for n := 0; ; n++ {
		if opts.Reps > 0 && n == opts.Reps {
			break
		}
		if opts.Reps == 0 && (n >= maxReps || n >= minReps && time.Since(start) >= minTimePerTask*time.Duration(len(tasks))) {
			break
		}
		for i, f := range tasks {
			t0 := time.Now()
			f()
			samples[i] = append(samples[i], ms(time.Since(t0)))
		}
	}
	var z T
	rows := make([]Row, len(subs))
	for j, sub := range subs {
		if err := sub.err; err != nil {
			return nil, fmt.Errorf("bench: %s at %v: %w", sub.row.Model, s, err)
		}
		for i, st := range sub.stats {
			*st = summarise(samples[j*len(sub.stats)+i])
		}
		sub.row.RestGB = float64(sub.mod.restElems) * float64(unsafe.Sizeof(z)) / 1e9
		sub.row.finish()
		rows[j] = sub.row
	}
	if err := dev.Sync(); err != nil {
		return nil, fmt.Errorf("bench: at %v: %w", s, err)
	}
	return rows, nil
}

// finish fills the derived fields from the measured ones.
func (r *Row) finish() {
	r.FwdMs, r.FwdBwdMs = r.Fwd.Median, r.FwdBwd.Median
	r.GemmMs, r.GemmFwdMs = r.Gemm.Median, r.GemmFwd.Median
	r.GFLOPS = rate(r.GFLOP, r.FwdBwdMs)
	r.PctPeak = percent(r.GFLOPS, r.PeakGFLOP)
	r.GemmPctPeak = percent(rate(r.GFLOP, r.GemmMs), r.PeakGFLOP)
	r.RestMs = r.FwdBwdMs - r.GemmMs
	// Below 2% of the step the difference of two medians is noise, not a time.
	if r.RestMs <= 0.02*r.FwdBwdMs {
		r.RestMs, r.RestGBps, r.RestPctBW = max(r.RestMs, 0), 0, 0
		return
	}
	r.RestGBps = rate(r.RestGB, r.RestMs)
	r.RestPctBW = percent(r.RestGBps, r.CopyGBps)
}

// rate is an amount per second from an amount and milliseconds (0 when undefined).
func rate(amount, ms float64) float64 {
	if ms <= 0 || math.IsNaN(amount) {
		return 0
	}
	return amount / (ms / 1e3)
}

func percent(x, of float64) float64 {
	if of <= 0 {
		return 0
	}
	return 100 * x / of
}

// summarise computes the order statistics of ms (quantiles by linear interpolation).
func summarise(ms []float64) Stats {
	s := slices.Clone(ms)
	slices.Sort(s)
	q := func(p float64) float64 {
		if len(s) == 0 {
			return 0
		}
		x := p * float64(len(s)-1)
		i := int(x)
		if i+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[i] + (x-float64(i))*(s[i+1]-s[i])
	}
	st := Stats{Median: q(0.5), P25: q(0.25), P75: q(0.75), N: len(s)}
	if len(s) > 0 {
		st.Min, st.Max = s[0], s[len(s)-1]
	}
	return st
}
