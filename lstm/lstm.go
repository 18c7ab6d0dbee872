// Package lstm is the LSTM baseline that SRU is measured against, with the semantics of
// PyTorch's nn.LSTM (gate order i, f, g, o; parameter names and init; packed-sequence padding;
// dropout between layers), on any kernels.Device.
//
// It is built for speed as carefully as SRU, so that the comparison is fair. Per layer and
// direction: one GEMM turns the whole input sequence into gate pre-activations (L·B rows), then
// every step is one GEMM for h_{t-1}·W_hhᵀ and one fused cell kernel. The backward runs the
// fused cell backward and one GEMM for dh_{t-1} per step, then one GEMM each for dW_hh, dW_ih
// and dx over all steps, and one row sum for the biases. Each layer is one op on the tape.
//
// Shapes: x is [L, B, InputSize] (time-major); y is [L, B, dirs·H] with the forward direction in
// the first H features; h0, c0, hn, cn are [layers·dirs, B, H], index layer·dirs + dir.
package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Config mirrors the constructor arguments of PyTorch's nn.LSTM (batch_first=False, bias=True,
// proj_size=0).
type Config struct {
	InputSize  int `toml:"input_size"`
	HiddenSize int `toml:"hidden_size"` // per direction
	NumLayers  int `toml:"num_layers"`
	// Dropout is plain (per-element) dropout on the output of every layer but the last, in
	// training only.
	Dropout       float64 `toml:"dropout"`
	Bidirectional bool    `toml:"bidirectional"`
	// ForgetBias, when not 0, starts the forget gate's bias at this value (b_ih = ForgetBias,
	// b_hh = 0 on the f rows) instead of PyTorch's random init: the forget-bias trick of
	// Gers et al. (2000) and Jozefowicz et al. (2015), an extension of nn.LSTM.
	ForgetBias float64 `toml:"forget_bias"`
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.InputSize <= 0:
		return fmt.Errorf("lstm: input_size must be positive, got %d", c.InputSize)
	case c.HiddenSize <= 0:
		return fmt.Errorf("lstm: hidden_size must be positive, got %d", c.HiddenSize)
	case c.NumLayers <= 0:
		return fmt.Errorf("lstm: num_layers must be positive, got %d", c.NumLayers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("lstm: dropout must be in [0, 1), got %g", c.Dropout)
	}
	return nil
}

// Dirs is 2 when bidirectional, else 1.
func (c Config) Dirs() int {
	if c.Bidirectional {
		return 2
	}
	return 1
}

// OutputSize is the width of y: hidden_size × directions.
func (c Config) OutputSize() int { return c.HiddenSize * c.Dirs() }

// LSTM is a stack of LSTM layers.
type LSTM[T kernels.Float] struct {
	Cfg    Config
	Layers []*Layer[T]
}

// Layer is one layer, both directions. Parameter names follow PyTorch:
// <prefix>{weight_ih, weight_hh, bias_ih, bias_hh}_l<i>[_reverse].
type Layer[T kernels.Float] struct {
	In, Hidden, Dirs int
	// Dropout applies to this layer's output (0 on the last layer).
	Dropout float64

	// Per direction: W_ih [4H, In], W_hh [4H, H], b_ih and b_hh [4H].
	WeightIH, WeightHH, BiasIH, BiasHH [2]*nn.Param[T]

	recs      nn.OpPool[layerOp[T]]
	noGradRec layerOp[T] // the record of a forward that records nothing
}

// New creates the module's parameters in ps (named with prefix, in PyTorch's order) and
// initialises them as nn.LSTM.reset_parameters does: every one U(−1/√H, 1/√H), drawn from rng.
func New[T kernels.Float](ps *nn.Params[T], prefix string, cfg Config, rng *rand.Rand) (*LSTM[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &LSTM[T]{Cfg: cfg}
	H := cfg.HiddenSize
	bound := 1 / math.Sqrt(float64(H))
	for i := 0; i < cfg.NumLayers; i++ {
		l := &Layer[T]{In: cfg.InputSize, Hidden: H, Dirs: cfg.Dirs()}
		if i > 0 {
			l.In = cfg.OutputSize()
		}
		if i+1 < cfg.NumLayers {
			l.Dropout = cfg.Dropout
		}
		for d := 0; d < l.Dirs; d++ {
			sfx := fmt.Sprintf("_l%d", i)
			if d == 1 {
				sfx += "_reverse"
			}
			l.WeightIH[d] = ps.Add(prefix+"weight_ih"+sfx, 4*H, l.In)
			l.WeightHH[d] = ps.Add(prefix+"weight_hh"+sfx, 4*H, H)
			l.BiasIH[d] = ps.Add(prefix+"bias_ih"+sfx, 4*H)
			l.BiasHH[d] = ps.Add(prefix+"bias_hh"+sfx, 4*H)
			for _, p := range []*nn.Param[T]{l.WeightIH[d], l.WeightHH[d], l.BiasIH[d], l.BiasHH[d]} {
				v := make([]T, p.Len())
				for j := range v {
					v[j] = T((rng.Float64()*2 - 1) * bound)
				}
				if cfg.ForgetBias != 0 && (p == l.BiasIH[d] || p == l.BiasHH[d]) {
					fb := T(cfg.ForgetBias)
					if p == l.BiasHH[d] {
						fb = 0
					}
					for j := H; j < 2*H; j++ { // gate order i, f, g, o
						v[j] = fb
					}
				}
				ps.Dev.Upload(p.Data, v)
			}
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// Forward runs the stack on x [L, B, InputSize]. h0 and c0 ([layers·dirs, B, H]) may be nil
// (zeros). pad ([L, B], 1 = padding, nil = none) marks the ends of right-padded sequences: there
// the state carries over and y is 0, so hn and cn are the states after each sequence's last real
// step and the reverse direction starts at that step, as with PyTorch packed sequences.
func (m *LSTM[T]) Forward(g *nn.Graph[T], x, h0, c0 *nn.Tensor[T], pad kernels.Buf[T]) (y, hn, cn *nn.Tensor[T]) {
	return m.ForwardLayers(g, x, h0, c0, pad, nil)
}

// ForwardLayers is Forward that also stores every layer's output [L, B, dirs·H] in layers when
// it is non-nil (one entry per layer; before the dropout that feeds the next layer).
func (m *LSTM[T]) ForwardLayers(g *nn.Graph[T], x, h0, c0 *nn.Tensor[T], pad kernels.Buf[T], layers []*nn.Tensor[T]) (y, hn, cn *nn.Tensor[T]) {
	cfg := m.Cfg
	if len(x.Shape) != 3 || x.Shape[2] != cfg.InputSize {
		panic(fmt.Sprintf("lstm: input %v, want [L, B, %d]", x.Shape, cfg.InputSize))
	}
	L, B := x.Shape[0], x.Shape[1]
	ns := cfg.NumLayers * cfg.Dirs()
	for _, s := range []*nn.Tensor[T]{h0, c0} {
		if s != nil && s.Len() != ns*B*cfg.HiddenSize {
			panic(fmt.Sprintf("lstm: initial state %v, want [%d, %d, %d]", s.Shape, ns, B, cfg.HiddenSize))
		}
	}
	if !pad.IsNil() && pad.Len() != L*B {
		panic(fmt.Sprintf("lstm: pad of %d elements, want L·B = %d", pad.Len(), L*B))
	}
	if layers != nil && len(layers) != len(m.Layers) {
		panic(fmt.Sprintf("lstm: %d slots for the outputs of %d layers", len(layers), len(m.Layers)))
	}
	hn = g.New(ns, B, cfg.HiddenSize)
	cn = g.New(ns, B, cfg.HiddenSize)
	y = x
	for i, l := range m.Layers {
		if i > 0 { // plain dropout, training only (nn.Graph.Dropout checks g.Training)
			y = g.Dropout(y, m.Layers[i-1].Dropout)
		}
		y = l.Forward(g, y, h0, c0, hn, cn, i, pad)
		if layers != nil {
			layers[i] = y
		}
	}
	// The last layer's output needs a gradient when anything upstream does.
	hn.NeedsGrad, cn.NeedsGrad = y.NeedsGrad, y.NeedsGrad
	return y, hn, cn
}

// Forward runs layer i on x [L, B, In]: its initial states are slices i·Dirs+d of h0 and c0
// (nil: zeros) and its final states go to the same slices of hn and cn.
func (l *Layer[T]) Forward(g *nn.Graph[T], x, h0, c0, hn, cn *nn.Tensor[T], i int, pad kernels.Buf[T]) *nn.Tensor[T] {
	L, B, H := x.Shape[0], x.Shape[1], l.Hidden
	if x.Cols() != l.In {
		panic(fmt.Sprintf("lstm: layer %d input %v, want width %d", i, x.Shape, l.In))
	}
	dev := g.Dev
	out := l.Dirs * H
	y := g.New(L, B, out)
	y.NeedsGrad = l.needsGrad(g, x, h0, c0)

	o := &l.noGradRec // nothing will read it back: no need to take a record from the pool
	if y.NeedsGrad {
		o = nn.Get(&l.recs, g)
	}
	*o = layerOp[T]{l: l, i: i, L: L, B: B, x: x, y: y, h0: h0, c0: c0, hn: hn, cn: cn, pad: pad}
	n := L * B
	for d := 0; d < l.Dirs; d++ {
		// All input projections at once; the cell adds the biases.
		gates := g.Scratch(n * 4 * H)
		dev.Gemm(false, true, n, 4*H, l.In, 1, x.Data, l.In, l.WeightIH[d].Data, l.In, 0, gates, 4*H)
		o.gates[d] = gates
		o.bias[d] = g.Scratch(4 * H)
		dev.Add(o.bias[d], l.BiasIH[d].Data, l.BiasHH[d].Data)
		o.hs[d], o.cs[d] = g.Scratch((L+1)*B*H), g.Scratch((L+1)*B*H)
		o.initState(dev, o.hs[d], h0, d)
		o.initState(dev, o.cs[d], c0, d)
	}
	for s := 0; s < L; s++ {
		for d := 0; d < l.Dirs; d++ {
			t := o.time(s, d)
			gt := o.gates[d].Slice(t*B*4*H, (t+1)*B*4*H)
			hPrev, cPrev := o.slot(o.hs[d], t+d), o.slot(o.cs[d], t+d)
			if s > 0 || h0 != nil { // h_prev = 0 adds nothing
				dev.Gemm(false, true, B, 4*H, H, 1, hPrev, H, l.WeightHH[d].Data, H, 1, gt, 4*H)
			}
			c, h := o.slot(o.cs[d], t+1-d), o.slot(o.hs[d], t+1-d)
			dev.LSTMCellForward(B, H, gt, o.bias[d], cPrev, hPrev, c, h, o.yRows(y.Data, t, d), out, o.padRows(t))
		}
	}
	for d := 0; d < l.Dirs; d++ {
		k := i*l.Dirs + d
		dev.Copy(o.slot(hn.Data, k), o.slot(o.hs[d], (1-d)*L))
		dev.Copy(o.slot(cn.Data, k), o.slot(o.cs[d], (1-d)*L))
	}
	if y.NeedsGrad {
		g.Record(o)
	}
	return y
}

// needsGrad reports whether the layer's outputs need a gradient.
func (l *Layer[T]) needsGrad(g *nn.Graph[T], x, h0, c0 *nn.Tensor[T]) bool {
	if g.NoGrad {
		return false
	}
	if x.NeedsGrad || (h0 != nil && h0.NeedsGrad) || (c0 != nil && c0.NeedsGrad) {
		return true
	}
	for d := 0; d < l.Dirs; d++ {
		if l.WeightIH[d].NeedsGrad || l.WeightHH[d].NeedsGrad || l.BiasIH[d].NeedsGrad || l.BiasHH[d].NeedsGrad {
			return true
		}
	}
	return false
}

// layerOp is the tape record of one layer, both directions. The states of direction d are kept
// by time in [L+1] slots of [B, H]: the state entering step t is slot t+d and the one leaving
// it is slot t+1−d, so the forward direction starts at slot 0 and the reverse at slot L, and
// slots d … d+L−1 are h_prev of every step in time order, ready for one dW_hh GEMM.
type layerOp[T kernels.Float] struct {
	l                    *Layer[T]
	i, L, B              int
	x, y, h0, c0, hn, cn *nn.Tensor[T]
	pad                  kernels.Buf[T]
	gates                [2]kernels.Buf[T] // [L·B, 4H] activated gates; the backward turns them into dgates
	hs, cs               [2]kernels.Buf[T] // [L+1, B, H] states by time, see above
	bias                 [2]kernels.Buf[T] // [4H] b_ih + b_hh, then the bias gradient
}

// time is the time index of processing step s in direction d.
func (o *layerOp[T]) time(s, d int) int {
	if d == 1 {
		return o.L - 1 - s
	}
	return s
}

// slot is slot k of a buffer of [B, H] blocks.
func (o *layerOp[T]) slot(b kernels.Buf[T], k int) kernels.Buf[T] {
	n := o.B * o.l.Hidden
	return b.Slice(k*n, (k+1)*n)
}

// initState puts direction d's slice of s0 (nil: zeros) in the slot where it starts.
func (o *layerOp[T]) initState(dev kernels.Device[T], states kernels.Buf[T], s0 *nn.Tensor[T], d int) {
	dst := o.slot(states, d*o.L)
	if s0 == nil {
		dev.Fill(dst, 0)
		return
	}
	dev.Copy(dst, o.slot(s0.Data, o.i*o.l.Dirs+d))
}

// yRows is direction d's [B, H] block of step t of a [L, B, Dirs·H] buffer (nil stays nil).
func (o *layerOp[T]) yRows(y kernels.Buf[T], t, d int) kernels.Buf[T] {
	if y.IsNil() {
		return y
	}
	H, out := o.l.Hidden, o.l.Dirs*o.l.Hidden
	start := t*o.B*out + d*H
	return y.Slice(start, start+(o.B-1)*out+H)
}

// padRows is the [B] row of pad at step t.
func (o *layerOp[T]) padRows(t int) kernels.Buf[T] {
	if o.pad.IsNil() {
		return o.pad
	}
	return o.pad.Slice(t*o.B, (t+1)*o.B)
}

func (o *layerOp[T]) Backward(g *nn.Graph[T]) {
	dy, dhn, dcn := o.y.Grad, o.hn.Grad, o.cn.Grad
	if dy.IsNil() && dhn.IsNil() && dcn.IsNil() {
		return
	}
	dev := g.Dev
	l := o.l
	L, B, H, out := o.L, o.B, l.Hidden, l.Dirs*l.Hidden
	var dh, dc [2]kernels.Buf[T]
	for d := 0; d < l.Dirs; d++ {
		k := o.i*l.Dirs + d
		dh[d], dc[d] = g.Scratch(B*H), g.Scratch(B*H)
		o.initGrad(dev, dh[d], dhn, k)
		o.initGrad(dev, dc[d], dcn, k)
	}
	h0Grad := o.h0 != nil && o.h0.NeedsGrad
	// The reverse recurrence, in place: dgates overwrite the gates, dh and dc hold the
	// gradient reaching the state between steps.
	for s := L - 1; s >= 0; s-- {
		for d := 0; d < l.Dirs; d++ {
			t := o.time(s, d)
			gt := o.gates[d].Slice(t*B*4*H, (t+1)*B*4*H)
			dev.LSTMCellBackward(B, H, gt, dc[d], dh[d], gt, o.slot(o.cs[d], t+d), o.slot(o.cs[d], t+1-d),
				o.yRows(dy, t, d), out, dh[d], dc[d], o.padRows(t))
			if s > 0 || h0Grad {
				dev.Gemm(false, false, B, H, 4*H, 1, gt, 4*H, l.WeightHH[d].Data, H, 1, dh[d], H)
			}
		}
	}
	n := L * B
	dx, xFresh := kernels.Buf[T]{}, false
	if o.x.NeedsGrad {
		dx, xFresh = g.GradInit(o.x)
	}
	for d := 0; d < l.Dirs; d++ {
		k := o.i*l.Dirs + d
		if h0Grad {
			dev.Axpy(o.slot(g.Grad(o.h0), k), 1, dh[d])
		}
		if o.c0 != nil && o.c0.NeedsGrad {
			dev.Axpy(o.slot(g.Grad(o.c0), k), 1, dc[d])
		}
		dg := o.gates[d]
		if p := l.WeightHH[d]; p.NeedsGrad { // Σ_t dgates_tᵀ·h_{t-1}
			dev.Gemm(true, false, 4*H, H, n, 1, dg, 4*H, o.hs[d].Slice(d*B*H, (d+L)*B*H), H, 1,
				g.Grad(&p.Tensor), H)
		}
		if p := l.WeightIH[d]; p.NeedsGrad {
			dev.Gemm(true, false, 4*H, l.In, n, 1, dg, 4*H, o.x.Data, l.In, 1, g.Grad(&p.Tensor), l.In)
		}
		if !dx.IsNil() {
			beta := T(1)
			if xFresh && d == 0 {
				beta = 0
			}
			dev.Gemm(false, false, n, l.In, 4*H, 1, dg, 4*H, l.WeightIH[d].Data, l.In, beta, dx, l.In)
		}
		bi, bh := l.BiasIH[d], l.BiasHH[d]
		if bi.NeedsGrad || bh.NeedsGrad { // both biases get the same gradient: sum the rows once
			db := o.bias[d]
			dev.Fill(db, 0)
			dev.SumRows(db, dg)
			if bi.NeedsGrad {
				dev.Axpy(g.Grad(&bi.Tensor), 1, db)
			}
			if bh.NeedsGrad {
				dev.Axpy(g.Grad(&bh.Tensor), 1, db)
			}
		}
	}
}

// initGrad starts a state gradient from slice k of the final-state gradient (nil: zero).
func (o *layerOp[T]) initGrad(dev kernels.Device[T], dst, final kernels.Buf[T], k int) {
	if final.IsNil() {
		dev.Fill(dst, 0)
		return
	}
	dev.Copy(dst, o.slot(final, k))
}
