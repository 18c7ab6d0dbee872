package translation

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// model is the attentional encoder-decoder (OpenNMT-py's RNN model):
//
//	source ids → embedding → dropout → bidirectional SRU/LSTM encoder (hidden/2 per direction)
//	target ids (BOS y) → embedding → dropout [→ concat previous attentional state: input feed]
//	  → SRU/LSTM decoder, started from the encoder's final state (directions side by side)
//	  → Luong general attention over the encoder states → tanh(W[c; h]) → dropout
//	  → output projection (the target embedding table when tied) → softmax
type model[T kernels.Float] struct {
	cfg            Config
	srcEmb, tgtEmb *nn.Param[T] // [V, E]
	enc, dec       nn.Encoder[T]
	attn           *nn.Attention[T]
	linOut         *nn.Param[T] // [2H, H], no bias (OpenNMT's linear_out for general attention)
	outW           *nn.Param[T] // [H, V]; nil when tied
	outB           *nn.Param[T] // [V]
	trainStep      nn.Stepper[T]
}

// newModel creates the parameters in ps: the embeddings, attention and output drawn from
// U(±0.1) (OpenNMT's param_init), the SRU or LSTM layers initialised as their official
// modules (the SRU's highway bias from the config).
func newModel[T kernels.Float](ps *nn.Params[T], cfg Config, vocab int, rng *rand.Rand) (*model[T], error) {
	m := &model[T]{cfg: cfg}
	m.srcEmb = ps.Add("encoder.embedding.weight", vocab, cfg.EmbeddingDim)
	m.srcEmb.RowSparse = true
	m.tgtEmb = ps.Add("decoder.embedding.weight", vocab, cfg.EmbeddingDim)
	m.tgtEmb.RowSparse = !cfg.TieEmbeddings
	var err error
	if m.enc, err = encoder.New(ps, "encoder.rnn.", encoder.Config{Kind: cfg.Model, SRU: cfg.encoderSRU(), LSTM: cfg.encoderLSTM()}, rng); err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	if m.dec, err = encoder.New(ps, "decoder.rnn.", encoder.Config{Kind: cfg.Model, SRU: cfg.decoderSRU(), LSTM: cfg.decoderLSTM()}, rng); err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	if m.attn, err = nn.NewAttention(ps, "decoder.attn.", nn.AttentionConfig{Kind: nn.AttentionGeneral,
		QueryDim: cfg.Hidden, MemoryDim: cfg.Hidden}, rng); err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	m.linOut = ps.Add("decoder.attn.linear_out.weight", 2*cfg.Hidden, cfg.Hidden)
	if !cfg.TieEmbeddings {
		m.outW = ps.Add("generator.weight", cfg.Hidden, vocab)
	}
	m.outB = ps.Add("generator.bias", vocab)
	if m.trainStep, err = m.dec.NewStepper(ps.Dev); err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	for _, p := range ps.List() {
		if strings.HasPrefix(p.Name, "encoder.rnn.") || strings.HasPrefix(p.Name, "decoder.rnn.") {
			continue // the recurrent layers keep their module's own initialisation
		}
		v := make([]T, p.Len())
		for i := range v {
			v[i] = T((rng.Float64()*2 - 1) * 0.1)
		}
		ps.Dev.Upload(p.Data, v)
	}
	return m, nil
}

// batch is a padded batch, time-major, built on the host.
type batch struct {
	B, Ls, Lt int
	src       []int32 // [Ls·B] source ids, -1 = padding (a zero embedding)
	srcLen    []int   // [B]
	srcLen32  []int32 // [B]
	tgtIn     []int32 // [Lt·B] BOS y, -1 = padding
	tgtOut    []int32 // [Lt·B] y EOS, PadID = padding (ignored by the loss)
	tokens    int     // target tokens with EOS
}

// makeBatch pads examples (source and target ids without BOS/EOS) into a batch. tgt may be
// nil (decoding only).
func makeBatch(src, tgt [][]int32) *batch {
	B := len(src)
	b := &batch{B: B, srcLen: make([]int, B), srcLen32: make([]int32, B)}
	for i, s := range src {
		b.Ls = max(b.Ls, len(s))
		b.srcLen[i], b.srcLen32[i] = len(s), int32(len(s))
		if tgt != nil {
			b.Lt = max(b.Lt, len(tgt[i])+1)
		}
	}
	b.src = make([]int32, b.Ls*B)
	for i := range b.src {
		b.src[i] = -1
	}
	for i, s := range src {
		for t, id := range s {
			b.src[t*B+i] = id
		}
	}
	if tgt == nil {
		return b
	}
	b.tgtIn, b.tgtOut = make([]int32, b.Lt*B), make([]int32, b.Lt*B)
	for i := range b.tgtIn {
		b.tgtIn[i], b.tgtOut[i] = -1, PadID
	}
	for i, y := range tgt {
		b.tgtIn[i] = BOSID
		for t, id := range y {
			b.tgtIn[(t+1)*B+i] = id
			b.tgtOut[t*B+i] = id
		}
		b.tgtOut[len(y)*B+i] = EOSID
		b.tokens += len(y) + 1
	}
	return b
}

// encoded is what the decoder reads: the encoder states and the decoder's initial state.
type encoded[T kernels.Float] struct {
	memory  *nn.Tensor[T] // [Ls, B, H]
	lengths kernels.Ints  // [B] on the device
	init    nn.RecurrentState[T]
}

// encode runs the encoder over the batch's sources.
func (m *model[T]) encode(g *nn.Graph[T], b *batch) encoded[T] {
	e := g.Reshape(g.Embedding(m.srcEmb, b.src), b.Ls, b.B, m.cfg.EmbeddingDim)
	e = g.Dropout(e, m.cfg.Dropout)
	out, final := m.enc.Encode(g, e, nn.PadMask(g, b.srcLen, b.Ls), nn.RecurrentState[T]{}, nil)
	return encoded[T]{memory: out, lengths: g.Ints(b.srcLen32), init: m.bridge(g, final)}
}

// bridge turns the encoder's final state into the decoder's initial state, as OpenNMT copies
// it: the two directions of each layer side by side. The SRU's state already has that form
// ([layers, B, 2·H/2]); the LSTM's [layers·2, B, H/2] is rearranged. With different layer
// counts the decoder starts from zeros.
func (m *model[T]) bridge(g *nn.Graph[T], final nn.RecurrentState[T]) nn.RecurrentState[T] {
	if m.cfg.EncoderLayers != m.cfg.DecoderLayers {
		return nn.RecurrentState[T]{}
	}
	if m.cfg.Model == "sru" {
		return nn.RecurrentState[T]{C: final.C}
	}
	fix := func(x *nn.Tensor[T]) *nn.Tensor[T] {
		L, B, half := m.cfg.EncoderLayers, x.Shape[1], x.Shape[2]
		rows := g.Reshape(x, L, 2*B*half) // layer l: [forward B×half, backward B×half]
		fw := g.Reshape(g.Slice(rows, 0, B*half), L*B, half)
		bw := g.Reshape(g.Slice(rows, B*half, 2*B*half), L*B, half)
		return g.Reshape(g.Concat(fw, bw), L, B, 2*half)
	}
	return nn.RecurrentState[T]{H: fix(final.H), C: fix(final.C)}
}

// attend returns the attentional state dropout(tanh(W[c; h])) of decoder outputs h [Lq, B, H].
func (m *model[T]) attend(g *nn.Graph[T], h *nn.Tensor[T], enc encoded[T]) *nn.Tensor[T] {
	ctx, _ := m.attn.ForwardMasked(g, h, enc.memory, enc.lengths, kernels.Buf[T]{})
	a := g.Tanh(g.MatMul(g.Concat(ctx, h), &m.linOut.Tensor, false, false))
	return g.Dropout(a, m.cfg.Dropout)
}

// logits projects attentional states [..., H] to the vocabulary.
func (m *model[T]) logits(g *nn.Graph[T], a *nn.Tensor[T]) *nn.Tensor[T] {
	if m.outW == nil {
		return g.AddBias(g.MatMul(a, &m.tgtEmb.Tensor, false, true), &m.outB.Tensor)
	}
	return g.Linear(a, &m.outW.Tensor, &m.outB.Tensor)
}

// decode returns the logits [Lt·B, V] of the teacher-forced target: without input feeding
// the decoder runs over the whole sequence in one Encode call (one GEMM and the fused
// recurrence per layer) and attention over all steps at once; with it, step by step on the
// tape.
func (m *model[T]) decode(g *nn.Graph[T], b *batch, enc encoded[T]) *nn.Tensor[T] {
	E, H := m.cfg.EmbeddingDim, m.cfg.Hidden
	var a *nn.Tensor[T]
	if !m.cfg.InputFeed {
		y := g.Dropout(g.Reshape(g.Embedding(m.tgtEmb, b.tgtIn), b.Lt, b.B, E), m.cfg.Dropout)
		h, _ := m.dec.Encode(g, y, kernels.Buf[T]{}, enc.init, nil)
		a = m.attend(g, h, enc)
	} else {
		st := m.trainStep
		st.Start(g, b.B, enc.init)
		prev := g.Zeros(b.B, H)
		steps := make([]*nn.Tensor[T], b.Lt)
		for t := range b.Lt {
			y := g.Dropout(g.Embedding(m.tgtEmb, b.tgtIn[t*b.B:(t+1)*b.B]), m.cfg.Dropout)
			h := st.Step(g, g.Concat(y, prev))
			steps[t] = m.attend(g, g.Reshape(h, 1, b.B, H), enc)
			prev = g.Reshape(steps[t], b.B, H)
		}
		a = g.ConcatTime(steps...)
	}
	return g.Reshape(m.logits(g, a), b.Lt*b.B, m.outB.Len())
}
