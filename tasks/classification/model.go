package classification

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// model is the official classifier: embedding → dropout → encoder → dropout → linear.
// Parameter names follow train_classifier.py's Model.
type model[T kernels.Float] struct {
	readout string
	dropout float64
	emb     *nn.Param[T]   // [V, D]
	rnn     nn.Encoder[T]  // the SRU or LSTM; nil for the CNN
	convW   []*nn.Param[T] // [w·D, maps] per width
	convB   []*nn.Param[T]
	outW    *nn.Param[T] // [features, classes]
	outB    *nn.Param[T]
	pooled  []*nn.Tensor[T] // scratch for the CNN's Concat
}

// newModel creates the parameters in ps. table is the initial embedding table [V·D] (row-major).
func newModel[T kernels.Float](ps *nn.Params[T], cfg Config, table []T, fixed bool, classes int, rng *rand.Rand) (*model[T], error) {
	D := cfg.EmbeddingDim
	m := &model[T]{readout: cfg.Readout, dropout: cfg.Dropout}
	m.emb = ps.Add("emb_layer.embedding.weight", len(table)/D, D)
	ps.Dev.Upload(m.emb.Data, table)
	// Row-sparse even when frozen: ZeroGrad then skips the (untouched) table instead of
	// clearing all of it every step.
	m.emb.RowSparse = true
	m.emb.NeedsGrad = !fixed
	var features int
	switch cfg.Model {
	case "cnn":
		// PyTorch's Conv2d default: U(±1/√fan_in) for weights and biases, fan_in = w·D.
		for i, w := range cfg.CNNWidths {
			W := ps.Add(fmt.Sprintf("encoder.convs1.%d.weight", i), w*D, cfg.CNNMaps)
			b := ps.Add(fmt.Sprintf("encoder.convs1.%d.bias", i), cfg.CNNMaps)
			bound := 1 / math.Sqrt(float64(w*D))
			uniform(ps.Dev, W, bound, rng)
			uniform(ps.Dev, b, bound, rng)
			m.convW, m.convB = append(m.convW, W), append(m.convB, b)
		}
		features = len(cfg.CNNWidths) * cfg.CNNMaps
		m.pooled = make([]*nn.Tensor[T], len(cfg.CNNWidths))
	default:
		enc, err := encoder.New(ps, "encoder.", encoder.Config{Kind: cfg.Model, SRU: cfg.sruConfig(), LSTM: cfg.lstmConfig()}, rng)
		if err != nil {
			return nil, fmt.Errorf("classification: %w", err)
		}
		m.rnn, features = enc, enc.OutputSize()
	}
	// nn.Linear's default init: U(±1/√in).
	m.outW = ps.Add("out.weight", features, classes)
	m.outB = ps.Add("out.bias", classes)
	bound := 1 / math.Sqrt(float64(features))
	uniform(ps.Dev, m.outW, bound, rng)
	uniform(ps.Dev, m.outB, bound, rng)
	return m, nil
}

func uniform[T kernels.Float](dev kernels.Device[T], p *nn.Param[T], bound float64, rng *rand.Rand) {
	v := make([]T, p.Len())
	for i := range v {
		v[i] = T((rng.Float64()*2 - 1) * bound)
	}
	dev.Upload(p.Data, v)
}

// forward returns the logits [B, classes] of a batch.
//
// The official model pads on the left and reads the RNN's output at the last time step; here
// sentences are right-padded and the encoders skip the padding (pad mask), so the output at
// each sentence's own last step is the same quantity without the pad tokens' influence. The
// CNN sees zero vectors outside the sentence and takes the max over real steps only.
func (m *model[T]) forward(g *nn.Graph[T], b *batch[T]) *nn.Tensor[T] {
	return m.classify(g, m.encode(g, m.embed(g, b), b))
}

// embed returns the dropped-out word vectors [L, B, D] of a batch.
func (m *model[T]) embed(g *nn.Graph[T], b *batch[T]) *nn.Tensor[T] {
	x := g.Embedding(m.emb, b.ids)
	return g.Dropout(g.Reshape(x, b.L, b.B, m.emb.Cols()), m.dropout)
}

// encode turns word vectors x [L, B, D] into sentence features [B, features].
func (m *model[T]) encode(g *nn.Graph[T], x *nn.Tensor[T], b *batch[T]) *nn.Tensor[T] {
	if m.rnn != nil {
		h, _ := m.rnn.Encode(g, x, b.pad, nn.RecurrentState[T]{}, nil)
		return m.readoutOf(g, h, b)
	}
	for i := range m.convW {
		c := g.ReLU(g.Conv1D(x, &m.convW[i].Tensor, &m.convB[i].Tensor))
		m.pooled[i] = g.MaxOverTime(c, b.pad)
	}
	feat := g.Concat(m.pooled...)
	clear(m.pooled)
	return feat
}

// classify returns the logits [B, classes] of sentence features.
func (m *model[T]) classify(g *nn.Graph[T], feat *nn.Tensor[T]) *nn.Tensor[T] {
	return g.Linear(g.Dropout(feat, m.dropout), &m.outW.Tensor, &m.outB.Tensor)
}

// readoutOf turns RNN outputs h [L, B, H] into sentence features [B, H].
func (m *model[T]) readoutOf(g *nn.Graph[T], h *nn.Tensor[T], b *batch[T]) *nn.Tensor[T] {
	switch m.readout {
	case "mean":
		return g.MeanOverTime(h, b.pad)
	case "max":
		return g.MaxOverTime(h, b.pad)
	}
	return g.MeanOverTime(h, b.last)
}
