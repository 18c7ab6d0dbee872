package speech

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/score"
	"github.com/gosru/gosru/train"
)

// Task is one speech recognition run: a corpus's features, its batches and an acoustic model
// trained with the CTC loss. It implements train.Task, train.EpochBeginner (training batches
// are re-bucketed by length every epoch), train.Predictor (`id transcript` lines) and
// train.Scorer (WER, CER and sentence accuracy from those lines, with package score).
//
// The splits: "test" is the corpus's test set; "valid" is ValidFraction of the corpus's
// training utterances, drawn with ValidSeed and held out from training (for connected
// digits these are held-out strings, whose recordings other training strings may also use).
// The model is selected on the valid WER (or loss: Config.Selection).
type Task[T kernels.Float] struct {
	cfg   Config
	dev   kernels.Device[T]
	ps    *nn.Params[T]
	model *AcousticModel[T]
	inv   *Inventory
	dim   int
	spec  SpecAugment
	stats Stats

	sets        map[string][]taskUtterance[T] // "train", "valid", "test"
	evalBatches map[string][][]int
	batches     [][]int // this epoch's training batches

	evalG *nn.Graph[T]
	// Host buffers reused from batch to batch.
	x       []T
	lengths []int
	targets [][]int32
	augment Features
	scalar  []T
}

// taskUtterance is one utterance ready for batching: its features as rows of T.
type taskUtterance[T kernels.Float] struct {
	id, transcript string
	frames         int
	data           []T // frames × dim, row-major
	targets        []int32
}

// Stats describe a task's data.
type Stats struct {
	Corpus             string
	Train, Valid, Test int // utterances
	// TrainFrames is the number of (stacked) training frames; Hours the training audio.
	TrainFrames int
	Hours       float64
	// InfeasibleTrain counts training utterances with fewer frames than their labels need
	// (skipped by the loss: zero_infinity).
	InfeasibleTrain int
	Classes         int
	InputDim        int
}

var (
	_ train.Task[float32]        = (*Task[float32])(nil)
	_ train.EpochBeginner        = (*Task[float32])(nil)
	_ train.Scorer               = (*Task[float32])(nil)
	_ train.Task[float64]        = (*Task[float64])(nil)
	_ train.EpochBeginner        = (*Task[float64])(nil)
	_ train.Scorer               = (*Task[float64])(nil)
	_ interface{ Stats() Stats } = (*Task[float32])(nil)
)

// LoadCorpus reads the section's corpus from dataDir ($SRU_DATA).
func LoadCorpus(cfg Config, dataDir string) (*Corpus, error) {
	switch cfg.Corpus {
	case CorpusYesNo:
		return LoadYesNo(dataDir)
	case CorpusConnectedDigits, CorpusIsolatedDigits:
		recs, err := LoadFSDD(dataDir)
		if err != nil {
			return nil, err
		}
		if cfg.Corpus == CorpusIsolatedDigits {
			return IsolatedDigits(recs, cfg.TestSpeaker)
		}
		return ConnectedDigits(recs, cfg.connectedDigits())
	}
	return nil, fmt.Errorf("speech: corpus %q", cfg.Corpus)
}

// New reads the corpus from dataDir and builds the task (see NewFromCorpus).
func New[T kernels.Float](cfg Config, dataDir string, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := LoadCorpus(cfg, dataDir)
	if err != nil {
		return nil, err
	}
	return NewFromCorpus(cfg, c, dev, seed)
}

// NewFromCorpus builds the task on a corpus: it holds out the validation utterances, computes
// every utterance's features once (CMVN fitted on the remaining training utterances), keeps
// them as rows of T (not the samples), and initialises the model from a generator seeded with
// seed. cfg.Corpus is only a label here.
func NewFromCorpus[T kernels.Float](cfg Config, c *Corpus, dev kernels.Device[T], seed uint64) (*Task[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	trainUtts, validUtts, err := holdOut(c.Train, cfg.ValidFraction, cfg.ValidSeed)
	if err != nil {
		return nil, fmt.Errorf("speech: %s: %w", c.Name, err)
	}
	fc := cfg.featureConfig()
	heldOut := append(append([]Utterance(nil), validUtts...), c.Test...)
	pf, err := PrepareFeatures(&Corpus{Name: c.Name, Train: trainUtts, Test: heldOut}, fc, cfg.Workers)
	if err != nil {
		return nil, fmt.Errorf("speech: %s: %w", c.Name, err)
	}
	t := &Task[T]{cfg: cfg, dev: dev, ps: nn.NewParams(dev), inv: c.Words, dim: fc.Dim(), spec: cfg.specAugment()}
	if cfg.Labels == "chars" {
		t.inv = c.Chars
	}
	t.stats = Stats{Corpus: c.Name, Classes: t.inv.NumClasses(), InputDim: t.dim}
	for _, u := range trainUtts {
		t.stats.Hours += u.Duration() / 3600
	}
	t.sets = map[string][]taskUtterance[T]{}
	for _, part := range []struct {
		split string
		utts  []Utterance
		feats []*Features
	}{{"train", trainUtts, pf.Train}, {"valid", validUtts, pf.Test[:len(validUtts)]}, {"test", c.Test, pf.Test[len(validUtts):]}} {
		set := make([]taskUtterance[T], len(part.utts))
		for i, u := range part.utts {
			f := part.feats[i]
			labels, err := t.inv.Encode(u.Transcript)
			if err != nil {
				return nil, fmt.Errorf("speech: %s: utterance %s: %w", c.Name, u.ID, err)
			}
			tu := taskUtterance[T]{id: u.ID, transcript: u.Transcript, frames: f.Frames, data: make([]T, len(f.Data)),
				targets: make([]int32, len(labels))}
			for k, v := range f.Data {
				tu.data[k] = T(v)
			}
			for k, l := range labels {
				tu.targets[k] = int32(l)
			}
			if part.split == "train" {
				t.stats.TrainFrames += f.Frames
				if !kernels.CTCFeasible(tu.targets, f.Frames) {
					t.stats.InfeasibleTrain++
				}
			}
			set[i] = tu
		}
		t.sets[part.split] = set
	}
	t.stats.Train, t.stats.Valid, t.stats.Test = len(trainUtts), len(validUtts), len(c.Test)

	rng := rand.New(rand.NewPCG(seed, 0x737065656368)) // "speech"
	if t.model, err = NewAcousticModel(t.ps, t.dim, t.inv.NumClasses(), cfg.Model, rng); err != nil {
		return nil, err
	}
	t.evalBatches = map[string][][]int{}
	for _, split := range []string{"valid", "test"} {
		t.evalBatches[split] = BatchesByLength(t.frameCounts(split), cfg.MaxUtterances, cfg.MaxFrames, nil)
	}
	t.batches = BatchesByLength(t.frameCounts("train"), cfg.MaxUtterances, cfg.MaxFrames, nil)
	t.evalG = nn.NewGraph[T](dev, nil)
	t.evalG.NoGrad = true
	t.scalar = make([]T, 1)
	return t, nil
}

// holdOut draws max(1, round(fraction·n)) of the utterances with a generator seeded by seed
// as the validation set (kept in corpus order); the rest train.
func holdOut(utts []Utterance, fraction float64, seed uint64) (train, valid []Utterance, err error) {
	n := len(utts)
	k := max(1, int(math.Round(fraction*float64(n))))
	if k >= n {
		return nil, nil, fmt.Errorf("%d training utterances leave none after holding out %d for validation", n, k)
	}
	perm := rand.New(rand.NewPCG(seed, 0x76616c6964)).Perm(n) // "valid"
	isValid := make([]bool, n)
	for _, i := range perm[:k] {
		isValid[i] = true
	}
	for i := range utts {
		if isValid[i] {
			valid = append(valid, utts[i])
		} else {
			train = append(train, utts[i])
		}
	}
	return train, valid, nil
}

func (t *Task[T]) frameCounts(split string) []int {
	set := t.sets[split]
	out := make([]int, len(set))
	for i := range set {
		out[i] = set[i].frames
	}
	return out
}

// Params are the acoustic model's parameters.
func (t *Task[T]) Params() *nn.Params[T] { return t.ps }

// Model is the acoustic model.
func (t *Task[T]) Model() *AcousticModel[T] { return t.model }

// Inventory is the label set the model outputs.
func (t *Task[T]) Inventory() *Inventory { return t.inv }

// Stats describe the task's data.
func (t *Task[T]) Stats() Stats { return t.stats }

// NumBatches is the number of training batches of the current epoch.
func (t *Task[T]) NumBatches() int { return len(t.batches) }

// Shuffle is true: the loop permutes the epoch's batches.
func (t *Task[T]) Shuffle() bool { return true }

// Selection picks the model of the lowest validation WER (or CTC loss: Config.Selection).
func (t *Task[T]) Selection() (string, bool) { return t.cfg.Selection, false }

// Splits are "valid" and "test".
func (t *Task[T]) Splits() []string { return []string{"valid", "test"} }

// BeginEpoch re-buckets the training utterances: they are shuffled with rng, then sorted by
// length (stable, so utterances of equal length land in different batches each epoch) and
// cut into batches (BatchesByLength), whose order is shuffled too.
func (t *Task[T]) BeginEpoch(epoch int, rng *rand.Rand) error {
	counts := t.frameCounts("train")
	perm := rng.Perm(len(counts))
	permuted := make([]int, len(counts))
	for i, j := range perm {
		permuted[i] = counts[j]
	}
	batches := BatchesByLength(permuted, t.cfg.MaxUtterances, t.cfg.MaxFrames, rng)
	for _, b := range batches {
		for k, i := range b {
			b[k] = perm[i]
		}
	}
	t.batches = batches
	return nil
}

// layout writes the utterances idx of a set as the model's time-major input [L+Delay, B,
// dim] into t.x (zeros past each utterance's end) and their frame counts into t.lengths, and
// their labels into t.targets. With rng, each utterance's copy is masked by SpecAugment,
// drawn in batch order.
func (t *Task[T]) layout(set []taskUtterance[T], idx []int, rng *rand.Rand) (x []T, L int) {
	B, D := len(idx), t.dim
	for _, i := range idx {
		L = max(L, set[i].frames)
	}
	n := (L + t.cfg.Model.Delay) * B * D
	if cap(t.x) < n {
		t.x = make([]T, n)
	}
	x = t.x[:n]
	clear(x)
	t.lengths, t.targets = t.lengths[:0], t.targets[:0]
	for b, i := range idx {
		u := &set[i]
		t.lengths = append(t.lengths, u.frames)
		t.targets = append(t.targets, u.targets)
		if rng != nil {
			masked := t.augmented(u, rng)
			for f := range u.frames {
				dst := x[(f*B+b)*D : (f*B+b+1)*D]
				for k, v := range masked[f*D : (f+1)*D] {
					dst[k] = T(v)
				}
			}
			continue
		}
		for f := range u.frames {
			copy(x[(f*B+b)*D:(f*B+b+1)*D], u.data[f*D:(f+1)*D])
		}
	}
	return x, L
}

// augmented is a SpecAugment-masked float64 copy of an utterance's features, in a buffer
// reused from utterance to utterance.
func (t *Task[T]) augmented(u *taskUtterance[T], rng *rand.Rand) []float64 {
	a := &t.augment
	a.Frames, a.Bins = u.frames, t.dim
	if cap(a.Data) < len(u.data) {
		a.Data = make([]float64, len(u.data))
	}
	a.Data = a.Data[:len(u.data)]
	for k, v := range u.data {
		a.Data[k] = float64(v)
	}
	t.spec.Apply(a, rng)
	return a.Data
}

func (t *Task[T]) augmenting() bool {
	s := t.spec
	return (s.FreqMasks > 0 && s.MaxFreqWidth > 0) || (s.TimeMasks > 0 && s.MaxTimeWidth > 0)
}

// ctcOptions is the training and evaluation loss: PyTorch's mean reduction, infeasible
// utterances skipped.
var ctcOptions = nn.CTCOptions{Blank: Blank, Reduction: nn.CTCMean, ZeroInfinity: true}

// Loss is the CTC loss of training batch i (mean over the batch of each utterance's loss over
// its label count), with SpecAugment drawn from g.RNG when enabled. Items are utterances.
func (t *Task[T]) Loss(g *nn.Graph[T], i int) (*nn.Tensor[T], int, error) {
	if i < 0 || i >= len(t.batches) {
		return nil, 0, fmt.Errorf("speech: batch %d of %d", i, len(t.batches))
	}
	idx := t.batches[i]
	var rng *rand.Rand
	if t.augmenting() && g.Training {
		if g.RNG == nil {
			return nil, 0, fmt.Errorf("speech: SpecAugment needs the graph's RNG")
		}
		rng = g.RNG
	}
	x, L := t.layout(t.sets["train"], idx, rng)
	logits := t.model.Logits(g, g.FromHost(x, L+t.cfg.Model.Delay, len(idx), t.dim), t.lengths)
	loss, _ := g.CTCLoss(logits, t.targets, t.lengths, ctcOptions)
	return loss, len(idx), nil
}

// Evaluate returns the mean CTC loss of a split ("valid" or "test") and the number of its
// utterances whose alignment is infeasible (counted as loss 0).
func (t *Task[T]) Evaluate(split string) (train.Metrics, error) {
	set, ok := t.sets[split]
	if !ok || split == "train" {
		return nil, fmt.Errorf("speech: no evaluation split %q", split)
	}
	g := t.evalG
	var sum float64
	infeasible := 0
	for _, idx := range t.evalBatches[split] {
		g.Reset()
		x, L := t.layout(set, idx, nil)
		logits := t.model.Logits(g, g.FromHost(x, L+t.cfg.Model.Delay, len(idx), t.dim), t.lengths)
		loss, bad := g.CTCLoss(logits, t.targets, t.lengths, ctcOptions)
		t.dev.Download(t.scalar, loss.Data)
		sum += float64(t.scalar[0]) * float64(len(idx))
		infeasible += bad
	}
	g.Reset()
	if err := t.dev.Sync(); err != nil {
		return nil, fmt.Errorf("speech: evaluate %s: %w", split, err)
	}
	return train.Metrics{"loss": sum / float64(len(set)), "infeasible": float64(infeasible)}, nil
}

// Transcripts decodes every utterance of a split ("train", "valid" or "test") with the
// current parameters, greedy or with the configured beam, in the split's order.
func (t *Task[T]) Transcripts(split string) ([]string, error) {
	set, ok := t.sets[split]
	if !ok {
		return nil, fmt.Errorf("speech: no split %q", split)
	}
	batches := t.evalBatches[split]
	if batches == nil {
		batches = BatchesByLength(t.frameCounts(split), t.cfg.MaxUtterances, t.cfg.MaxFrames, nil)
	}
	g := t.evalG
	out := make([]string, len(set))
	var host []T
	C := t.model.NumClasses()
	for _, idx := range batches {
		g.Reset()
		x, L := t.layout(set, idx, nil)
		lp := t.model.Forward(g, g.FromHost(x, L+t.cfg.Model.Delay, len(idx), t.dim), t.lengths)
		if cap(host) < lp.Len() {
			host = make([]T, lp.Len())
		}
		host = host[:lp.Len()]
		t.dev.Download(host, lp.Data)
		for j, labels := range Transcribe(host, L, len(idx), C, t.lengths, t.cfg.Beam) {
			out[idx[j]] = t.inv.Decode(labels)
		}
	}
	g.Reset()
	if err := t.dev.Sync(); err != nil {
		return nil, fmt.Errorf("speech: transcribe %s: %w", split, err)
	}
	return out, nil
}

// Predict writes one `id transcript` line per utterance of the split, in its order.
func (t *Task[T]) Predict(split string, w io.Writer) error {
	hyps, err := t.Transcripts(split)
	if err != nil {
		return err
	}
	var b strings.Builder
	for i, u := range t.sets[split] {
		b.WriteString(u.id)
		b.WriteByte(' ')
		b.WriteString(hyps[i])
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// References are the split's `id transcript` pairs, for scoring.
func (t *Task[T]) References(split string) ([]score.Transcript, error) {
	set, ok := t.sets[split]
	if !ok {
		return nil, fmt.Errorf("speech: no split %q", split)
	}
	refs := make([]score.Transcript, len(set))
	for i, u := range set {
		refs[i] = score.Transcript{ID: u.id, Text: u.transcript, Line: i + 1}
	}
	return refs, nil
}

// Score reads `id transcript` predictions of a split and returns its word and character
// error rates ("wer", "cer", as fractions) and the fraction of utterances transcribed exactly
// ("sentence_accuracy": isolated-digit accuracy on the isolated digits). An utterance without
// a prediction counts as an empty transcript.
func (t *Task[T]) Score(split string, predictions io.Reader) (train.Metrics, error) {
	refs, err := t.References(split)
	if err != nil {
		return nil, err
	}
	hyps, err := score.ReadTranscripts(predictions, split+" predictions", true)
	if err != nil {
		return nil, err
	}
	p, err := score.PairTranscripts(refs, hyps)
	if err != nil {
		return nil, err
	}
	wer, err := score.WER(p.Refs, p.Hyps)
	if err != nil {
		return nil, err
	}
	cer, err := score.CER(p.Refs, p.Hyps)
	if err != nil {
		return nil, err
	}
	norm := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = strings.Join(strings.Fields(s), " ")
		}
		return out
	}
	acc, err := SentenceAccuracy(norm(p.Refs), norm(p.Hyps))
	if err != nil {
		return nil, err
	}
	return train.Metrics{"wer": wer.Rate(), "cer": cer.Rate(), "sentence_accuracy": acc}, nil
}

// Labels describe the run for comparisons and summaries.
func (t *Task[T]) Labels() map[string]string {
	split := "official"
	if t.cfg.TestSpeaker != "" {
		split = "loso-" + t.cfg.TestSpeaker
	}
	if t.cfg.Corpus == CorpusYesNo {
		split = "kaldi"
	}
	dir := "uni"
	if t.cfg.Model.Bidirectional {
		dir = "bi"
	}
	return map[string]string{"task": "speech", "corpus": t.cfg.Corpus, "split": split, "model": t.cfg.Model.Encoder,
		"direction": dir, "labels": t.cfg.Labels}
}
