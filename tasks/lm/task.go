// Package lm is the word-level language modelling task of the SRU paper (Penn Treebank), set
// up as the official code (asappresearch/sru language_model/train_lm.py) sets it up:
// every line of a split ends with <eos>; each split is cut into B contiguous streams; training
// runs truncated back-propagation through windows of `unroll` steps in order, carrying the
// recurrent state from one window to the next (detached) and resetting it every epoch; the
// model is embedding → dropout → SRU or LSTM → dropout → softmax, with the softmax weight tied
// to the embedding table; valid and test are one stream each (eval_batch_size = 1), and the
// metric is perplexity exp(total NLL / tokens).
//
// Where this departs from the official code, and why:
//   - Weight decay is the loop's SGD (L2 added to the gradient: p ← p·(1 − lr·wd) − lr·g);
//     train_lm.py shrinks p by (1 − wd) whatever the learning rate. They agree while lr = 1
//     (the paper's first 175 epochs).
//   - The logged training loss is the per-token mean NLL; the update is still that of the
//     official loss (summed over the window, averaged over streams) when sum_over_time.
//   - Lines end with <eos>, the usual PTB name (train_lm.py writes </s>: only the name
//     differs); ids are given in order of first occurrence in train, as there.
//
// Shapes: L = steps in a window, B = streams, D = embedding width, V = vocabulary. Windows
// are time-major [L, B].
package lm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// Task is one language-modelling run: the corpus cut into streams, the model and the carried
// states. It implements train.Task and train.Stateful.
type Task[T kernels.Float] struct {
	cfg    Config
	dev    kernels.Device[T]
	ps     *nn.Params[T]
	model  *model[T]
	corpus *Corpus
	train  *stream
	eval   map[string]*stream // "valid", "test"

	trainState, evalState *carry[T]
	evalG                 *nn.Graph[T]
}

var (
	_ train.Task[float32] = (*Task[float32])(nil)
	_ train.Stateful      = (*Task[float32])(nil)
)

// New reads the dataset from dataDir/lm/<dataset> and builds the task (see NewFromCorpus).
func New[T kernels.Float](cfg Config, dataDir string, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := Load(dataDir, cfg.Dataset)
	if err != nil {
		return nil, err
	}
	return NewFromCorpus(cfg, c, dev, seed)
}

// NewFromCorpus cuts the corpus into streams and initialises the model from a generator seeded
// with seed.
func NewFromCorpus[T kernels.Float](cfg Config, c *Corpus, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Task[T]{cfg: cfg, dev: dev, ps: nn.NewParams(dev), corpus: c, eval: map[string]*stream{}}
	var err error
	if t.train, err = newStream(c.Train, cfg.BatchSize); err != nil {
		return nil, fmt.Errorf("%w (train)", err)
	}
	for split, ids := range map[string][]int32{"valid": c.Valid, "test": c.Test} {
		if t.eval[split], err = newStream(ids, cfg.EvalBatchSize); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, split)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c616e67756167)) // "languag"
	if t.model, err = newModel(t.ps, cfg, len(c.Vocab.Words), rng); err != nil {
		return nil, err
	}
	t.trainState = t.model.newCarry(dev, cfg.BatchSize)
	t.evalState = t.model.newCarry(dev, cfg.EvalBatchSize)
	t.evalG = nn.NewGraph[T](dev, nil)
	t.evalG.NoGrad = true
	return t, nil
}

// Params are the embedding table (also the softmax weight when tied), the recurrent layers'
// and the softmax's parameters.
func (t *Task[T]) Params() *nn.Params[T] { return t.ps }

// NumBatches is the number of unroll windows of the training streams.
func (t *Task[T]) NumBatches() int { return t.train.windows(t.cfg.Unroll) }

// Shuffle is false: windows must run in order for the carried state to mean anything.
func (t *Task[T]) Shuffle() bool { return false }

// Selection picks the model of the lowest validation perplexity.
func (t *Task[T]) Selection() (string, bool) { return "ppl", false }

// Splits are "valid" and "test".
func (t *Task[T]) Splits() []string { return []string{"valid", "test"} }

// StartEpoch zeroes the carried training state, as train_lm.py does at every epoch.
func (t *Task[T]) StartEpoch() { t.trainState.reset(t.dev) }

// SaveState is the carried training state and the window it leads into.
func (t *Task[T]) SaveState() ([]byte, error) { return t.trainState.marshal(t.dev), nil }

// LoadState restores what SaveState saved.
func (t *Task[T]) LoadState(b []byte) error { return t.trainState.unmarshal(t.dev, b) }

// Loss is the cross entropy of training window i, from the state the previous window left.
// Windows must come in order 0, 1, ... within an epoch.
func (t *Task[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	if i != t.trainState.next {
		return nil, 0, fmt.Errorf("lm: training window %d asked for, but the carried state leads into window %d", i, t.trainState.next)
	}
	if i < 0 || i >= t.NumBatches() {
		return nil, 0, fmt.Errorf("lm: training window %d of %d", i, t.NumBatches())
	}
	x, y, L := t.train.window(i, t.cfg.Unroll)
	logits := t.model.forward(g, x, L, t.train.B, t.trainState)
	loss := g.CrossEntropy(logits, y, nil, -1)
	if t.cfg.SumOverTime {
		loss = t.model.scaleGrad(g, loss, float64(L))
	}
	return loss, len(y), nil
}

// Evaluate returns the perplexity ("ppl") and the mean NLL per token ("loss") of "valid" or
// "test", run as eval_batch_size streams from a zero state.
func (t *Task[T]) Evaluate(split string) (train.Metrics, error) {
	s, ok := t.eval[split]
	if !ok {
		return nil, fmt.Errorf("lm: no split %q", split)
	}
	g, st := t.evalG, t.evalState
	st.reset(t.dev)
	var nll, n float64
	for i := range s.windows(t.cfg.Unroll) {
		x, y, L := s.window(i, t.cfg.Unroll)
		g.Reset()
		logits := t.model.forward(g, x, L, s.B, st)
		_, sum, count := g.CrossEntropyStats(logits, y, nil, -1)
		nll += sum
		n += count
	}
	g.Reset()
	if err := t.dev.Sync(); err != nil {
		return nil, fmt.Errorf("lm: evaluate %s: %w", split, err)
	}
	loss := nll / n
	return train.Metrics{"ppl": math.Exp(loss), "loss": loss}, nil
}

// Labels describe the run for comparisons and summaries.
func (t *Task[T]) Labels() map[string]string {
	return map[string]string{"task": "lm", "dataset": t.cfg.Dataset, "model": t.cfg.Model}
}

// Vocab is the vocabulary (row i of the embedding table is Words[i]).
func (t *Task[T]) Vocab() *Vocab { return t.corpus.Vocab }

// Tokens is the number of tokens (with <eos>) of each split.
func (t *Task[T]) Tokens() (train, valid, test int) {
	return len(t.corpus.Train), len(t.corpus.Valid), len(t.corpus.Test)
}
