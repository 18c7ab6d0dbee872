package squad

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// NumFeatures is the width of the manual features of a document word: exact match with a
// question word (cased, uncased, stem) and the word's term frequency in its paragraph.
const NumFeatures = 4

// model is DrQA's document reader (Chen et al. 2017, drqa/reader/rnn_reader.py) with the
// encoder a config names. Parameter names follow DrQA's.
type model[T kernels.Float] struct {
	cfg              Config
	emb              *nn.Param[T] // [V, D], or the tuneRows trained rows with fixed
	fixed            *nn.Param[T] // the fixed pretrained rows [V − tuneRows, D]; nil when all are trained
	alignW, alignB   *nn.Param[T] // the aligned embedding's shared projection [D, D], [D]
	docRNN, qRNN     nn.Encoder[T]
	docOut, qOut     int          // widths of the encodings (every layer's when concat_layers)
	qMergeW, qMergeB *nn.Param[T] // self-attention scores of question words [qOut, 1], [1]
	startW, startB   *nn.Param[T] // bilinear [qOut, docOut], [docOut]
	endW, endB       *nn.Param[T]
	docLayers        []*nn.Tensor[T] // scratch: every layer's output
	qLayers          []*nn.Tensor[T]
	inputs           []*nn.Tensor[T]
}

// newModel creates the reader's parameters in ps. table is the initial embedding table
// [V·D] (row-major); when tuneRows > 0 only its first tuneRows rows are trained.
func newModel[T kernels.Float](ps *nn.Params[T], cfg Config, table []T, tuneRows int, rng *rand.Rand) (*model[T], error) {
	D := cfg.EmbeddingDim
	m := &model[T]{cfg: cfg}
	V := len(table) / D
	if tuneRows <= 0 || tuneRows >= V {
		tuneRows = V
	}
	m.emb = ps.Add("embedding.weight", tuneRows, D)
	m.emb.RowSparse = true
	ps.Dev.Upload(m.emb.Data, table[:tuneRows*D])
	if tuneRows < V {
		m.fixed = ps.Add("fixed_embedding.weight", V-tuneRows, D)
		m.fixed.RowSparse = true // ZeroGrad skips the (untouched) frozen table
		m.fixed.NeedsGrad = false
		ps.Dev.Upload(m.fixed.Data, table[tuneRows*D:])
	}
	docIn := D
	if cfg.AlignedEmbedding {
		m.alignW, m.alignB = linear(ps, "qemb_match.linear", D, D, rng)
		docIn += D
	}
	docIn += cfg.featureLayout().width()
	var err error
	if m.docRNN, err = encoder.New(ps, "doc_rnn.", cfg.encoderConfig(docIn, cfg.DocLayers), rng); err != nil {
		return nil, fmt.Errorf("squad: %w", err)
	}
	if m.qRNN, err = encoder.New(ps, "question_rnn.", cfg.encoderConfig(D, cfg.QuestionLayers), rng); err != nil {
		return nil, fmt.Errorf("squad: %w", err)
	}
	m.docOut, m.qOut = m.docRNN.OutputSize(), m.qRNN.OutputSize()
	if cfg.ConcatLayers {
		m.docOut *= cfg.DocLayers
		m.qOut *= cfg.QuestionLayers
		m.docLayers = make([]*nn.Tensor[T], cfg.DocLayers)
		m.qLayers = make([]*nn.Tensor[T], cfg.QuestionLayers)
	}
	m.qMergeW, m.qMergeB = linear(ps, "self_attn.linear", m.qOut, 1, rng)
	m.startW, m.startB = linear(ps, "start_attn.linear", m.qOut, m.docOut, rng)
	m.endW, m.endB = linear(ps, "end_attn.linear", m.qOut, m.docOut, rng)
	return m, nil
}

// linear adds the weight [in, out] and bias [out] of a layer with PyTorch's nn.Linear init,
// U(±1/√in).
func linear[T kernels.Float](ps *nn.Params[T], name string, in, out int, rng *rand.Rand) (w, b *nn.Param[T]) {
	w, b = ps.Add(name+".weight", in, out), ps.Add(name+".bias", out)
	bound := 1 / math.Sqrt(float64(in))
	uniform(ps.Dev, w, bound, rng)
	uniform(ps.Dev, b, bound, rng)
	return w, b
}

func uniform[T kernels.Float](dev kernels.Device[T], p *nn.Param[T], bound float64, rng *rand.Rand) {
	v := make([]T, p.Len())
	for i := range v {
		v[i] = T((rng.Float64()*2 - 1) * bound)
	}
	dev.Upload(p.Data, v)
}

// embed returns the word vectors [L, B, D] of time-major ids (fixed: the ids into the fixed
// table, or nil).
func (m *model[T]) embed(g *nn.Graph[T], ids, fixed []int32, L, B int) *nn.Tensor[T] {
	x := g.Embedding(m.emb, ids)
	if m.fixed != nil {
		x = g.Add(x, g.Embedding(m.fixed, fixed))
	}
	return g.Reshape(x, L, B, m.cfg.EmbeddingDim)
}

// forward returns the start and end scores [B, Lp] of a batch: unnormalised log-probabilities
// with padding at a large negative value (so a softmax or cross entropy over a row ignores it).
func (m *model[T]) forward(g *nn.Graph[T], b *batch[T]) (start, end *nn.Tensor[T]) {
	B, Lp, Lq := b.B, b.Lp, b.Lq
	qLens := g.Ints(b.qLens32)
	x1 := g.Dropout(m.embed(g, b.docIDs, b.docFixed, Lp, B), m.cfg.DropoutEmb)
	x2 := g.Dropout(m.embed(g, b.qIDs, b.qFixed, Lq, B), m.cfg.DropoutEmb)

	m.inputs = append(m.inputs[:0], x1)
	if m.cfg.AlignedEmbedding {
		m.inputs = append(m.inputs, m.alignedQuestion(g, x1, x2, qLens, B, Lp))
	}
	if w := m.cfg.featureLayout().width(); w > 0 {
		m.inputs = append(m.inputs, g.FromHost(b.features, Lp, B, w))
	}
	docIn := m.inputs[0]
	if len(m.inputs) > 1 {
		docIn = g.Concat(m.inputs...)
	}
	clear(m.inputs)

	docH, qH := m.encoders(g, b, docIn, x2)

	// The question as one vector: softmax(w·q_t + b) over its words, then the weighted sum.
	scores := g.Reshape(g.TransposeLeading(g.Linear(qH, &m.qMergeW.Tensor, &m.qMergeB.Tensor)), B, Lq)
	weights := g.Reshape(g.MaskedSoftmax(scores, B, 1, qLens, kernels.Buf[T]{}), B, 1, Lq)
	q := g.Reshape(g.BatchMatMul(weights, qH, false, false, nn.BatchFirst, nn.TimeMajor, nn.BatchFirst), B, m.qOut)

	padBias := g.FromHost(b.padBias, B, Lp)
	start = m.bilinear(g, docH, q, m.startW, m.startB, padBias)
	end = m.bilinear(g, docH, q, m.endW, m.endB, padBias)
	return start, end
}

// alignedQuestion is DrQA's aligned question embedding: for every document word, the
// attention-weighted sum of the question's word vectors, with scores ReLU(W·p)·ReLU(W·q)
// through one shared projection; padded question words get weight 0. Returns [Lp, B, D].
func (m *model[T]) alignedQuestion(g *nn.Graph[T], x1, x2 *nn.Tensor[T], qLens kernels.Ints, B, Lp int) *nn.Tensor[T] {
	p := g.ReLU(g.Linear(x1, &m.alignW.Tensor, &m.alignB.Tensor))
	q := g.ReLU(g.Linear(x2, &m.alignW.Tensor, &m.alignB.Tensor))
	scores := g.BatchMatMul(p, q, false, true, nn.TimeMajor, nn.TimeMajor, nn.BatchFirst) // [B, Lp, Lq]
	alpha := g.MaskedSoftmax(scores, B, Lp, qLens, kernels.Buf[T]{})
	return g.BatchMatMul(alpha, x2, false, false, nn.BatchFirst, nn.TimeMajor, nn.TimeMajor)
}

// encoders runs the passage and the question encoders on their inputs [Lp, B, *] and
// [Lq, B, D], with the dropouts around them that the config asks for: on the first layer's
// input for the LSTM (lstm.dropout_input) and on what each encoder hands on (dropout_output).
func (m *model[T]) encoders(g *nn.Graph[T], b *batch[T], docIn, qIn *nn.Tensor[T]) (docH, qH *nn.Tensor[T]) {
	p := m.cfg.DropoutRNN
	if m.cfg.Model == "lstm" && m.cfg.LSTM.DropoutInput {
		docIn, qIn = g.Dropout(docIn, p), g.Dropout(qIn, p)
	}
	docH = encode(g, m.docRNN, docIn, nn.PadMask(g, b.docLens, b.Lp), m.docLayers)
	qH = encode(g, m.qRNN, qIn, nn.PadMask(g, b.qLens, b.Lq), m.qLayers)
	if m.cfg.DropoutOutput {
		docH, qH = g.Dropout(docH, p), g.Dropout(qH, p)
	}
	return docH, qH
}

// encode runs an encoder and returns its top output, or every layer's joined when layers is
// set (concat_layers).
func encode[T kernels.Float](g *nn.Graph[T], enc nn.Encoder[T], x *nn.Tensor[T], pad kernels.Buf[T], layers []*nn.Tensor[T]) *nn.Tensor[T] {
	out, _ := enc.Encode(g, x, pad, nn.RecurrentState[T]{}, layers)
	if layers == nil {
		return out
	}
	out = encoder.ConcatLayers(g, layers)
	clear(layers)
	return out
}

// bilinear returns the scores doc_t·(W·q + b) of every document position [B, Lp], plus
// padBias (0 on words, a large negative value on padding).
func (m *model[T]) bilinear(g *nn.Graph[T], doc, q *nn.Tensor[T], w, bias *nn.Param[T], padBias *nn.Tensor[T]) *nn.Tensor[T] {
	B, Lp := q.Shape[0], doc.Shape[0]
	wq := g.Reshape(g.Linear(q, &w.Tensor, &bias.Tensor), B, m.docOut, 1)
	s := g.BatchMatMul(doc, wq, false, false, nn.TimeMajor, nn.BatchFirst, nn.BatchFirst) // [B, Lp, 1]
	return g.Add(g.Reshape(s, B, Lp), padBias)
}

// loss is DrQA's NLL(start) + NLL(end), each the mean over the batch.
func (m *model[T]) loss(g *nn.Graph[T], b *batch[T]) *nn.Tensor[T] {
	start, end := m.forward(g, b)
	return g.Add(g.CrossEntropy(start, b.starts, nil, -1), g.CrossEntropy(end, b.ends, nil, -1))
}
