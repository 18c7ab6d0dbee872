package squad

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/train"
)

// benchShape is the size of a benchmark batch, measured on the training set of SQuAD v1.1
// (train-v1.1.reconstructed.json.gz tokenised by Tokenize; the questions training keeps, cut
// into batches of 32 by bucket): the medians over batches of the longest passage (Lp) and the
// longest question (Lq) and the median question. (A batch of the training set touches a median
// of 544 distinct word ids, as it holds the questions of few passages, those of equal length;
// a batch of benchCorpus touches about 570.)
type benchShape struct {
	Lp, Lq, medianQuestion int
}

// benchVocab is the vocabulary of the training set with min_count 1 (<unk> included).
const benchVocab = 95726

// A step's cost grows about linearly with Lp, so an epoch takes about
// questions / (questions/s) · mean Lp / median Lp.
var benchShapes = map[string]benchShape{
	// max_train_context = 300: 85,443 questions, 2,671 batches; the mean Lp is 139.4
	"cpu": {Lp: 131, Lq: 20, medianQuestion: 11},
	// every training question: 87,147 questions, 2,724 batches; the mean Lp is 143.8
	"paper": {Lp: 132, Lq: 20, medianQuestion: 11},
}

// questionsPerPassage is about the number of SQuAD questions on one passage.
const questionsPerPassage = 5

// benchReaders are the readers BenchmarkComponents times at each size, by the name of their
// experiment file, squad_<name>_<size>.toml; a name starts with the model it trains. The CPU
// size adds the readers whose SRU drops its input only between layers (3 + 2 and 5 + 3
// layers), the 5 + 3 one with the 2018 cell, and the 5 + 3 one with its masks where the
// LSTM's are.
var benchReaders = map[string][]string{
	"cpu":   {"sru", "lstm", "sru_drop1", "sru_deep_drop1", "sru_deep_v2_drop1", "sru_deep_between"},
	"paper": {"sru", "lstm"},
}

// benchExperiment reads experiments/squad/squad_<name>_<size>.toml with the experiment
// loader, so that the benchmark times the size and settings that are trained, and fails when
// the file is not the reader it claims to be.
func benchExperiment(b testing.TB, name, size string) (Config, train.Config) {
	path := filepath.Join("..", "..", "experiments", "squad", "squad_"+name+"_"+size+".toml")
	model, _, _ := strings.Cut(name, "_")
	e, err := experiments.Load(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, ok := experiments.Section[Config](e)
	switch {
	case e.Task != "squad" || !ok:
		b.Fatalf("%s is task %q, not squad", path, e.Task)
	case cfg.Model != model:
		b.Fatalf("%s trains %q, not %q", path, cfg.Model, model)
	case cfg.Embeddings != "":
		b.Fatalf("%s uses fixed pretrained vectors; the benchmark trains every row", path)
	case e.Precision != "float32":
		b.Fatalf("%s trains in %s; the benchmark runs float32", path, e.Precision)
	case e.Train.Optimizer != "adamax":
		b.Fatalf("%s optimises with %q; the benchmark runs Adamax", path, e.Train.Optimizer)
	}
	return cfg, e.Train
}

// benchCorpus is a corpus of B synthetic questions with the lengths of a median batch:
// passages of Lp-3..Lp words (a bucket's passages are nearly equal), questionsPerPassage
// questions on each, questions around the median length, the longest Lq. Word ids follow a
// Zipf law over the vocabulary (so a batch touches about as many embedding rows as a real
// one); half the question words come from the passage, so the exact-match features fire.
func benchCorpus(s benchShape, B, vocab int, layout featureLayout, rng *rand.Rand) (*corpus, []int32) {
	c := &corpus{prep: &Prepared{}, features: layout}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(vocab-1))
	for p := 0; p*questionsPerPassage < B; p++ {
		n := s.Lp - rng.IntN(4)
		if p == 0 {
			n = s.Lp
		}
		doc := make([]int32, n)
		tf := make([]float32, n)
		for t := range doc {
			doc[t] = int32(zipf.Uint64())
		}
		for t, id := range doc {
			tf[t] = float32(countOf(doc, id)) / float32(n)
		}
		// The interned forms are the ids themselves: equal ids, equal words.
		c.docIDs, c.docCased, c.docLower, c.docStm = append(c.docIDs, doc), append(c.docCased, doc), append(c.docLower, doc), append(c.docStm, doc)
		c.docTF = append(c.docTF, tf)
		if layout.pos || layout.ner { // random tags (no draws otherwise: the batch stays as it was)
			pos, ner := make([]uint8, n), make([]uint8, n)
			for t := range n {
				pos[t], ner[t] = uint8(rng.IntN(NumPOS)), uint8(rng.IntN(NumNER))
			}
			c.docPOS, c.docNER = append(c.docPOS, pos), append(c.docNER, ner)
		}
	}
	qs := make([]int32, B)
	for k := range B {
		p := k / questionsPerPassage
		doc := c.docIDs[p]
		nq := min(s.Lq, max(1, s.medianQuestion-4+rng.IntN(9)))
		if k == 0 {
			nq = s.Lq
		}
		q := make([]int32, nq)
		for t := range q {
			q[t] = int32(zipf.Uint64())
			if rng.IntN(2) == 0 {
				q[t] = doc[rng.IntN(len(doc))]
			}
		}
		first := int32(rng.IntN(len(doc)))
		last := min(first+int32(rng.IntN(4)), int32(len(doc)-1))
		c.qIDs, c.qCased, c.qLower, c.qStm = append(c.qIDs, q), append(c.qCased, q), append(c.qLower, q), append(c.qStm, q)
		c.prep.Questions = append(c.prep.Questions, PreparedQuestion{Paragraph: int32(p), Words: make([]string, nq), First: first, Last: last})
		qs[k] = int32(k)
	}
	return c, qs
}

func countOf(s []int32, v int32) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// benchReader is one reader set up for the benchmark: the model, its optimizer and a batch.
type benchReader struct {
	model    string // the experiment name (sru, lstm, sru_drop1, ...)
	cfg      Config
	clip     float64
	dev      kernels.Device[float32]
	ps       *nn.Params[float32]
	m        *model[float32]
	opt      nn.Optimizer
	g        *nn.Graph[float32]
	c        *corpus
	qs       []int32
	b        *batch[float32]
	docWidth int
	// stats holds the loss and the squared gradient norm, downloaded together as training does.
	stats     kernels.Buf[float32]
	statsHost []float32
}

func newBenchReader(b *testing.B, dev kernels.Device[float32], name, size string) *benchReader {
	cfg, tc := benchExperiment(b, name, size)
	rng := rand.New(rand.NewPCG(1, 2))
	r := &benchReader{model: name, cfg: cfg, clip: tc.ClipGradNorm, dev: dev, ps: nn.NewParams(dev)}
	table, _ := embeddingTable[float32](&vocabulary{words: make([]string, benchVocab)}, nil, cfg.EmbeddingDim, cfg.EmbeddingStd, rng)
	var err error
	if r.m, err = newModel(r.ps, cfg, table, 0, rng); err != nil {
		b.Fatal(err)
	}
	r.opt = nn.NewAdamax(r.ps, nn.AdamConfig{LR: tc.LR, Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: tc.AdamEps, WeightDecay: tc.WeightDecay})
	r.g = nn.NewGraph(dev, rng)
	r.g.Training = true
	r.c, r.qs = benchCorpus(benchShapes[size], cfg.BatchSize, benchVocab, cfg.featureLayout(), rng)
	r.b = makeBatch[float32](r.c, r.qs)
	r.docWidth = cfg.EmbeddingDim + cfg.featureLayout().width()
	if cfg.AlignedEmbedding {
		r.docWidth += cfg.EmbeddingDim
	}
	r.stats, r.statsHost = dev.Alloc(2), make([]float32, 2)
	return r
}

// rnn runs the passage and the question encoders forward (every layer's output concatenated
// when the reader does, with the reader's dropouts around them) and backward from a constant
// output gradient, with gradients of their inputs, as inside a training step.
func (r *benchReader) rnn() {
	g, b, D := r.g, r.b, r.cfg.EmbeddingDim
	input := func(L, cols int) *nn.Tensor[float32] {
		t := g.New(L, b.B, cols)
		r.dev.Fill(t.Data, 0.1)
		t.NeedsGrad = true
		return t
	}
	docIn, qIn := input(b.Lp, r.docWidth), input(b.Lq, D)
	docH, qH := r.m.encoders(g, b, docIn, qIn)
	// The seeds are written in full: no need to zero them first.
	dDoc, _ := g.GradInit(docH)
	dQ, _ := g.GradInit(qH)
	r.dev.Fill(dDoc, 1e-3)
	r.dev.Fill(dQ, 1e-3)
	g.BackwardFrom()
}

// step is one training step as the training loop runs it on a loaded batch: zeroing the
// gradients, the reader's loss, backward, the gradient norm clipped on the device with the
// loss and the norm downloaded together, and the Adamax update.
func (r *benchReader) step() {
	r.ps.ZeroGrad()
	loss := r.m.loss(r.g, r.b)
	r.g.Backward(loss)
	host := r.statsHost[:1]
	if r.clip > 0 {
		r.dev.Copy(r.stats.Slice(0, 1), loss.Data)
		ss := r.stats.Slice(1, 2)
		r.dev.Fill(ss, 0)
		nn.ClipGradNormOnDevice(r.ps, r.clip, ss)
		host = r.statsHost
		r.dev.Download(host, r.stats)
	} else {
		r.dev.Download(host, loss.Data)
	}
	r.opt.Step()
}

// BenchmarkComponents splits a SQuAD training step of the DrQA reader into the time in the
// RNN and the rest (the two columns of DrQA's SRU timing), for the readers of benchReaders
// (experiments/squad/squad_<name>_<size>.toml), sizes cpu and paper, on a batch of 32
// questions of the median batch length of the training set (benchShapes). Per model it
// reports the medians of
//
//	rnn    the passage and question encoder stacks, forward and backward (inputs needing
//	       gradients, every layer's output concatenated when the reader does)
//	step   the whole training step: zeroing the gradients, embeddings and dropout, the aligned
//	       question embedding, the features' upload, both encoders, the question's
//	       self-attention merge, the bilinear start/end scores, the loss, backward, gradient
//	       clipping and the Adamax update
//	rest   step − rnn of the same iteration
//	batch  building the batch on the host (ids, features, masks); training does it in a
//	       prefetching goroutine beside the step, so it is not part of step
//
// and questions/s of the step, with the LSTM/SRU ratios of rnn and step. The SRU and the LSTM
// reader run in the same iterations, every part once per iteration, so that a change in the
// machine's load shifts both alike. Seconds per epoch: see benchShapes.
//
//	go test -run - -bench Components/cpu -benchtime 20x ./tasks/squad
//
// BenchmarkComponentsCUDA (cuda_bench_test.go, built with the cuda tag) times the same on the
// GPU.
func BenchmarkComponents(b *testing.B) {
	benchComponents(b, kernels.MustCPU[float32]())
}

// benchComponents is BenchmarkComponents on dev, bound to each size's goroutine
// (kernels.Bind).
func benchComponents(b *testing.B, dev kernels.Device[float32]) {
	for _, size := range []string{"cpu", "paper"} {
		var readers []*benchReader // made on the first run of the size only
		b.Run(size, func(b *testing.B) {
			if err := kernels.Bind(dev); err != nil {
				b.Fatal(err)
			}
			if readers == nil {
				for _, name := range benchReaders[size] {
					readers = append(readers, newBenchReader(b, dev, name, size))
				}
			}
			type part struct {
				name string
				r    *benchReader
				run  func()
			}
			var parts []part
			for _, r := range readers {
				parts = append(parts,
					part{"rnn", r, r.rnn},
					part{"step", r, r.step},
					part{"batch", r, func() { r.b = makeBatch[float32](r.c, r.qs) }})
			}
			once := func(p part) time.Duration {
				p.r.g.Reset()
				if p.name != "step" { // the step zeroes the gradients itself, as in training
					p.r.ps.ZeroGrad()
				}
				t0 := time.Now()
				p.run()
				if err := p.r.dev.Sync(); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			for _, p := range parts { // warm the arenas
				once(p)
			}
			times := make([][]time.Duration, len(parts))
			b.ResetTimer()
			for range b.N {
				for i, p := range parts {
					times[i] = append(times[i], once(p))
				}
			}
			b.StopTimer()
			median := func(d []time.Duration) float64 {
				d = slices.Clone(d)
				slices.Sort(d)
				return d[len(d)/2].Seconds()
			}
			rnn, step := map[string]float64{}, map[string]float64{}
			for i := 0; i < len(parts); i += 3 {
				r := parts[i].r
				rest := make([]time.Duration, b.N)
				for k := range rest {
					rest[k] = times[i+1][k] - times[i][k]
				}
				rnn[r.model], step[r.model] = median(times[i]), median(times[i+1])
				b.ReportMetric(1000*rnn[r.model], r.model+"-rnn-ms")
				b.ReportMetric(1000*median(rest), r.model+"-rest-ms")
				b.ReportMetric(1000*step[r.model], r.model+"-step-ms")
				b.ReportMetric(1000*median(times[i+2]), r.model+"-batch-ms")
				b.ReportMetric(float64(r.b.B)/step[r.model], r.model+"-questions/s")
			}
			b.ReportMetric(rnn["lstm"]/rnn["sru"], "lstm/sru-rnn")
			b.ReportMetric(step["lstm"]/step["sru"], "lstm/sru-step")
		})
	}
}

// TestComponentsBenchmarkSetup checks what BenchmarkComponents builds without timing it: every
// experiment file it reads is the reader it claims, and its batch has the measured shape.
func TestComponentsBenchmarkSetup(t *testing.T) {
	for size, shape := range benchShapes {
		for _, model := range benchReaders[size] {
			cfg, _ := benchExperiment(t, model, size)
			c, qs := benchCorpus(shape, cfg.BatchSize, benchVocab, cfg.featureLayout(), rand.New(rand.NewPCG(1, 2)))
			b := makeBatch[float32](c, qs)
			if b.B != 32 || b.Lp != shape.Lp || b.Lq != shape.Lq {
				t.Errorf("%s %s: batch of %d questions, Lp %d, Lq %d; want 32, %d, %d", size, model, b.B, b.Lp, b.Lq, shape.Lp, shape.Lq)
			}
		}
	}
}
