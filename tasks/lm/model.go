package lm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// model is the official language model: embedding → dropout → SRU or LSTM → dropout → linear
// to the vocabulary (its weight the embedding table when tied) → softmax.
type model[T kernels.Float] struct {
	cfg  Config
	emb  *nn.Param[T]  // [V, D]
	outW *nn.Param[T]  // [H, V]; nil when tied
	outB *nn.Param[T]  // [V]
	rnn  nn.Encoder[T] // the SRU or LSTM

	scales nn.OpPool[gradScaleOp[T]]
}

// newModel creates the parameters in ps and initialises them as train_lm.py's init_weights:
// every matrix U(±√(3/d)) with d its input width, every vector 0 (layer-norm gains 1), then
// the SRU's highway bias.
func newModel[T kernels.Float](ps *nn.Params[T], cfg Config, vocab int, rng *rand.Rand) (*model[T], error) {
	m := &model[T]{cfg: cfg}
	m.emb = ps.Add("embedding.weight", vocab, cfg.EmbeddingDim)
	// Tied, the softmax sends gradient to every row: the table must be updated densely.
	m.emb.RowSparse = !cfg.TieWeights
	dev := ps.Dev
	rnn, err := encoder.New(ps, "rnn.", encoder.Config{Kind: cfg.Model, SRU: cfg.sruConfig(), LSTM: cfg.lstmConfig()}, rng)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	m.rnn = rnn
	_, lstmLayout := rnn.(*lstm.LSTM[T]) // PyTorch's [out, in] weights
	if !cfg.TieWeights {
		m.outW = ps.Add("output.weight", cfg.Hidden, vocab)
	}
	m.outB = ps.Add("output.bias", vocab)

	for _, p := range ps.List() {
		v := make([]T, p.Len())
		if len(p.Shape) == 2 {
			// The input width of the matrix: the columns of the table and of PyTorch's [out, in]
			// LSTM weights, the rows of the SRU's [in, out·K] and the output's [H, V].
			fan := p.Shape[0]
			if p == m.emb || lstmLayout && strings.HasPrefix(p.Name, "rnn.") {
				fan = p.Shape[1]
			}
			r := math.Sqrt(3 / float64(fan))
			for i := range v {
				v[i] = T((rng.Float64()*2 - 1) * r)
			}
		} else if strings.HasSuffix(p.Name, "layer_norm.weight") { // a gain, not a bias
			for i := range v {
				v[i] = 1
			}
		}
		dev.Upload(p.Data, v)
	}
	if s, ok := rnn.(*sru.SRU[T]); ok { // set_bias: the highway gate's half of every layer's bias
		for _, l := range s.Layers {
			b := make([]T, l.Bias.Len())
			for i := l.Out; i < len(b); i++ {
				b[i] = T(cfg.SRU.HighwayBias)
			}
			dev.Upload(l.Bias.Data, b)
		}
	}
	return m, nil
}

// forward returns the logits [L, B, V] of the window x ([L, B] ids, time-major) starting from
// the carried state st, and moves st on to the state after the window.
func (m *model[T]) forward(g *nn.Graph[T], x []int32, L, B int, st *carry[T]) *nn.Tensor[T] {
	e := g.Embedding(m.emb, x)
	e = g.Reshape(e, L, B, m.cfg.EmbeddingDim)
	e = g.Dropout(e, m.cfg.Dropout)
	h := m.recurrent(g, e, st)
	h = g.Dropout(h, m.cfg.Dropout)
	return m.output(g, h)
}

// recurrent runs the SRU or LSTM stack on e [L, B, D] from the carried state.
func (m *model[T]) recurrent(g *nn.Graph[T], e *nn.Tensor[T], st *carry[T]) *nn.Tensor[T] {
	init := nn.RecurrentState[T]{C: st.state(st.parts - 1)}
	if st.parts == 2 {
		init.H = st.state(0)
	}
	y, final := m.rnn.Encode(g, e, kernels.Buf[T]{}, init, nil)
	if st.parts == 2 {
		st.advance(g.Dev, final.H, final.C)
	} else {
		st.advance(g.Dev, final.C)
	}
	return y
}

// output is the softmax layer's logits h·W + b, with W the transposed embedding table when
// tied.
func (m *model[T]) output(g *nn.Graph[T], h *nn.Tensor[T]) *nn.Tensor[T] {
	if m.outW == nil {
		return g.AddBias(g.MatMul(h, &m.emb.Tensor, false, true), &m.outB.Tensor)
	}
	return g.Linear(h, &m.outW.Tensor, &m.outB.Tensor)
}

// scaleGrad returns a copy of the scalar x whose gradient reaches x multiplied by s: the
// logged value stays the per-token mean while the update is that of the scaled loss.
func (m *model[T]) scaleGrad(g *nn.Graph[T], x *nn.Tensor[T], s float64) *nn.Tensor[T] {
	out := g.Result(x.Shape, x)
	g.Dev.Copy(out.Data, x.Data)
	if out.NeedsGrad {
		op := nn.Get(&m.scales, g)
		*op = gradScaleOp[T]{in: x, out: out, s: T(s)}
		g.Record(op)
	}
	return out
}

type gradScaleOp[T kernels.Float] struct {
	in, out *nn.Tensor[T]
	s       T
}

func (o *gradScaleOp[T]) Backward(g *nn.Graph[T]) {
	if !o.out.Grad.IsNil() {
		g.Dev.Axpy(g.Grad(o.in), o.s, o.out.Grad)
	}
}

// carry is the recurrent state carried from one window to the next, detached: the SRU's c of
// every layer, or the LSTM's h and c, each [layers, B, width]. It is double-buffered because
// the tape of a window reads its initial state in the backward, after the window's final state
// has been saved for the next one.
type carry[T kernels.Float] struct {
	parts int // 1 (SRU: c) or 2 (LSTM: h, c)
	shape []int
	bufs  [2][2]kernels.Buf[T] // [part][buffer]
	views [2][2]nn.Tensor[T]
	cur   int
	// next is the training window the state leads into (checked so that a resume or a
	// misordered call cannot silently pair a window with the wrong state).
	next int
}

func newCarry[T kernels.Float](dev kernels.Device[T], parts, layers, B, width int) *carry[T] {
	c := &carry[T]{parts: parts, shape: []int{layers, B, width}}
	for p := 0; p < parts; p++ {
		for k := 0; k < 2; k++ {
			c.bufs[p][k] = dev.Alloc(layers * B * width)
			c.views[p][k] = nn.Tensor[T]{Data: c.bufs[p][k], Shape: c.shape}
		}
	}
	return c
}

func (m *model[T]) newCarry(dev kernels.Device[T], B int) *carry[T] {
	shape, hasH := m.rnn.StateShape(B)
	parts := 1
	if hasH {
		parts = 2
	}
	return newCarry(dev, parts, shape[0], B, shape[2])
}

// state is the current value of part p, a tensor that needs no gradient.
func (c *carry[T]) state(p int) *nn.Tensor[T] { return &c.views[p][c.cur] }

// advance stores the final states of a window (one per part) as the current state.
func (c *carry[T]) advance(dev kernels.Device[T], finals ...*nn.Tensor[T]) {
	for p, f := range finals {
		dev.Copy(c.bufs[p][1-c.cur], f.Data)
	}
	c.cur = 1 - c.cur
	c.next++
}

// reset zeroes the state (the start of an epoch or of an evaluation).
func (c *carry[T]) reset(dev kernels.Device[T]) {
	for p := 0; p < c.parts; p++ {
		dev.Fill(c.bufs[p][c.cur], 0)
	}
	c.next = 0
}

// marshal encodes the next window, the shape and the current state (as float64, exact for
// both precisions).
func (c *carry[T]) marshal(dev kernels.Device[T]) []byte {
	n := c.bufs[0][0].Len()
	out := binary.LittleEndian.AppendUint64(nil, uint64(c.next))
	for _, s := range c.shape {
		out = binary.LittleEndian.AppendUint64(out, uint64(s))
	}
	out = binary.LittleEndian.AppendUint64(out, uint64(c.parts))
	host := make([]T, n)
	for p := 0; p < c.parts; p++ {
		dev.Download(host, c.bufs[p][c.cur])
		for _, v := range host {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(float64(v)))
		}
	}
	return out
}

func (c *carry[T]) unmarshal(dev kernels.Device[T], b []byte) error {
	n := c.bufs[0][0].Len()
	if len(b) != 8*(5+c.parts*n) {
		return fmt.Errorf("lm: saved recurrent state of %d bytes, want %d", len(b), 8*(5+c.parts*n))
	}
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	shape := []int{int(word(1)), int(word(2)), int(word(3))}
	if fmt.Sprint(shape) != fmt.Sprint(c.shape) || int(word(4)) != c.parts {
		return fmt.Errorf("lm: saved recurrent state is %d×%v, the model's %d×%v", word(4), shape, c.parts, c.shape)
	}
	c.next = int(word(0))
	host := make([]T, n)
	for p := 0; p < c.parts; p++ {
		for i := range host {
			host[i] = T(math.Float64frombits(word(5 + p*n + i)))
		}
		dev.Upload(c.bufs[p][c.cur], host)
	}
	return nil
}
