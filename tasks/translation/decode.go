package translation

import (
	"fmt"
	"math"
	"slices"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// maxOutput is the longest translation of a source of n tokens: 2n + 10 (EOS included).
func maxOutput(n int) int { return 2*n + 10 }

// decoder runs the model's decoder one step at a time off the tape for inference: the
// encoder states live in encG, each step's work in stepG (reset every step), the recurrent
// state in the Stepper's own buffers, and the input-feeding state in feed.
type decoder[T kernels.Float] struct {
	m            *model[T]
	dev          kernels.Device[T]
	encG, stepG  *nn.Graph[T]
	st           nn.Stepper[T]
	enc          encoded[T]
	feed         *nn.Tensor[T] // [rows, H] (input feeding only)
	rows         int
	logProbsHost []T
}

// newDecoder encodes the sources and starts the decoder. With beam > 1 every sentence's
// encoder states and initial state are repeated beam times (rows b·beam .. b·beam+beam−1).
func newDecoder[T kernels.Float](m *model[T], dev kernels.Device[T], src [][]int32, beam int) (*decoder[T], error) {
	d := &decoder[T]{m: m, dev: dev, encG: nn.NewGraph[T](dev, nil), stepG: nn.NewGraph[T](dev, nil)}
	d.encG.NoGrad, d.stepG.NoGrad = true, true
	var err error
	if d.st, err = m.dec.NewStepper(dev); err != nil {
		return nil, err
	}
	for i, s := range src {
		if len(s) == 0 {
			return nil, fmt.Errorf("translation: source sentence %d of the batch is empty", i)
		}
	}
	b := makeBatch(src, nil)
	g := d.encG
	d.enc = m.encode(g, b)
	d.rows = b.B * beam
	if beam > 1 {
		rep := make([]int32, d.rows)
		lens := make([]int32, d.rows)
		for r := range rep {
			rep[r] = int32(r / beam)
			lens[r] = b.srcLen32[r/beam]
		}
		d.enc.memory = selectBatch(g, d.enc.memory, rep)
		d.enc.lengths = g.Ints(lens)
		d.enc.init = selectState(g, d.enc.init, rep)
	}
	d.st.Start(g, d.rows, d.enc.init)
	if m.cfg.InputFeed {
		d.feed = g.Zeros(d.rows, m.cfg.Hidden)
	}
	return d, nil
}

// selectBatch picks rows of the batch axis (the second) of x [L, B, ...].
func selectBatch[T kernels.Float](g *nn.Graph[T], x *nn.Tensor[T], ids []int32) *nn.Tensor[T] {
	return g.TransposeLeading(g.SelectRows(g.TransposeLeading(x), ids))
}

func selectState[T kernels.Float](g *nn.Graph[T], s nn.RecurrentState[T], ids []int32) nn.RecurrentState[T] {
	var out nn.RecurrentState[T]
	if s.H != nil {
		out.H = selectBatch(g, s.H, ids)
	}
	if s.C != nil {
		out.C = selectBatch(g, s.C, ids)
	}
	return out
}

// step feeds one token per row and returns the host log-probabilities [rows, V] (logits when
// logSoftmax is false), valid until the next step.
func (d *decoder[T]) step(tokens []int32, logSoftmax bool) []T {
	m, g := d.m, d.stepG
	g.Reset()
	x := g.Embedding(m.tgtEmb, tokens)
	if d.feed != nil {
		x = g.Concat(x, d.feed)
	}
	h := d.st.Step(g, x)
	a := m.attend(g, g.Reshape(h, 1, d.rows, m.cfg.Hidden), d.enc)
	if d.feed != nil {
		d.dev.Copy(d.feed.Data, a.Data)
	}
	out := g.Reshape(m.logits(g, a), d.rows, m.outB.Len())
	if logSoftmax {
		out = g.LogSoftmax(out)
	}
	if len(d.logProbsHost) != out.Len() {
		d.logProbsHost = make([]T, out.Len())
	}
	d.dev.Download(d.logProbsHost, out.Data)
	return d.logProbsHost
}

// reorder makes row r continue from row parents[r] (beam search).
func (d *decoder[T]) reorder(parents []int32) {
	g := d.stepG
	g.Reset()
	init := selectState(g, d.st.State(), parents)
	if d.feed != nil {
		f := g.SelectRows(d.feed, parents)
		d.dev.Copy(d.feed.Data, f.Data)
	}
	d.st.Start(g, d.rows, init)
}

func (d *decoder[T]) release() {
	d.encG.Release()
	d.stepG.Release()
}

// generable says whether the decoder may emit id (never padding or BOS).
func generable(id int) bool { return id != PadID && id != BOSID }

// greedy translates each source by taking the most probable token at every step until EOS or
// the length limit (2·source + 10 tokens, EOS included); the EOS is not returned.
func greedy[T kernels.Float](m *model[T], dev kernels.Device[T], src [][]int32) ([][]int32, error) {
	d, err := newDecoder(m, dev, src, 1)
	if err != nil {
		return nil, err
	}
	defer d.release()
	B, V := len(src), m.outB.Len()
	out := make([][]int32, B)
	done := make([]bool, B)
	tokens := make([]int32, B)
	for b := range tokens {
		tokens[b] = BOSID
	}
	limit := 0
	for _, s := range src {
		limit = max(limit, maxOutput(len(s)))
	}
	for t := 0; t < limit; t++ {
		logits := d.step(tokens, false)
		left := 0
		for b := range B {
			if done[b] {
				tokens[b] = EOSID
				continue
			}
			row := logits[b*V : (b+1)*V]
			best := -1
			for v := range V {
				if generable(v) && (best < 0 || row[v] > row[best]) {
					best = v
				}
			}
			tokens[b] = int32(best)
			if best == EOSID {
				done[b] = true
				continue
			}
			out[b] = append(out[b], int32(best))
			if len(out[b]) >= maxOutput(len(src[b])) {
				done[b] = true
				continue
			}
			left++
		}
		if left == 0 {
			break
		}
	}
	if err := dev.Sync(); err != nil {
		return nil, fmt.Errorf("translation: decode: %w", err)
	}
	return out, nil
}

// hypothesis is a partial or finished translation in a beam.
type hypothesis struct {
	tokens []int32 // without BOS; a finished one ends with EOS unless cut at the limit
	score  float64 // sum of log-probabilities
}

// penalized is the ranking score of a finished hypothesis under a length penalty.
func penalized(h hypothesis, penalty string, alpha float64) float64 {
	n := float64(len(h.tokens))
	switch penalty {
	case "average":
		return h.score / max(n, 1)
	case "gnmt":
		return h.score / math.Pow((5+n)/6, alpha)
	}
	return h.score
}

// beamSearch translates each source with a beam of k hypotheses, run for all sentences at
// once (rows b·k .. b·k+k−1 of the decoder belong to sentence b). Each step takes, per
// sentence, the best 2k extensions of its live hypotheses: one that ends in EOS is finished
// and leaves the beam, the others refill the beam up to k. A sentence is done when k
// hypotheses have finished, when (without length penalty) no live hypothesis can beat the
// best finished one, or at the length limit (2·source + 10), where the live ones are taken
// as they are. The best finished hypothesis under the length penalty is returned, without
// its EOS.
func beamSearch[T kernels.Float](m *model[T], dev kernels.Device[T], src [][]int32, k int, penalty string, alpha float64) ([][]int32, error) {
	return beamSearchLimit(m, dev, src, k, penalty, alpha, maxOutput)
}

func beamSearchLimit[T kernels.Float](m *model[T], dev kernels.Device[T], src [][]int32, k int, penalty string, alpha float64,
	limitOf func(int) int) ([][]int32, error) {
	d, err := newDecoder(m, dev, src, k)
	if err != nil {
		return nil, err
	}
	defer d.release()
	B, V := len(src), m.outB.Len()
	alive := make([][]hypothesis, B)
	finished := make([][]hypothesis, B)
	done := make([]bool, B)
	for b := range B {
		alive[b] = []hypothesis{{}}
	}
	tokens := make([]int32, B*k)
	parents := make([]int32, B*k)
	for r := range tokens {
		tokens[r] = BOSID
	}
	type cand struct {
		parent int
		id     int32
		score  float64
	}
	var cands []cand
	for t := 0; ; t++ {
		left := false
		for b := range B {
			left = left || !done[b]
		}
		if !left {
			break
		}
		lp := d.step(tokens, true)
		for b := range B {
			if done[b] {
				for j := range k {
					tokens[b*k+j], parents[b*k+j] = EOSID, int32(b*k)
				}
				continue
			}
			// The best 2k extensions, best first; ties by parent then id (a total order, so
			// the search is deterministic): candidates come in (parent, id) order and an equal
			// score never overtakes.
			cands = cands[:0]
			for j, h := range alive[b] {
				row := lp[(b*k+j)*V : (b*k+j+1)*V]
				for v := range V {
					if !generable(v) {
						continue
					}
					sc := h.score + float64(row[v])
					if len(cands) == 2*k && sc <= cands[len(cands)-1].score {
						continue
					}
					at := len(cands)
					for at > 0 && cands[at-1].score < sc {
						at--
					}
					if len(cands) < 2*k {
						cands = append(cands, cand{})
					}
					copy(cands[at+1:], cands[at:len(cands)-1])
					cands[at] = cand{j, int32(v), sc}
				}
			}
			var next []hypothesis
			for _, c := range cands {
				if len(next) == k {
					break
				}
				toks := append(slices.Clone(alive[b][c.parent].tokens), c.id)
				h := hypothesis{toks, c.score}
				if c.id == EOSID {
					finished[b] = append(finished[b], h)
					continue
				}
				parents[b*k+len(next)] = int32(b*k + c.parent)
				tokens[b*k+len(next)] = c.id
				next = append(next, h)
			}
			alive[b] = next
			limit := limitOf(len(src[b]))
			switch {
			case len(finished[b]) >= k || len(next) == 0:
				done[b] = true
			case t+1 >= limit:
				finished[b] = append(finished[b], next...)
				done[b] = true
			case penalty == "none" && len(finished[b]) > 0:
				bestDone := finished[b][0].score
				for _, f := range finished[b] {
					bestDone = max(bestDone, f.score)
				}
				if next[0].score <= bestDone { // log-probabilities only fall from here
					done[b] = true
				}
			}
			for j := len(next); j < k; j++ { // idle rows
				tokens[b*k+j], parents[b*k+j] = EOSID, int32(b*k)
			}
		}
		d.reorder(parents)
	}
	if err := dev.Sync(); err != nil {
		return nil, fmt.Errorf("translation: beam search: %w", err)
	}
	out := make([][]int32, B)
	for b := range B {
		best, bestScore := -1, math.Inf(-1)
		for i, f := range finished[b] {
			if s := penalized(f, penalty, alpha); best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		if best >= 0 {
			out[b] = slices.DeleteFunc(slices.Clone(finished[b][best].tokens), func(id int32) bool { return id == EOSID })
		}
	}
	return out, nil
}
