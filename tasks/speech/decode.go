package speech

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// realNumber is the element type of the per-frame scores the decoders read.
type realNumber interface{ ~float32 | ~float64 }

// checkScores panics on a [T, C] matrix that does not match its dimensions or a blank out of
// range: programmer errors.
func checkScores(n, frames, classes, blank int) {
	if frames < 0 || classes < 1 || n != frames*classes {
		panic(fmt.Sprintf("speech: ctc decode: %d scores for %d frames × %d classes", n, frames, classes))
	}
	if blank < 0 || blank >= classes {
		panic(fmt.Sprintf("speech: ctc decode: blank %d outside [0, %d)", blank, classes))
	}
}

// GreedyCTC decodes per-frame scores (a row-major [frames, classes] matrix: log-probabilities,
// or anything with the same argmax) by best path: the argmax class of each frame (the lowest
// class on a tie), repeats collapsed, blanks dropped.
func GreedyCTC[T realNumber](scores []T, frames, classes, blank int) []int {
	checkScores(len(scores), frames, classes, blank)
	labels := []int{}
	prev := -1
	for t := range frames {
		row := scores[t*classes : (t+1)*classes]
		best := 0
		for c := 1; c < classes; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if best != prev && best != blank {
			labels = append(labels, best)
		}
		prev = best
	}
	return labels
}

// Hypothesis is a label sequence with its log-probability under the CTC model: the log of the
// summed probabilities of the frame paths that collapse to it (as far as the beam kept them).
type Hypothesis struct {
	Labels  []int
	LogProb float64
}

// prefixScores are a prefix's log-probabilities over the paths so far that end in a blank and
// that end in its last label.
type prefixScores struct {
	labels          []int
	blank, nonBlank float64
}

func (p *prefixScores) total() float64 { return logAddExp(p.blank, p.nonBlank) }

func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// PrefixBeamSearch decodes per-frame log-probabilities (a row-major [frames, classes] matrix,
// each row a log-softmax) by CTC prefix beam search: it keeps the `beam` most probable label
// prefixes after each frame, each scored by the total probability of the paths that collapse
// to it, split between the paths ending in a blank and those ending in the prefix's last label
// (so that a repeated label needs a blank between its two occurrences). It returns the final
// prefixes, most probable first (ties by label sequence), at most beam of them. With a beam
// at least the number of distinct prefixes the search is exact. Prefixes of probability 0 are
// dropped (none is returned when every path has probability 0). Without frames it returns the
// empty sequence with log-probability 0. A beam below 1 panics.
func PrefixBeamSearch[T realNumber](logProbs []T, frames, classes, blank, beam int) []Hypothesis {
	checkScores(len(logProbs), frames, classes, blank)
	if beam < 1 {
		panic(fmt.Sprintf("speech: ctc prefix beam search: beam %d < 1", beam))
	}
	negInf := math.Inf(-1)
	beams := []*prefixScores{{labels: []int{}, blank: 0, nonBlank: negInf}}
	for t := range frames {
		row := logProbs[t*classes : (t+1)*classes]
		next := map[string]*prefixScores{}
		get := func(labels []int) *prefixScores {
			k := prefixKey(labels)
			p, ok := next[k]
			if !ok {
				p = &prefixScores{labels: labels, blank: negInf, nonBlank: negInf}
				next[k] = p
			}
			return p
		}
		for _, p := range beams {
			total := p.total()
			q := get(p.labels)
			q.blank = logAddExp(q.blank, total+float64(row[blank]))
			last := -1
			if n := len(p.labels); n > 0 {
				last = p.labels[n-1]
			}
			for c := range classes {
				if c == blank {
					continue
				}
				lp := float64(row[c])
				extended := get(append(p.labels[:len(p.labels):len(p.labels)], c))
				if c == last {
					// The same label again: a new occurrence only after a blank, otherwise
					// the path stays on the current prefix.
					extended.nonBlank = logAddExp(extended.nonBlank, p.blank+lp)
					q.nonBlank = logAddExp(q.nonBlank, p.nonBlank+lp)
				} else {
					extended.nonBlank = logAddExp(extended.nonBlank, total+lp)
				}
			}
		}
		beams = beams[:0]
		for _, p := range next {
			if !math.IsInf(p.total(), -1) { // unreachable, e.g. a repeat without a blank yet
				beams = append(beams, p)
			}
		}
		sortPrefixes(beams)
		if len(beams) > beam {
			beams = beams[:beam]
		}
	}
	out := make([]Hypothesis, len(beams))
	for i, p := range beams {
		out[i] = Hypothesis{Labels: p.labels, LogProb: p.total()}
	}
	return out
}

// sortPrefixes orders prefixes by probability, most probable first, then by label sequence
// so that the order does not depend on map iteration.
func sortPrefixes(ps []*prefixScores) {
	totals := make(map[*prefixScores]float64, len(ps))
	for _, p := range ps {
		totals[p] = p.total()
	}
	sort.Slice(ps, func(i, j int) bool {
		ti, tj := totals[ps[i]], totals[ps[j]]
		if ti != tj {
			return ti > tj
		}
		return lessLabels(ps[i].labels, ps[j].labels)
	})
}

func lessLabels(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func prefixKey(labels []int) string {
	var b strings.Builder
	for _, l := range labels {
		b.WriteString(strconv.Itoa(l))
		b.WriteByte(',')
	}
	return b.String()
}
