package speech

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomLogSoftmax is a [frames, classes] matrix of log-softmax rows.
func randomLogSoftmax(rng *rand.Rand, frames, classes int, scale float64) []float64 {
	out := make([]float64, frames*classes)
	for t := range frames {
		row := out[t*classes : (t+1)*classes]
		sum := 0.0
		for c := range row {
			row[c] = scale * rng.NormFloat64()
			sum += math.Exp(row[c])
		}
		for c := range row {
			row[c] -= math.Log(sum)
		}
	}
	return out
}

// collapse is the CTC many-to-one map: repeats merged, then blanks dropped.
func collapse(path []int, blank int) []int {
	out := []int{}
	prev := -1
	for _, c := range path {
		if c != prev && c != blank {
			out = append(out, c)
		}
		prev = c
	}
	return out
}

// exhaustive enumerates every path of the matrix and returns, per collapsed label sequence,
// the log of its summed path probabilities, and the single most probable path.
func exhaustive(logProbs []float64, frames, classes, blank int) (map[string]float64, []int) {
	sums := map[string]float64{}
	path := make([]int, frames)
	var bestPath []int
	best := math.Inf(-1)
	var walk func(t int, lp float64)
	walk = func(t int, lp float64) {
		if t == frames {
			k := prefixKey(collapse(path, blank))
			if old, ok := sums[k]; ok {
				sums[k] = logAddExp(old, lp)
			} else {
				sums[k] = lp
			}
			if lp > best {
				best, bestPath = lp, slices.Clone(path)
			}
			return
		}
		for c := range classes {
			path[t] = c
			walk(t+1, lp+logProbs[t*classes+c])
		}
	}
	walk(0, 0)
	return sums, bestPath
}

// TestPrefixBeamSearchExhaustive holds prefix beam search against the enumeration of every
// path on tiny alphabets: with a beam wide enough to keep every prefix, every hypothesis's
// probability is the exhaustive sum for its labels, the best hypothesis is the most probable
// label sequence, and the probabilities of all sequences add up to 1. Greedy decoding is the
// most probable path, collapsed.
func TestPrefixBeamSearchExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 60 {
		frames, classes := 1+trial%6, 2+trial%3
		blank := trial % classes
		scale := []float64{0.5, 2, 5}[trial%3]
		lp := randomLogSoftmax(rng, frames, classes, scale)
		sums, bestPath := exhaustive(lp, frames, classes, blank)

		hyps := PrefixBeamSearch(lp, frames, classes, blank, 1<<20)
		if len(hyps) != len(sums) {
			t.Fatalf("trial %d: %d hypotheses, %d distinct label sequences", trial, len(hyps), len(sums))
		}
		total := math.Inf(-1)
		for _, h := range hyps {
			want, ok := sums[prefixKey(h.Labels)]
			if !ok || math.Abs(h.LogProb-want) > 1e-12 {
				t.Fatalf("trial %d: %v has log-probability %.15g, exhaustive %.15g (found %v)", trial, h.Labels, h.LogProb, want, ok)
			}
			total = logAddExp(total, h.LogProb)
		}
		if math.Abs(total) > 1e-12 {
			t.Errorf("trial %d: probabilities sum to exp(%g)", trial, total)
		}
		bestKey, bestLP := "", math.Inf(-1)
		for k, v := range sums {
			if v > bestLP {
				bestKey, bestLP = k, v
			}
		}
		if prefixKey(hyps[0].Labels) != bestKey || math.Abs(hyps[0].LogProb-bestLP) > 1e-12 {
			t.Errorf("trial %d: best %v (%g), exhaustive best %q (%g)", trial, hyps[0].Labels, hyps[0].LogProb, bestKey, bestLP)
		}
		// A narrow beam returns at most beam hypotheses, most probable first, each no more
		// probable than its exact sum.
		narrow := PrefixBeamSearch(lp, frames, classes, blank, 2)
		if len(narrow) > 2 || (len(narrow) == 2 && narrow[0].LogProb < narrow[1].LogProb) {
			t.Errorf("trial %d: beam 2 gave %v", trial, narrow)
		}
		for _, h := range narrow {
			if h.LogProb > sums[prefixKey(h.Labels)]+1e-12 {
				t.Errorf("trial %d: beam 2: %v scores %g above its exact %g", trial, h.Labels, h.LogProb, sums[prefixKey(h.Labels)])
			}
		}
		if g := GreedyCTC(lp, frames, classes, blank); !slices.Equal(g, collapse(bestPath, blank)) {
			t.Errorf("trial %d: greedy %v, best path %v collapsed %v", trial, g, bestPath, collapse(bestPath, blank))
		}
	}
}

// TestPrefixBeamSearchBeatsGreedy: a case where the best path and the best label sequence
// differ. Two frames, classes {blank, a}: P(blank) = 0.6 in each frame, so the best path is
// blank blank (0.36, empty), while "a" gathers a·a, a·blank and blank·a (0.16 + 0.24 + 0.24).
func TestPrefixBeamSearchBeatsGreedy(t *testing.T) {
	l6, l4 := math.Log(0.6), math.Log(0.4)
	lp := []float32{float32(l6), float32(l4), float32(l6), float32(l4)}
	if g := GreedyCTC(lp, 2, 2, 0); len(g) != 0 {
		t.Errorf("greedy %v, want empty", g)
	}
	hyps := PrefixBeamSearch(lp, 2, 2, 0, 4)
	if !slices.Equal(hyps[0].Labels, []int{1}) || math.Abs(hyps[0].LogProb-math.Log(0.64)) > 1e-6 {
		t.Errorf("beam best %v %g, want [1] log 0.64", hyps[0].Labels, math.Exp(hyps[0].LogProb))
	}
	// Repeats need a blank: "a a" only through a·blank·a.
	lp3 := make([]float64, 0, 6)
	for range 3 {
		lp3 = append(lp3, math.Log(0.5), math.Log(0.5))
	}
	for _, h := range PrefixBeamSearch(lp3, 3, 2, 0, 10) {
		if slices.Equal(h.Labels, []int{1, 1}) && math.Abs(h.LogProb-math.Log(0.125)) > 1e-12 {
			t.Errorf("[1 1]: probability %g, want 0.125", math.Exp(h.LogProb))
		}
	}
	if h := PrefixBeamSearch([]float64{}, 0, 3, 0, 5); len(h) != 1 || len(h[0].Labels) != 0 || h[0].LogProb != 0 {
		t.Errorf("no frames: %v", h)
	}
}

// BenchmarkPrefixBeamSearch decodes 100 frames of 11 classes (digit words) with beam 8.
func BenchmarkPrefixBeamSearch(b *testing.B) {
	lp := randomLogSoftmax(rand.New(rand.NewPCG(1, 1)), 100, 11, 3)
	for b.Loop() {
		PrefixBeamSearch(lp, 100, 11, 0, 8)
	}
}

// prefixKey is a map key for a label sequence.
func prefixKey(labels []int) string { return fmt.Sprint(labels) }
