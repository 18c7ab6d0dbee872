// Package translation is the machine translation task of the SRU paper, on the data that can
// be staged: an attentional encoder-decoder (OpenNMT-py's RNN model) with SRU or LSTM layers,
// trained on Multi30K task 1 (En→De by default) over a joint BPE vocabulary, selected on
// validation BLEU (greedy decoding), and scored with sacreBLEU's corpus BLEU on detokenised,
// cased output (package score). newstest2014 is an out-of-domain test split.
//
// Subwords: one joint BPE vocabulary for both languages, learned here (TrainBPE) rather than
// with github.com/sugarme/tokenizer: its trainer breaks ties between equal pair counts in map
// order, so the same text could give other merges, and applying merges is a few lines that
// this package needs to control anyway (the word-boundary marker, byte fallback for unseen
// characters, exact decoding); the module is also not a dependency of the project. Ties are
// broken by a documented total order, and the vocabulary travels in every checkpoint.
//
// Shapes: Ls, Lt = source and target steps, B = sentences, E = embedding width, H = hidden
// width, V = vocabulary. Batches are time-major.
package translation

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/score"
	"github.com/gosru/gosru/train"
)

// Task is one translation run. It implements train.Task, train.EpochBeginner,
// train.BatchLoader, train.Predictor, train.Scorer and train.Stateful (the vocabulary goes
// into every checkpoint).
type Task[T kernels.Float] struct {
	cfg    Config
	dev    kernels.Device[T]
	ps     *nn.Params[T]
	model  *model[T]
	bpe    *BPE
	corpus *Corpus

	train   []example
	dropped int // training pairs over max_length
	batches [][]int
	eval    map[string][]example
	splits  []string

	// lastDecode is the timing of the last Predict, which Score reports for the same split.
	lastDecode struct {
		split     string
		sentences int
		seconds   float64
	}
}

var (
	_ train.Task[float32]        = (*Task[float32])(nil)
	_ train.EpochBeginner        = (*Task[float32])(nil)
	_ train.BatchLoader[float32] = (*Task[float32])(nil)
	_ train.Scorer               = (*Task[float32])(nil)
	_ train.Stateful             = (*Task[float32])(nil)
)

// New reads Multi30K (and the extra splits) from dataDir/translation and builds the task.
func New[T kernels.Float](cfg Config, dataDir string, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := LoadCorpus(dataDir, cfg.Source, cfg.Target, cfg.ExtraSplits)
	if err != nil {
		return nil, err
	}
	return NewFromCorpus(cfg, c, dev, seed)
}

// NewFromCorpus trains the BPE vocabulary on the training pairs (both sides), encodes every
// split and initialises the model from a generator seeded with seed.
func NewFromCorpus[T kernels.Float](cfg Config, c *Corpus, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxTrainPairs > 0 && len(c.Train) > cfg.MaxTrainPairs {
		c = &Corpus{Train: c.Train[:cfg.MaxTrainPairs], Eval: c.Eval, Splits: c.Splits}
	}
	if len(c.Train) == 0 {
		return nil, fmt.Errorf("translation: no training pairs")
	}
	texts := make([]string, 0, 2*len(c.Train))
	for _, p := range c.Train {
		texts = append(texts, p.Src, p.Tgt)
	}
	bpe, err := TrainBPE(texts, BPEConfig{Merges: cfg.BPEMerges, MinFrequency: cfg.BPEMinFrequency})
	if err != nil {
		return nil, err
	}
	t := &Task[T]{cfg: cfg, dev: dev, ps: nn.NewParams(dev), corpus: c}
	t.setVocabulary(bpe)
	rng := rand.New(rand.NewPCG(seed, 0x7472616e736c)) // "transl"
	if t.model, err = newModel(t.ps, cfg, bpe.Size(), rng); err != nil {
		return nil, err
	}
	return t, nil
}

// setVocabulary encodes every split with bpe and buckets the training pairs in length order.
func (t *Task[T]) setVocabulary(bpe *BPE) {
	t.bpe = bpe
	t.train, t.dropped = t.train[:0], 0
	cache := map[string][]int32{}
	for _, p := range t.corpus.Train {
		e := example{bpe.EncodeCached(p.Src, cache), bpe.EncodeCached(p.Tgt, cache)}
		if t.cfg.MaxLength > 0 && (len(e.src) > t.cfg.MaxLength || len(e.tgt) > t.cfg.MaxLength) {
			t.dropped++
			continue
		}
		t.train = append(t.train, e)
	}
	order := make([]int, len(t.train))
	for i := range order {
		order[i] = i
	}
	t.batches = bucket(t.train, order, t.cfg.BatchTokens)
	t.eval = map[string][]example{}
	t.splits = t.corpus.Splits
	for _, s := range t.splits {
		for _, p := range t.corpus.Eval[s] {
			t.eval[s] = append(t.eval[s], example{bpe.EncodeCached(p.Src, cache), bpe.EncodeCached(p.Tgt, cache)})
		}
	}
}

// Params are the model's parameters.
func (t *Task[T]) Params() *nn.Params[T] { return t.ps }

// NumBatches is the number of token-budget batches of the current epoch.
func (t *Task[T]) NumBatches() int { return len(t.batches) }

// Shuffle is true: the loop permutes the batches every epoch.
func (t *Task[T]) Shuffle() bool { return true }

// Selection picks the model of the highest validation BLEU (greedy decoding).
func (t *Task[T]) Selection() (string, bool) { return "bleu", true }

// Splits are "valid", "test" (test_2016_flickr) and the configured extra splits.
func (t *Task[T]) Splits() []string { return t.splits }

// BeginEpoch re-buckets the training pairs from a random order drawn from rng.
func (t *Task[T]) BeginEpoch(epoch int, rng *rand.Rand) error {
	t.batches = shuffledBuckets(t.train, t.cfg.BatchTokens, rng)
	return nil
}

// LoadBatch pads training batch i on the host.
func (t *Task[T]) LoadBatch(i int) (any, error) {
	if i < 0 || i >= len(t.batches) {
		return nil, fmt.Errorf("translation: batch %d of %d", i, len(t.batches))
	}
	idx := t.batches[i]
	src, tgt := make([][]int32, len(idx)), make([][]int32, len(idx))
	for k, j := range idx {
		src[k], tgt[k] = t.train[j].src, t.train[j].tgt
	}
	return makeBatch(src, tgt), nil
}

// BatchLoss is the label-smoothed cross entropy per target token of a loaded batch.
func (t *Task[T]) BatchLoss(g *nn.Graph[T], i int, b any) (*nn.Tensor[T], int, error) {
	bt, ok := b.(*batch)
	if !ok {
		return nil, 0, fmt.Errorf("translation: batch %d is a %T", i, b)
	}
	logits := t.model.decode(g, bt, t.model.encode(g, bt))
	return g.CrossEntropySmoothed(logits, bt.tgtOut, nil, PadID, t.cfg.LabelSmoothing), bt.tokens, nil
}

// Loss loads batch i and returns its loss.
func (t *Task[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	b, err := t.LoadBatch(i)
	if err != nil {
		return nil, 0, err
	}
	return t.BatchLoss(g, i, b)
}

// evalBatches cuts a split into batches of EvalBatchSize sentences in order of source length
// (decoding is faster with little padding); order[k] is the sentence of the k-th slot.
func (t *Task[T]) evalBatches(split string) (exs []example, batches [][]int, err error) {
	exs, ok := t.eval[split]
	if !ok {
		return nil, nil, fmt.Errorf("translation: no split %q (have %v)", split, t.splits)
	}
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(exs[a].src) - len(exs[b].src) })
	for k := 0; k < len(order); k += t.cfg.EvalBatchSize {
		batches = append(batches, order[k:min(k+t.cfg.EvalBatchSize, len(order))])
	}
	return exs, batches, nil
}

// Evaluate returns the teacher-forced cross entropy per target token ("loss", without label
// smoothing) and its perplexity ("ppl").
func (t *Task[T]) Evaluate(split string) (train.Metrics, error) {
	exs, batches, err := t.evalBatches(split)
	if err != nil {
		return nil, err
	}
	g := nn.NewGraph[T](t.dev, nil)
	g.NoGrad = true
	defer g.Release()
	var nll, n float64
	for _, idx := range batches {
		src, tgt := make([][]int32, len(idx)), make([][]int32, len(idx))
		for k, j := range idx {
			src[k], tgt[k] = exs[j].src, exs[j].tgt
		}
		b := makeBatch(src, tgt)
		g.Reset()
		logits := t.model.decode(g, b, t.model.encode(g, b))
		_, sum, count := g.CrossEntropyStats(logits, b.tgtOut, nil, PadID)
		nll, n = nll+sum, n+count
	}
	if err := t.dev.Sync(); err != nil {
		return nil, fmt.Errorf("translation: evaluate %s: %w", split, err)
	}
	loss := nll / max(n, 1)
	return train.Metrics{"loss": loss, "ppl": math.Exp(loss)}, nil
}

// DecodeTiming is the number of sentences and the seconds of decoding of the last Predict
// (model time only: no loading, no writing), which 'sru predict' prints.
func (t *Task[T]) DecodeTiming() (sentences int, seconds float64) {
	return t.lastDecode.sentences, t.lastDecode.seconds
}

// Predict translates a split (greedy, or beam search when beam > 1) and writes one
// detokenised translation per line, in the split's order.
func (t *Task[T]) Predict(split string, w io.Writer) error {
	exs, batches, err := t.evalBatches(split)
	if err != nil {
		return err
	}
	start := time.Now()
	out := make([]string, len(exs))
	for _, idx := range batches {
		src := make([][]int32, len(idx))
		for k, j := range idx {
			src[k] = exs[j].src
		}
		hyps, err := t.translate(src)
		if err != nil {
			return err
		}
		for k, j := range idx {
			out[j] = t.bpe.Decode(hyps[k])
		}
	}
	t.lastDecode.split, t.lastDecode.sentences, t.lastDecode.seconds = split, len(exs), time.Since(start).Seconds()
	bw := bufio.NewWriter(w)
	for _, s := range out {
		// A translation holds no newline (the model could emit one through a byte token).
		bw.WriteString(strings.ReplaceAll(s, "\n", " "))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// translate decodes source id sequences with the configured search.
func (t *Task[T]) translate(src [][]int32) ([][]int32, error) {
	if t.cfg.Beam > 1 {
		return beamSearch(t.model, t.dev, src, t.cfg.Beam, t.cfg.LengthPenalty, t.cfg.Alpha)
	}
	return greedy(t.model, t.dev, src)
}

// Score computes sacreBLEU's corpus BLEU (13a, cased, exp smoothing) of predictions against
// the split's references ("bleu"), and the same lower-cased ("bleu_lc"); after Predict of
// the same split, also its decoding speed in sentences per second ("decode_sent_per_s").
func (t *Task[T]) Score(split string, predictions io.Reader) (train.Metrics, error) {
	pairs, ok := t.corpus.Eval[split]
	if !ok {
		return nil, fmt.Errorf("translation: no split %q", split)
	}
	hyps, err := ReadLines(predictions)
	if err != nil {
		return nil, err
	}
	if len(hyps) != len(pairs) {
		return nil, fmt.Errorf("translation: %d predictions for the %d sentences of %s", len(hyps), len(pairs), split)
	}
	refs := make([]string, len(pairs))
	for i, p := range pairs {
		refs[i] = p.Tgt
	}
	cased, err := score.CorpusBLEU(hyps, [][]string{refs}, score.BLEUOptions{})
	if err != nil {
		return nil, err
	}
	lower, err := score.CorpusBLEU(hyps, [][]string{refs}, score.BLEUOptions{Lowercase: true})
	if err != nil {
		return nil, err
	}
	m := train.Metrics{"bleu": cased.Score, "bleu_lc": lower.Score}
	if d := t.lastDecode; d.split == split && d.sentences == len(hyps) && d.seconds > 0 {
		m["decode_sent_per_s"] = float64(d.sentences) / d.seconds
	}
	return m, nil
}

// StartEpoch does nothing: no state runs across batches.
func (t *Task[T]) StartEpoch() {}

// SaveState is the BPE vocabulary (JSON), so that every checkpoint carries the exact
// vocabulary its embeddings index.
func (t *Task[T]) SaveState() ([]byte, error) { return json.Marshal(t.bpe) }

// LoadState restores a checkpoint's vocabulary; it must have the model's size.
func (t *Task[T]) LoadState(data []byte) error {
	var b BPE
	if err := json.Unmarshal(data, &b); err != nil {
		return err
	}
	if b.Size() != t.bpe.Size() {
		return fmt.Errorf("translation: the checkpoint's vocabulary has %d ids, the model %d", b.Size(), t.bpe.Size())
	}
	if !slices.Equal(b.Merges, t.bpe.Merges) || !slices.Equal(b.Pieces, t.bpe.Pieces) {
		t.setVocabulary(&b)
	}
	return nil
}

// Labels describe the run for comparisons and summaries.
func (t *Task[T]) Labels() map[string]string {
	feed := "off"
	if t.cfg.InputFeed {
		feed = "on"
	}
	return map[string]string{"task": "translation", "dataset": "multi30k", "pair": t.cfg.Source + "-" + t.cfg.Target,
		"model": t.cfg.Model, "input_feed": feed}
}

// Vocabulary is the BPE vocabulary.
func (t *Task[T]) Vocabulary() *BPE { return t.bpe }

// TrainingPairs is the number of training pairs kept and dropped (over max_length).
func (t *Task[T]) TrainingPairs() (kept, dropped int) { return len(t.train), t.dropped }
