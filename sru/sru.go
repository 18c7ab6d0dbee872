package sru

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// SRU is a stack of SRU layers.
type SRU[T kernels.Float] struct {
	Cfg    Config
	Layers []*Layer[T]
}

// Layer is one SRU layer (the official SRUCell). Parameter names follow the official module:
// <prefix>rnn_lst.<i>.{weight, weight_proj, weight_c, bias, layer_norm.weight, layer_norm.bias}.
type Layer[T kernels.Float] struct {
	In, Hidden, Dirs, Out int
	K                     int // weight blocks per column: 4 when the skip term needs its own
	Proj                  int // projection width, 0 for none
	Alpha                 T   // scale_x, used on the raw input when K = 3
	Dropout, RNNDropout   float64
	Tanh, Skip, V1        bool
	NormalizeAfter        bool

	Weight     *nn.Param[T] // [In or Proj, Out·K]
	WeightProj *nn.Param[T] // [In, Proj] or nil
	WeightC    *nn.Param[T] // [2·Out] (frozen zero in v1)
	Bias       *nn.Param[T] // [2·Out]
	LNWeight   *nn.Param[T] // layer norm gain, nil without layer norm
	LNBias     *nn.Param[T]

	recs      nn.OpPool[recurrenceOp[T]]
	noGradRec recurrenceOp[T] // the record of a forward that records nothing
}

// New creates the module's parameters in ps (named with prefix) and initialises them as the
// official reset_parameters does, drawing from rng.
func New[T kernels.Float](ps *nn.Params[T], prefix string, cfg Config, rng *rand.Rand) (*SRU[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &SRU[T]{Cfg: cfg}
	out := cfg.OutputSize()
	for i := 0; i < cfg.NumLayers; i++ {
		in := out
		if i == 0 {
			in = cfg.InputSize
		}
		l := &Layer[T]{
			In: in, Hidden: cfg.HiddenSize, Dirs: cfg.Dirs(), Out: out, K: 3,
			Alpha: T(cfg.Alpha()), Tanh: cfg.UseTanh, Skip: cfg.HasSkipTerm, V1: cfg.V1,
			NormalizeAfter: cfg.LayerNorm && cfg.NormalizeAfter,
		}
		if i+1 < cfg.NumLayers || cfg.DropoutTop {
			l.Dropout = cfg.Dropout
		}
		if i > 0 || !cfg.KeepFirstInput {
			l.RNNDropout = cfg.RNNDropout
		}
		if l.Skip && in != out {
			l.K = 4
		}
		if p := cfg.ProjectionSize; p > 0 && p < in && p < out {
			l.Proj = p
		}
		name := fmt.Sprintf("%srnn_lst.%d.", prefix, i)
		wIn := in
		if l.Proj > 0 {
			l.WeightProj = ps.Add(name+"weight_proj", in, l.Proj)
			wIn = l.Proj
		}
		l.Weight = ps.Add(name+"weight", wIn, out*l.K)
		l.WeightC = ps.Add(name+"weight_c", 2*out)
		l.Bias = ps.Add(name+"bias", 2*out)
		if cfg.LayerNorm {
			w := in
			if l.NormalizeAfter {
				w = out
			}
			l.LNWeight = ps.Add(name+"layer_norm.weight", w)
			l.LNBias = ps.Add(name+"layer_norm.bias", w)
		}
		l.reset(ps.Dev, cfg, rng)
		s.Layers = append(s.Layers, l)
	}
	return s, nil
}

// reset initialises the layer as the official SRUCell.reset_parameters.
func (l *Layer[T]) reset(dev kernels.Device[T], cfg Config, rng *rand.Rand) {
	uniform := func(n int, r float64) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T((rng.Float64()*2 - 1) * r)
		}
		return v
	}
	w := uniform(l.Weight.Len(), math.Sqrt(3/float64(l.Weight.Shape[0])))
	if l.WeightProj != nil {
		dev.Upload(l.WeightProj.Data, uniform(l.WeightProj.Len(), math.Sqrt(3/float64(l.In))))
	}
	// scale(m, s) multiplies block m of every column (m < 0: all blocks) by s.
	scale := func(m int, s float64) {
		for i := range w {
			if m < 0 || i%l.K == m {
				w[i] *= T(s)
			}
		}
	}
	if l.Dropout > 0 {
		scale(0, math.Sqrt(1-l.Dropout))
	}
	if l.RNNDropout > 0 {
		scale(-1, math.Sqrt(1-l.RNNDropout))
	}
	if l.LNWeight != nil {
		scale(-1, 0.1)
	}
	if cfg.Rescale && l.Skip && l.K == 4 { // a Python float there, not the float32 buffer
		scale(3, math.Sqrt(1+2*math.Exp(cfg.HighwayBias)))
	}
	var wc []T
	if l.V1 {
		wc = make([]T, l.WeightC.Len())
		l.WeightC.NeedsGrad = false
	} else {
		wc = uniform(l.WeightC.Len(), math.Sqrt(3))
		for i := range wc {
			wc[i] *= T(math.Sqrt(0.5))
		}
		scale(1, math.Sqrt(0.5))
		scale(2, math.Sqrt(0.5))
	}
	dev.Upload(l.Weight.Data, w)
	dev.Upload(l.WeightC.Data, wc)
	bias := make([]T, l.Bias.Len())
	for i := range bias {
		if i < l.Out {
			bias[i] = T(cfg.ForgetBias)
		} else {
			bias[i] = T(cfg.HighwayBias)
		}
	}
	dev.Upload(l.Bias.Data, bias)
	if l.LNWeight != nil {
		dev.Fill(l.LNWeight.Data, 1)
		dev.Fill(l.LNBias.Data, 0)
	}
}

// Forward runs the stack on x [L, B, InputSize]. c0 ([layers, B, out]) and pad ([L, B], 1 =
// padding) may be nil. It returns h [L, B, out] of the last layer and the final cell state of
// every layer, c [layers, B, out].
func (s *SRU[T]) Forward(g *nn.Graph[T], x, c0 *nn.Tensor[T], pad kernels.Buf[T]) (h, c *nn.Tensor[T]) {
	return s.ForwardLayers(g, x, c0, pad, nil)
}

// ForwardLayers is Forward that also stores every layer's output [L, B, out] in layers when it
// is non-nil (one entry per layer).
func (s *SRU[T]) ForwardLayers(g *nn.Graph[T], x, c0 *nn.Tensor[T], pad kernels.Buf[T], layers []*nn.Tensor[T]) (h, c *nn.Tensor[T]) {
	L, B := x.Shape[0], x.Shape[1]
	out := s.Cfg.OutputSize()
	if len(x.Shape) != 3 || x.Shape[2] != s.Cfg.InputSize {
		panic(fmt.Sprintf("sru: input %v, want [L, B, %d]", x.Shape, s.Cfg.InputSize))
	}
	if c0 != nil && c0.Len() != len(s.Layers)*B*out {
		panic(fmt.Sprintf("sru: c0 %v, want [%d, %d, %d]", c0.Shape, len(s.Layers), B, out))
	}
	if !pad.IsNil() && pad.Len() != L*B {
		panic(fmt.Sprintf("sru: pad of %d elements, want L·B = %d", pad.Len(), L*B))
	}
	if layers != nil && len(layers) != len(s.Layers) {
		panic(fmt.Sprintf("sru: %d slots for the outputs of %d layers", len(layers), len(s.Layers)))
	}
	c = g.New(len(s.Layers), B, out)
	h = x
	for i, l := range s.Layers {
		h = l.Forward(g, h, c0, c, i, pad)
		if layers != nil {
			layers[i] = h
		}
	}
	if h.NeedsGrad {
		c.NeedsGrad = true
	}
	return h, c
}

// Forward runs one layer on x [L, B, In]. The layer's initial state is slice i of c0 (nil:
// zeros) and its final state goes to slice i of cOut. In training it draws the layer's
// variational dropout masks (input, then h).
func (l *Layer[T]) Forward(g *nn.Graph[T], x, c0, cOut *nn.Tensor[T], i int, pad kernels.Buf[T]) *nn.Tensor[T] {
	B := x.Shape[1]
	inMask := nn.DropoutMask(g, B*l.In, l.RNNDropout)
	hMask := nn.DropoutMask(g, B*l.Out, l.Dropout)
	return l.forward(g, x, c0, cOut, i, pad, inMask, hMask)
}

// forward is Forward with the dropout masks given: inMask [B, In] on the layer's input, hMask
// [B, Out] on h (nil: none).
func (l *Layer[T]) forward(g *nn.Graph[T], x, c0, cOut *nn.Tensor[T], i int, pad, inMask, hMask kernels.Buf[T]) *nn.Tensor[T] {
	L, B := x.Shape[0], x.Shape[1]
	in := x
	if l.LNWeight != nil && !l.NormalizeAfter {
		in = g.LayerNorm(in, &l.LNWeight.Tensor, &l.LNBias.Tensor, 1e-5)
	}
	in = g.DropoutWithMask(in, inMask)
	if l.WeightProj != nil {
		in = g.MatMul(in, &l.WeightProj.Tensor, false, false)
	}
	u := g.MatMul(in, &l.Weight.Tensor, false, false) // [L·B, Out·K]

	h := g.Result([]int{L, B, l.Out}, u, x, c0, &l.WeightC.Tensor, &l.Bias.Tensor)
	r := &l.noGradRec // nothing will read it back: no need to take a record from the pool
	if !g.NoGrad {
		r = nn.Get(&l.recs, g)
	}
	*r = recurrenceOp[T]{layer: l, u: u, x: x, c0: c0, cOut: cOut, h: h, i: i}
	a := &r.args
	*a = kernels.SRUArgs[T]{
		L: L, B: B, H: l.Hidden, Dirs: l.Dirs, K: l.K, Tanh: l.Tanh, Skip: l.Skip, Alpha: l.Alpha,
		U: u.Data, WeightC: l.WeightC.Data, Bias: l.Bias.Data, Pad: pad, Mask: hMask,
		Y: h.Data, C: g.Scratch(L * B * l.Out), CLast: r.stateSlice(cOut.Data),
	}
	if l.K == 3 && l.Skip {
		a.X = x.Data
	}
	if c0 != nil {
		a.C0 = r.stateSlice(c0.Data)
	}
	if h.NeedsGrad { // keep the gates for the backward
		a.F, a.R = g.Scratch(L*B*l.Out), g.Scratch(L*B*l.Out)
	}
	g.Dev.SRUForward(a)
	if h.NeedsGrad {
		g.Record(r)
	}
	if l.NormalizeAfter {
		h = g.LayerNorm(h, &l.LNWeight.Tensor, &l.LNBias.Tensor, 1e-5)
	}
	return h
}

// recurrenceOp is the tape record of one layer's fused recurrence.
type recurrenceOp[T kernels.Float] struct {
	layer          *Layer[T]
	u, x, c0, cOut *nn.Tensor[T]
	h              *nn.Tensor[T]
	i              int // the layer's slice of c0 and cOut
	args           kernels.SRUArgs[T]
	grads          kernels.SRUGrads[T]
}

// stateSlice is this layer's [B, Out] slice of a [layers, B, Out] state buffer.
func (r *recurrenceOp[T]) stateSlice(b kernels.Buf[T]) kernels.Buf[T] {
	n := b.Len() / r.cOut.Shape[0]
	return b.Slice(r.i*n, (r.i+1)*n)
}

func (r *recurrenceOp[T]) Backward(g *nn.Graph[T]) {
	dy := r.h.Grad
	if dy.IsNil() && r.cOut.Grad.IsNil() {
		return
	}
	a := &r.args
	n := a.L * a.B * r.layer.Out
	if dy.IsNil() {
		dy = g.Scratch(n)
		g.Dev.Fill(dy, 0)
	}
	gr := &r.grads
	*gr = kernels.SRUGrads[T]{GY: dy, GBias: g.Grad(&r.layer.Bias.Tensor)}
	if !r.cOut.Grad.IsNil() {
		gr.GCLast = r.stateSlice(r.cOut.Grad)
	}
	if r.layer.WeightC.NeedsGrad {
		gr.GWeightC = g.Grad(&r.layer.WeightC.Tensor)
	}
	// GU is written in full by the kernel; U has no other consumer, so its gradient is fresh.
	gu, fresh := g.GradInit(r.u)
	if !fresh {
		gu = g.Scratch(r.u.Len())
	}
	gr.GU = gu
	var gx kernels.Buf[T]
	xFresh := false
	if a.K == 3 && a.Skip && r.x.NeedsGrad {
		gx, xFresh = g.GradInit(r.x)
		if !xFresh {
			gx = g.Scratch(n)
		}
		gr.GX = gx
	} else if a.K == 3 && a.Skip {
		gr.GX = g.Scratch(n)
	}
	if r.c0 != nil && r.c0.NeedsGrad {
		gr.GC0 = g.Scratch(a.B * r.layer.Out)
	}
	g.Dev.SRUBackward(a, gr)
	if !fresh {
		g.Dev.Axpy(g.Grad(r.u), 1, gu)
	}
	if !gx.IsNil() && !xFresh {
		g.Dev.Axpy(g.Grad(r.x), 1, gx)
	}
	if !gr.GC0.IsNil() {
		g.Dev.Axpy(r.stateSlice(g.Grad(r.c0)), 1, gr.GC0)
	}
}
