package squad

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gosru/gosru/kernels"
)

// corpus is a prepared split in ids: vocabulary ids for the embedding, and interned forms
// (cased, lower-cased, stemmed) of every word for the exact-match features.
type corpus struct {
	prep *Prepared
	// features is the layout of the passage words' features in a batch.
	features featureLayout
	// tuneRows is the number of trained embedding rows when the rest are fixed pretrained
	// vectors (ids ≥ tuneRows index the fixed table, less tuneRows); 0 when all are trained.
	tuneRows int32
	// per paragraph
	docIDs                     [][]int32
	docCased, docLower, docStm [][]int32
	docTF                      [][]float32
	docPOS, docNER             [][]uint8 // tag slots (PreparedParagraph.POS, NER); nil when off
	// per question
	qIDs                 [][]int32
	qCased, qLower, qStm [][]int32
}

// vocabulary maps words to embedding rows; row 0 is <unk>. Words are ordered by their count
// in the training questions (most frequent first, then by count in all training text, then
// alphabetically), so that the first rows are the question words tune_partial trains.
type vocabulary struct {
	words []string
	index map[string]int32
}

// buildVocab holds the training words seen at least minCount times, and the words for which
// extra is true (dev words with a pretrained vector; extra may be nil).
func buildVocab(train, dev *Prepared, minCount int, extra func(string) bool) *vocabulary {
	counts, qCounts := map[string]int{}, map[string]int{}
	for _, p := range train.Paragraphs {
		for _, t := range p.Tokens {
			counts[t.Text]++
		}
	}
	for _, q := range train.Questions {
		for _, w := range q.Words {
			counts[w]++
			qCounts[w]++
		}
	}
	v := &vocabulary{words: []string{"<unk>"}, index: map[string]int32{"<unk>": 0}}
	keep := map[string]bool{}
	for w, n := range counts {
		if n >= minCount || extra != nil && extra(w) {
			keep[w] = true
		}
	}
	if extra != nil {
		for _, p := range dev.Paragraphs {
			for _, t := range p.Tokens {
				if extra(t.Text) {
					keep[t.Text] = true
				}
			}
		}
		for _, q := range dev.Questions {
			for _, w := range q.Words {
				if extra(w) {
					keep[w] = true
				}
			}
		}
	}
	words := make([]string, 0, len(keep))
	for w := range keep {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		return cmp.Or(cmp.Compare(qCounts[b], qCounts[a]), cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	for _, w := range words {
		v.index[w] = int32(len(v.words))
		v.words = append(v.words, w)
	}
	return v
}

func (v *vocabulary) id(w string) int32 { return v.index[w] } // 0 (<unk>) when absent

// interner gives each distinct string an id, for fast equality in the features.
type interner map[string]int32

func (in interner) id(s string) int32 {
	if id, ok := in[s]; ok {
		return id
	}
	id := int32(len(in))
	in[s] = id
	return id
}

// newCorpus is the prepared split p in ids, its passage words with the features of layout
// (the POS and NER tags come from p, which must hold those asked for).
func newCorpus(p *Prepared, v *vocabulary, in interner, layout featureLayout) *corpus {
	c := &corpus{prep: p, features: layout}
	forms := func(words []string) (ids, cased, lower, stm []int32) {
		for _, w := range words {
			ids = append(ids, v.id(w))
			cased = append(cased, in.id(w))
			lower = append(lower, in.id(strings.ToLower(w)))
			stm = append(stm, in.id(Stem(w)))
		}
		return
	}
	for _, par := range p.Paragraphs {
		words := make([]string, len(par.Tokens))
		for i, t := range par.Tokens {
			words[i] = t.Text
		}
		ids, cased, lower, stm := forms(words)
		counts := map[int32]int{}
		for _, l := range lower {
			counts[l]++
		}
		tf := make([]float32, len(lower))
		for i, l := range lower {
			tf[i] = float32(counts[l]) / float32(len(lower))
		}
		c.docIDs, c.docCased, c.docLower, c.docStm = append(c.docIDs, ids), append(c.docCased, cased), append(c.docLower, lower), append(c.docStm, stm)
		c.docTF = append(c.docTF, tf)
		c.docPOS, c.docNER = append(c.docPOS, par.POS), append(c.docNER, par.NER)
	}
	for _, q := range p.Questions {
		ids, cased, lower, stm := forms(q.Words)
		c.qIDs, c.qCased, c.qLower, c.qStm = append(c.qIDs, ids), append(c.qCased, cased), append(c.qLower, lower), append(c.qStm, stm)
	}
	return c
}

// featureLayout is which features follow a passage word's vectors, in this order: the
// manual ones (NumFeatures), the one-hot POS tag (NumPOS), the one-hot NER type (NumNER).
type featureLayout struct {
	manual, pos, ner bool
}

// width is the number of feature values of a passage word.
func (l featureLayout) width() int {
	w := 0
	if l.manual {
		w += NumFeatures
	}
	if l.pos {
		w += NumPOS
	}
	if l.ner {
		w += NumNER
	}
	return w
}

// batch is a batch of questions on the host: time-major ids ([L, B], -1 = padding), the
// passage words' features [Lp, B, corpus.features.width()] (zero on padding), lengths, the
// padding bias of the scores [B, Lp] and the answer spans (-1: none).
type batch[T kernels.Float] struct {
	B, Lp, Lq    int
	questions    []int32
	docIDs, qIDs []int32
	// docFixed and qFixed index the fixed pretrained table (-1: a trained row or padding);
	// nil when every row is trained.
	docFixed, qFixed []int32
	features         []T
	docLens, qLens   []int
	qLens32          []int32
	padBias          []T
	starts, ends     []int32
}

// padScore is the score of a padded position: far below any real score, so that its
// probability is exactly 0, and finite in float32.
const padScore = -1e20

func makeBatch[T kernels.Float](c *corpus, questions []int32) *batch[T] {
	b := &batch[T]{B: len(questions), questions: questions}
	for _, qi := range questions {
		q := &c.prep.Questions[qi]
		b.Lp = max(b.Lp, len(c.docIDs[q.Paragraph]))
		b.Lq = max(b.Lq, len(q.Words))
	}
	B, Lp, Lq := b.B, max(b.Lp, 1), max(b.Lq, 1)
	b.Lp, b.Lq = Lp, Lq
	b.docIDs, b.qIDs = make([]int32, Lp*B), make([]int32, Lq*B)
	if c.tuneRows > 0 {
		b.docFixed, b.qFixed = make([]int32, Lp*B), make([]int32, Lq*B)
	}
	width := c.features.width()
	b.features = make([]T, Lp*B*width)
	b.padBias = make([]T, B*Lp)
	for k, qi := range questions {
		q := &c.prep.Questions[qi]
		pi := q.Paragraph
		doc, qw := c.docIDs[pi], c.qIDs[qi]
		b.docLens, b.qLens = append(b.docLens, len(doc)), append(b.qLens, len(qw))
		b.qLens32 = append(b.qLens32, int32(len(qw)))
		b.starts, b.ends = append(b.starts, q.First), append(b.ends, q.Last)
		for t := 0; t < Lq; t++ {
			b.qIDs[t*B+k] = -1
			if t < len(qw) {
				b.qIDs[t*B+k] = qw[t]
			}
		}
		for t := 0; t < Lp; t++ {
			b.docIDs[t*B+k] = -1
			if t >= len(doc) {
				b.padBias[k*Lp+t] = padScore
				continue
			}
			b.docIDs[t*B+k] = doc[t]
			f := b.features[(t*B+k)*width:][:width]
			if c.features.manual {
				f[0] = boolValue[T](slices.Contains(c.qCased[qi], c.docCased[pi][t]))
				f[1] = boolValue[T](slices.Contains(c.qLower[qi], c.docLower[pi][t]))
				f[2] = boolValue[T](slices.Contains(c.qStm[qi], c.docStm[pi][t]))
				f[3] = T(c.docTF[pi][t])
				f = f[NumFeatures:]
			}
			if c.features.pos {
				f[c.docPOS[pi][t]] = 1
				f = f[NumPOS:]
			}
			if c.features.ner {
				f[c.docNER[pi][t]] = 1
			}
		}
	}
	splitFixed(b.qIDs, b.qFixed, c.tuneRows)
	splitFixed(b.docIDs, b.docFixed, c.tuneRows)
	return b
}

// splitFixed moves the ids of fixed rows (≥ tuneRows) from ids to fixed, less tuneRows.
func splitFixed(ids, fixed []int32, tuneRows int32) {
	if fixed == nil {
		return
	}
	for i, id := range ids {
		fixed[i] = -1
		if id >= tuneRows {
			fixed[i], ids[i] = id-tuneRows, -1
		}
	}
}

func boolValue[T kernels.Float](b bool) T {
	if b {
		return 1
	}
	return 0
}

// bucket sorts questions by context length (ties broken at random when rng is given, else by
// index) and cuts them into batches of size; the loop shuffles the order of the batches.
func bucket(c *corpus, questions []int32, size int, rng *rand.Rand) [][]int32 {
	type keyed struct {
		q     int32
		n     int
		noise uint64
	}
	ks := make([]keyed, len(questions))
	for i, q := range questions {
		ks[i] = keyed{q: q, n: len(c.docIDs[c.prep.Questions[q].Paragraph])}
		if rng != nil {
			ks[i].noise = rng.Uint64()
		}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.noise, b.noise), cmp.Compare(a.q, b.q))
	})
	var batches [][]int32
	for i := 0; i < len(ks); i += size {
		bs := make([]int32, 0, size)
		for _, k := range ks[i:min(i+size, len(ks))] {
			bs = append(bs, k.q)
		}
		batches = append(batches, bs)
	}
	return batches
}
