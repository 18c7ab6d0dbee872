package speech

import (
	"fmt"
	"math"
	"sort"
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

// prefixTrie holds the label prefixes met during a search as nodes of a trie: node 0 is the
// empty prefix, and every other node is its parent's prefix extended by its label.
type prefixTrie struct {
	classes  int
	parent   []int32
	label    []int32
	depth    []int32
	children [][]int32 // per node, the child of each class (-1: none yet); nil until needed
}

func newPrefixTrie(classes int) *prefixTrie {
	return &prefixTrie{classes: classes, parent: []int32{-1}, label: []int32{-1}, depth: []int32{0}, children: [][]int32{nil}}
}

// child returns the node of prefix n extended by label c, creating it if needed.
func (tr *prefixTrie) child(n int32, c int) int32 {
	kids := tr.children[n]
	if kids == nil {
		kids = make([]int32, tr.classes)
		for i := range kids {
			kids[i] = -1
		}
		tr.children[n] = kids
	}
	if kids[c] < 0 {
		kids[c] = int32(len(tr.parent))
		tr.parent = append(tr.parent, n)
		tr.label = append(tr.label, int32(c))
		tr.depth = append(tr.depth, tr.depth[n]+1)
		tr.children = append(tr.children, nil)
	}
	return kids[c]
}

// labels is the label sequence of node n.
func (tr *prefixTrie) labels(n int32) []int {
	out := make([]int, tr.depth[n])
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = int(tr.label[n])
		n = tr.parent[n]
	}
	return out
}

// prefixScores are a prefix's log-probabilities over the paths so far that end in a blank and
// that end in its last label.
type prefixScores struct {
	node            int32
	blank, nonBlank float64
	total           float64 // logAddExp(blank, nonBlank), set before sorting
}

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
	tr := newPrefixTrie(classes)
	beams := []prefixScores{{node: 0, blank: 0, nonBlank: negInf, total: 0}}
	var next []prefixScores
	slot := map[int32]int{} // node → its index in next
	get := func(node int32) *prefixScores {
		i, ok := slot[node]
		if !ok {
			i = len(next)
			slot[node] = i
			next = append(next, prefixScores{node: node, blank: negInf, nonBlank: negInf})
		}
		return &next[i]
	}
	for t := range frames {
		row := logProbs[t*classes : (t+1)*classes]
		next = next[:0]
		clear(slot)
		for _, p := range beams {
			q := get(p.node)
			q.blank = logAddExp(q.blank, p.total+float64(row[blank]))
			last := int(tr.label[p.node]) // -1 for the empty prefix
			for c := range classes {
				if c == blank {
					continue
				}
				lp := float64(row[c])
				extended := get(tr.child(p.node, c))
				if c == last {
					// The same label again: a new occurrence only after a blank, otherwise
					// the path stays on the current prefix.
					extended.nonBlank = logAddExp(extended.nonBlank, p.blank+lp)
					q = get(p.node) // next may have grown
					q.nonBlank = logAddExp(q.nonBlank, p.nonBlank+lp)
				} else {
					extended.nonBlank = logAddExp(extended.nonBlank, p.total+lp)
				}
			}
		}
		beams = beams[:0]
		for _, p := range next {
			p.total = logAddExp(p.blank, p.nonBlank)
			if !math.IsInf(p.total, -1) { // unreachable, e.g. a repeat without a blank yet
				beams = append(beams, p)
			}
		}
		sortPrefixes(tr, beams)
		if len(beams) > beam {
			beams = beams[:beam]
		}
	}
	out := make([]Hypothesis, len(beams))
	for i, p := range beams {
		out[i] = Hypothesis{Labels: tr.labels(p.node), LogProb: p.total}
	}
	return out
}

// sortPrefixes orders prefixes by probability, most probable first, then by label sequence
// so that the order does not depend on map iteration.
func sortPrefixes(tr *prefixTrie, ps []prefixScores) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].total != ps[j].total {
			return ps[i].total > ps[j].total
		}
		return lessLabels(tr.labels(ps[i].node), tr.labels(ps[j].node))
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
