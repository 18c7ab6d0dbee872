package nn

import (
	"fmt"
	"math"

	"github.com/gosru/gosru/kernels"
)

// Optimizer updates the trainable parameters of a set from their gradients.
type Optimizer interface {
	// Step applies one update (the gradients are left as they are: call ZeroGrad).
	Step()
	LR() float64
	// SetLR changes the learning rate for the following steps (schedules).
	SetLR(lr float64)
	// State returns a copy of the optimizer's state; LoadState restores one, exactly.
	State() *OptimState
	LoadState(s *OptimState) error
}

// OptimState is the serializable state of an optimizer: its kind, the number of steps taken
// and its per-parameter buffers. Values are float64, which holds float32 state exactly.
type OptimState struct {
	Kind    string
	Steps   int
	Buffers []OptimBuffer
}

// OptimBuffer is one state buffer of one parameter, e.g. Param "emb", Slot "exp_avg".
type OptimBuffer struct {
	Param, Slot string
	Data        []float64
}

// slot is a state buffer of one parameter, kept beside it.
type slot[T kernels.Float] struct {
	name string
	bufs []kernels.Buf[T] // by index in optimizer.params
}

// optimizer is what SGD and Adam share: the trainable parameters, the step count and the
// state slots.
type optimizer[T kernels.Float] struct {
	kind   string
	dev    kernels.Device[T]
	params []*Param[T] // the trainable ones, in creation order
	count  int         // len(ps.List()) when made: adding parameters later is an error
	ps     *Params[T]
	lr     float64
	steps  int
	slots  []slot[T]
}

func newOptimizer[T kernels.Float](kind string, ps *Params[T], lr float64, slotNames ...string) optimizer[T] {
	o := optimizer[T]{kind: kind, dev: ps.Dev, ps: ps, count: len(ps.List()), lr: lr}
	for _, p := range ps.List() {
		if p.NeedsGrad {
			o.params = append(o.params, p)
		}
	}
	for _, name := range slotNames {
		s := slot[T]{name: name}
		for _, p := range o.params {
			s.bufs = append(s.bufs, ps.Dev.Alloc(p.Len()))
		}
		o.slots = append(o.slots, s)
	}
	return o
}

func (o *optimizer[T]) LR() float64      { return o.lr }
func (o *optimizer[T]) SetLR(lr float64) { o.lr = lr }

func (o *optimizer[T]) checkParams() {
	if len(o.ps.List()) != o.count {
		panic(fmt.Sprintf("nn: %s optimizer made for %d parameters, the set now has %d", o.kind, o.count, len(o.ps.List())))
	}
}

// forRows calls f on the regions of p to update: the whole tensor, or for a row-sparse one each
// run of consecutive Touched rows (so one kernel call covers a run).
func forRows[T kernels.Float](p *Param[T], f func(lo, hi int)) {
	if !p.RowSparse {
		f(0, p.Len())
		return
	}
	cols := p.Cols()
	t := p.Touched
	for i := 0; i < len(t); {
		j := i + 1
		for j < len(t) && t[j] == t[j-1]+1 {
			j++
		}
		f(int(t[i])*cols, int(t[j-1]+1)*cols)
		i = j
	}
}

func (o *optimizer[T]) State() *OptimState {
	s := &OptimState{Kind: o.kind, Steps: o.steps}
	for _, sl := range o.slots {
		for i, p := range o.params {
			host := make([]T, p.Len())
			o.dev.Download(host, sl.bufs[i])
			data := make([]float64, len(host))
			for j, v := range host {
				data[j] = float64(v)
			}
			s.Buffers = append(s.Buffers, OptimBuffer{Param: p.Name, Slot: sl.name, Data: data})
		}
	}
	return s
}

// LoadState replaces the state by s, which must come from an optimizer of the same kind over
// parameters of the same names and sizes. Nothing changes when it returns an error.
func (o *optimizer[T]) LoadState(s *OptimState) error {
	if s.Kind != o.kind {
		return fmt.Errorf("nn: loading %s optimizer state into %s", s.Kind, o.kind)
	}
	if s.Steps < 0 {
		return fmt.Errorf("nn: optimizer state with %d steps", s.Steps)
	}
	type key struct{ param, slot string }
	want := map[key]int{} // → index into o.params
	for i, p := range o.params {
		for _, sl := range o.slots {
			want[key{p.Name, sl.name}] = i
		}
	}
	if len(s.Buffers) != len(want) {
		return fmt.Errorf("nn: %s optimizer state has %d buffers, want %d", o.kind, len(s.Buffers), len(want))
	}
	seen := map[key]bool{}
	for _, b := range s.Buffers {
		k := key{b.Param, b.Slot}
		i, ok := want[k]
		if !ok || seen[k] {
			return fmt.Errorf("nn: unexpected or repeated %s optimizer buffer %s/%s", o.kind, b.Param, b.Slot)
		}
		seen[k] = true
		if n := o.params[i].Len(); len(b.Data) != n {
			return fmt.Errorf("nn: optimizer buffer %s/%s has %d values, want %d", b.Param, b.Slot, len(b.Data), n)
		}
	}
	for _, b := range s.Buffers {
		i := want[key{b.Param, b.Slot}]
		host := make([]T, len(b.Data))
		for j, v := range b.Data {
			host[j] = T(v)
		}
		for _, sl := range o.slots {
			if sl.name == b.Slot {
				o.dev.Upload(sl.bufs[i], host)
			}
		}
	}
	o.steps = s.Steps
	return nil
}

// SGDConfig are the hyperparameters of SGD (torch.optim.SGD with dampening 0).
type SGDConfig struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool
}

// SGD is stochastic gradient descent with optional momentum (Nesterov or not) and L2 weight
// decay added to the gradient. Row-sparse parameters are updated lazily: only their Touched
// rows move, and only those rows' momentum decays.
type SGD[T kernels.Float] struct {
	optimizer[T]
	cfg SGDConfig
}

// NewSGD makes an SGD optimizer over the trainable parameters of ps.
func NewSGD[T kernels.Float](ps *Params[T], cfg SGDConfig) *SGD[T] {
	if cfg.Momentum < 0 || cfg.WeightDecay < 0 || (cfg.Nesterov && cfg.Momentum == 0) {
		panic(fmt.Sprintf("nn: bad SGD configuration %+v", cfg))
	}
	var slots []string
	if cfg.Momentum != 0 {
		slots = append(slots, "momentum_buffer")
	}
	return &SGD[T]{optimizer: newOptimizer("sgd", ps, cfg.LR, slots...), cfg: cfg}
}

// Step applies one SGD update.
func (o *SGD[T]) Step() {
	o.checkParams()
	lr, mom, wd := T(o.lr), T(o.cfg.Momentum), T(o.cfg.WeightDecay)
	for i, p := range o.params {
		var m kernels.Buf[T]
		if len(o.slots) > 0 {
			m = o.slots[0].bufs[i]
		}
		forRows(p, func(lo, hi int) {
			var ms kernels.Buf[T]
			if !m.IsNil() {
				ms = m.Slice(lo, hi)
			}
			o.dev.SGDStep(p.Data.Slice(lo, hi), p.Grad.Slice(lo, hi), ms, lr, mom, wd, o.cfg.Nesterov)
		})
	}
	o.steps++
}

// AdamConfig are the hyperparameters of Adam (torch.optim.Adam, amsgrad off).
type AdamConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
}

// DefaultAdam is Adam with PyTorch's default betas (0.9, 0.999) and eps 1e-8.
func DefaultAdam(lr float64) AdamConfig {
	return AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Adam is Kingma & Ba's optimizer with bias correction and L2 weight decay added to the
// gradient, as torch.optim.Adam. Row-sparse parameters are updated lazily, as
// torch.optim.SparseAdam does: only the Touched rows' moments and values change, and the bias
// correction uses the optimizer's global step count.
type Adam[T kernels.Float] struct {
	optimizer[T]
	cfg AdamConfig
}

// NewAdam makes an Adam optimizer over the trainable parameters of ps.
func NewAdam[T kernels.Float](ps *Params[T], cfg AdamConfig) *Adam[T] {
	if cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps < 0 || cfg.WeightDecay < 0 {
		panic(fmt.Sprintf("nn: bad Adam configuration %+v", cfg))
	}
	return &Adam[T]{optimizer: newOptimizer("adam", ps, cfg.LR, "exp_avg", "exp_avg_sq"), cfg: cfg}
}

// Step applies one Adam update.
func (o *Adam[T]) Step() {
	o.checkParams()
	o.steps++
	c := o.cfg
	lr, b1, b2, eps, wd := T(o.lr), T(c.Beta1), T(c.Beta2), T(c.Eps), T(c.WeightDecay)
	for i, p := range o.params {
		m, v := o.slots[0].bufs[i], o.slots[1].bufs[i]
		forRows(p, func(lo, hi int) {
			o.dev.AdamStep(p.Data.Slice(lo, hi), p.Grad.Slice(lo, hi), m.Slice(lo, hi), v.Slice(lo, hi),
				lr, b1, b2, eps, wd, o.steps)
		})
	}
}

// DefaultAdamax is Adamax with PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8.
func DefaultAdamax() AdamConfig {
	return AdamConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Adamax is Adam's infinity-norm variant (Kingma & Ba, section 7.1), as torch.optim.Adamax:
// g' = g + wd·p, m = β1·m + (1−β1)·g', u = max(β2·u, |g'| + eps), p −= lr/(1−β1^t)·m/u. Its
// hyperparameters are an AdamConfig. Row-sparse parameters are updated lazily, as in Adam.
type Adamax[T kernels.Float] struct {
	optimizer[T]
	cfg AdamConfig
}

// NewAdamax makes an Adamax optimizer over the trainable parameters of ps.
func NewAdamax[T kernels.Float](ps *Params[T], cfg AdamConfig) *Adamax[T] {
	if cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps < 0 || cfg.WeightDecay < 0 {
		panic(fmt.Sprintf("nn: bad Adamax configuration %+v", cfg))
	}
	return &Adamax[T]{optimizer: newOptimizer("adamax", ps, cfg.LR, "exp_avg", "exp_inf"), cfg: cfg}
}

// Step applies one Adamax update.
func (o *Adamax[T]) Step() {
	o.checkParams()
	o.steps++
	c := o.cfg
	lr, b1, b2, eps, wd := T(o.lr), T(c.Beta1), T(c.Beta2), T(c.Eps), T(c.WeightDecay)
	for i, p := range o.params {
		m, u := o.slots[0].bufs[i], o.slots[1].bufs[i]
		forRows(p, func(lo, hi int) {
			o.dev.AdamaxStep(p.Data.Slice(lo, hi), p.Grad.Slice(lo, hi), m.Slice(lo, hi), u.Slice(lo, hi),
				lr, b1, b2, eps, wd, o.steps)
		})
	}
}

// ClipGradNorm scales the gradients of the trainable parameters of ps so that their global L2
// norm is at most maxNorm (as torch.nn.utils.clip_grad_norm_), and returns the norm before
// clipping. Row-sparse parameters contribute and are scaled on their Touched rows only. A
// non-finite norm is returned as is and the gradients are left alone, so the caller can skip
// the step. It downloads the norm; the training loop uses ClipGradNormOnDevice, which does not.
func ClipGradNorm[T kernels.Float](ps *Params[T], maxNorm float64) float64 {
	if ps.clipSS.IsNil() {
		ps.clipSS = ps.Dev.Alloc(1)
		ps.clipHost = make([]T, 1)
	}
	ps.Dev.Fill(ps.clipSS, 0)
	ClipGradNormOnDevice(ps, maxNorm, ps.clipSS)
	ps.Dev.Download(ps.clipHost, ps.clipSS)
	return math.Sqrt(float64(ps.clipHost[0]))
}

// ClipGradNormOnDevice is ClipGradNorm with the norm kept on the device: it adds the squared
// global norm to sumSquares[0] (zero it first) and clips from it, with no transfer to the host.
// The caller reads the norm later, with whatever else it downloads (the loss).
func ClipGradNormOnDevice[T kernels.Float](ps *Params[T], maxNorm float64, sumSquares kernels.Buf[T]) {
	for _, p := range ps.List() {
		if p.NeedsGrad {
			forRows(p, func(lo, hi int) { ps.Dev.SumSquaresAcc(sumSquares, p.Grad.Slice(lo, hi)) })
		}
	}
	for _, p := range ps.List() {
		if p.NeedsGrad {
			forRows(p, func(lo, hi int) { ps.Dev.ClipScale(p.Grad.Slice(lo, hi), sumSquares, T(maxNorm)) })
		}
	}
}
