// Package squad is the SQuAD v1.1 reading comprehension task of the SRU paper: DrQA's
// document reader (Chen et al. 2017) with SRU encoders, as the DrQA code of the official SRU
// repository sets it up, and DrQA's LSTM reader as the baseline.
//
// The reader: 300-d word vectors (random and trained: no GloVe here) for the passage and the
// question, dropout on both; for each passage word the aligned question embedding (attention
// over the question's words through a shared ReLU projection) and four manual features (exact
// match with a question word cased, lower-cased, and by a suffix-stripping stem that stands in
// for DrQA's spaCy lemma; term frequency). DrQA's POS and NER features (one-hot tags from
// spaCy) are optional here (squad.pos, squad.ner; off by default) and come from another
// tagger, prose (github.com/jdkato/prose/v2: an averaged perceptron POS tagger, Penn Treebank
// tags, and a maximum-entropy NER classifier of PERSON, GPE, ORGANIZATION, LOCATION, FACILITY
// and GSP), run on each context in preprocessing and mapped to our tokens by character
// offsets (tags.go); they are not spaCy's tags. A bidirectional encoder reads each (SRU: 5
// layers of 128 per direction, every layer's output concatenated; LSTM: DrQA's 3 layers), the
// question becomes one vector by self-attention,
// and two bilinear forms score every passage position as start and end; the loss is
// NLL(start) + NLL(end). Decoding takes the span of highest P(start)·P(end) of at most 15
// tokens (BestSpan).
//
// Data: the data directory's squad/ files: the official dev-v1.1.json.zip and train-v1.1.json
// (sru data download squad). Where the official train file is absent, its accepted substitute
// is read in its place: train-v1.1.reconstructed.json.gz, rebuilt from the official explorer
// pages with the official counts (texts verbatim; ids synthetic; answer_start recovered, so a
// few answers sit at another occurrence of their text). Stats.TrainFile, the run's labels
// (train_file) and data.json (DataFiles) say which was read; a train_file setting that names
// the substitute pins it. The files are tokenised by Tokenize (offsets kept, so an answer is
// cut from the context exactly) and cached on disk (LoadPrepared) in cache_dir, by default
// <data_dir>/squad/cache, one gob file per input named by the input's SHA-256 and
// PreprocessVersion (and, for runs with POS or NER, the tags it holds and TaggerVersion: see
// LoadPreparedTagged): later runs skip reading, tokenising and tagging. Training questions whose answer
// does not start and end on token boundaries are dropped (452 of 87,599 in the substitute).
// Dev is both the selection split ("valid") and the reported one, the standard v1.1 protocol
// (the test set is hidden): the model of best dev F1 is kept, and its EM/F1 are the result.
//
// Timing: BenchmarkComponents splits a training step into the time in the RNN (both encoder
// stacks, forward and backward) and the rest, for the SRU and the LSTM reader at the sizes of
// experiments/squad, with the LSTM/SRU ratio:
//
//	go test -run - -bench Components/cpu -benchtime 20x ./tasks/squad
//
// Shapes: Lp = passage words, Lq = question words, B = questions in a batch, D = embedding
// width. Sequences are time-major [L, B, ...], right-padded.
package squad

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"

	"github.com/gosru/gosru/datasets"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/score"
	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/train"
)

// Task is one SQuAD run: the prepared train and dev data and the reader. It implements
// train.Task, train.EpochBeginner, train.BatchLoader, train.Predictor and train.Scorer.
type Task[T kernels.Float] struct {
	cfg   Config
	dev   kernels.Device[T]
	ps    *nn.Params[T]
	model *model[T]
	vocab *vocabulary
	stats Stats

	trainFile, devFile dataFile // the files read

	train, valid *corpus
	trainQs      []int32   // the training questions kept
	batches      [][]int32 // this epoch's training batches
	evalBatches  [][]int32 // dev, sorted by length
	scoring      *score.SQuADDataset

	evalG              *nn.Graph[T]
	startHost, endHost []T
	// predictions of "valid" made by the last Evaluate, handed to the Predict that follows it
	lastPredictions []byte
}

// Stats describe the task's data.
type Stats struct {
	// TrainFile is the train file read, relative to the data directory, with a note when it is
	// the substitute of the absent official file.
	TrainFile      string
	TrainQuestions int // kept for training
	// Unaligned counts training questions dropped because no answer lies on token boundaries;
	// TooLong those dropped by max_train_context.
	Unaligned, TooLong int
	DevQuestions       int
	Vocab              int
	Pretrained         int // vocabulary words with a pretrained vector
}

var (
	_ train.Task[float32]        = (*Task[float32])(nil)
	_ train.EpochBeginner        = (*Task[float32])(nil)
	_ train.BatchLoader[float32] = (*Task[float32])(nil)
	_ train.Scorer               = (*Task[float32])(nil)
)

// New reads (or loads from the preprocessing cache) the train and dev files under
// dataDir/squad (the official train file, else its accepted substitute: see locate), builds
// the vocabulary and the model, initialised from a generator seeded with seed.
func New[T kernels.Float](cfg Config, dataDir string, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cacheDir := cfg.CacheDir
	switch cacheDir {
	case "":
		cacheDir = filepath.Join(dataDir, "squad", "cache")
	case "none":
		cacheDir = ""
	}
	trainFile, err := locate(datasets.Default, dataDir, cfg.TrainFile)
	if err != nil {
		return nil, err
	}
	devFile, err := locate(datasets.Default, dataDir, cfg.DevFile)
	if err != nil {
		return nil, err
	}
	trainPrep, _, err := LoadPreparedTagged(trainFile.path, cacheDir, cfg.tagging())
	if err != nil {
		return nil, err
	}
	devPrep, _, err := LoadPreparedTagged(devFile.path, cacheDir, cfg.tagging())
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		prep *Prepared
		file dataFile
	}{{trainPrep, trainFile}, {devPrep, devFile}} {
		if err := p.prep.checkTags(cfg.tagging()); err != nil {
			return nil, fmt.Errorf("squad: %s: %w", p.file.path, err)
		}
	}
	t := &Task[T]{cfg: cfg, dev: dev, ps: nn.NewParams(dev), trainFile: trainFile, devFile: devFile}
	t.stats.TrainFile = trainFile.describe()
	var vecs *classification.Vectors
	var hasVector func(string) bool
	if cfg.Embeddings != "" {
		if vecs, err = loadVectors(cfg, trainPrep, devPrep); err != nil {
			return nil, err
		}
		hasVector = func(w string) bool { return vecs.Vector(w) != nil }
	}
	t.vocab = buildVocab(trainPrep, devPrep, cfg.MinCount, hasVector)
	tuneRows := 0 // all rows trained
	if vecs != nil {
		tuneRows = min(1+cfg.TunePartial, len(t.vocab.words))
	}
	in := interner{}
	t.train, t.valid = newCorpus(trainPrep, t.vocab, in, cfg.featureLayout()), newCorpus(devPrep, t.vocab, in, cfg.featureLayout())
	if tuneRows < len(t.vocab.words) {
		t.train.tuneRows, t.valid.tuneRows = int32(tuneRows), int32(tuneRows)
	}
	for qi, q := range trainPrep.Questions {
		if cfg.TrainSubset > 0 && qi >= cfg.TrainSubset {
			break
		}
		switch {
		case q.First < 0:
			t.stats.Unaligned++
		case cfg.MaxTrainContext > 0 && len(trainPrep.Paragraphs[q.Paragraph].Tokens) > cfg.MaxTrainContext:
			t.stats.TooLong++
		default:
			t.trainQs = append(t.trainQs, int32(qi))
		}
	}
	if len(t.trainQs) == 0 {
		return nil, fmt.Errorf("squad: no training question left (%d unaligned, %d over max_train_context)", t.stats.Unaligned, t.stats.TooLong)
	}
	all := make([]int32, len(devPrep.Questions))
	for i := range all {
		all[i] = int32(i)
	}
	t.evalBatches = bucket(t.valid, all, cfg.EvalBatchSize, nil)
	t.batches = bucket(t.train, t.trainQs, cfg.BatchSize, nil)
	t.scoring = &score.SQuADDataset{Version: devPrep.Version}
	for _, q := range devPrep.Questions {
		t.scoring.Questions = append(t.scoring.Questions, score.SQuADQuestion{ID: q.ID,
			Article: devPrep.Paragraphs[q.Paragraph].Article, Answers: q.Answers})
	}
	t.stats.TrainQuestions, t.stats.DevQuestions, t.stats.Vocab = len(t.trainQs), len(devPrep.Questions), len(t.vocab.words)

	rng := rand.New(rand.NewPCG(seed, 0x7371756164)) // "squad"
	table, found := embeddingTable[T](t.vocab, vecs, cfg.EmbeddingDim, cfg.EmbeddingStd, rng)
	t.stats.Pretrained = found
	if t.model, err = newModel(t.ps, cfg, table, tuneRows, rng); err != nil {
		return nil, err
	}
	t.evalG = nn.NewGraph[T](dev, nil)
	t.evalG.NoGrad = true
	return t, nil
}

// Params are the reader's parameters.
func (t *Task[T]) Params() *nn.Params[T] { return t.ps }

// NumBatches is the number of training batches of an epoch.
func (t *Task[T]) NumBatches() int { return len(t.batches) }

// Shuffle is true: the loop permutes the length-bucketed batches every epoch.
func (t *Task[T]) Shuffle() bool { return true }

// Selection is dev F1 (the standard v1.1 protocol: dev is also the reported set).
func (t *Task[T]) Selection() (string, bool) { return "f1", true }

// Splits is "valid" only: SQuAD v1.1's test set is hidden; dev is evaluated as "valid".
func (t *Task[T]) Splits() []string { return []string{"valid"} }

// BeginEpoch re-buckets the training questions by context length with the run's RNG (ties
// broken at random), so batches differ from epoch to epoch.
func (t *Task[T]) BeginEpoch(epoch int, rng *rand.Rand) error {
	t.batches = bucket(t.train, t.trainQs, t.cfg.BatchSize, rng)
	return nil
}

// LoadBatch builds training batch i on the host (ids, features, masks, spans).
func (t *Task[T]) LoadBatch(i int) (any, error) {
	if i < 0 || i >= len(t.batches) {
		return nil, fmt.Errorf("squad: batch %d of %d", i, len(t.batches))
	}
	return makeBatch[T](t.train, t.batches[i]), nil
}

// BatchLoss is the loss of a batch LoadBatch built.
func (t *Task[T]) BatchLoss(g *nn.Graph[T], i int, b any) (*nn.Tensor[T], int, error) {
	bt, ok := b.(*batch[T])
	if !ok {
		return nil, 0, fmt.Errorf("squad: batch %d is a %T", i, b)
	}
	return t.model.loss(g, bt), bt.B, nil
}

// Loss loads training batch i in the step and returns its loss.
func (t *Task[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	b, err := t.LoadBatch(i)
	if err != nil {
		return nil, 0, err
	}
	return t.BatchLoss(g, i, b)
}

// Evaluate returns the mean NLL(start) + NLL(end) on dev ("valid") over the questions that
// have an aligned answer. It also decodes the answers, which the Predict that the loop calls
// next writes without running the reader again.
func (t *Task[T]) Evaluate(split string) (train.Metrics, error) {
	if split != "valid" {
		return nil, fmt.Errorf("squad: no split %q (dev is \"valid\")", split)
	}
	var buf bytes.Buffer
	loss, err := t.predict(&buf)
	if err != nil {
		return nil, err
	}
	t.lastPredictions = buf.Bytes()
	return train.Metrics{"loss": loss}, nil
}

// Predict writes the official predictions JSON of dev ({"question id": "answer"}).
func (t *Task[T]) Predict(split string, w io.Writer) error {
	if split != "valid" {
		return fmt.Errorf("squad: no split %q (dev is \"valid\")", split)
	}
	if p := t.lastPredictions; p != nil {
		t.lastPredictions = nil
		_, err := w.Write(p)
		return err
	}
	_, err := t.predict(w)
	return err
}

// Score computes the official EM and F1 (percent) of predictions on dev.
func (t *Task[T]) Score(split string, predictions io.Reader) (train.Metrics, error) {
	if split != "valid" {
		return nil, fmt.Errorf("squad: no split %q (dev is \"valid\")", split)
	}
	preds, err := score.ReadSQuADPredictions(predictions, "predictions")
	if err != nil {
		return nil, err
	}
	r, err := score.SQuAD(t.scoring, preds)
	if err != nil {
		return nil, err
	}
	return train.Metrics{"exact_match": r.ExactMatch, "f1": r.F1}, nil
}

// predict runs the reader over dev, writes the predictions JSON and returns the mean loss.
func (t *Task[T]) predict(w io.Writer) (float64, error) {
	g := t.evalG
	answers := make(map[string]string, len(t.valid.prep.Questions))
	var lossSum float64
	lossN := 0
	for _, qs := range t.evalBatches {
		b := makeBatch[T](t.valid, qs)
		g.Reset()
		start, end := t.model.forward(g, b)
		for k, s := range [][]int32{b.starts, b.ends} {
			logits := start
			if k == 1 {
				logits = end
			}
			_, sum, n := g.CrossEntropyStats(logits, s, nil, -1)
			lossSum += sum
			if k == 0 {
				lossN += int(n)
			}
		}
		t.startHost = growTo(t.startHost, b.B*b.Lp)
		t.endHost = growTo(t.endHost, b.B*b.Lp)
		t.dev.Download(t.startHost, start.Data)
		t.dev.Download(t.endHost, end.Data)
		for k, qi := range qs {
			q := &t.valid.prep.Questions[qi]
			par := &t.valid.prep.Paragraphs[q.Paragraph]
			n := len(par.Tokens)
			if n == 0 {
				answers[q.ID] = ""
				continue
			}
			first, last := BestSpan(t.startHost[k*b.Lp:(k+1)*b.Lp], t.endHost[k*b.Lp:(k+1)*b.Lp], n, t.cfg.MaxSpan)
			answers[q.ID] = par.Context[par.Tokens[first].Start:par.Tokens[last].End]
		}
	}
	g.Reset()
	if err := t.dev.Sync(); err != nil {
		return 0, fmt.Errorf("squad: predict: %w", err)
	}
	out, err := json.Marshal(answers)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(append(out, '\n')); err != nil {
		return 0, err
	}
	return lossSum / float64(max(lossN, 1)), nil
}

func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Labels describe the run.
func (t *Task[T]) Labels() map[string]string {
	return map[string]string{"task": "squad", "model": t.cfg.Model, "train_file": t.trainFile.describe()}
}

// Stats describe the task's data.
func (t *Task[T]) Stats() Stats { return t.stats }
