package squad

import (
	"math"

	"github.com/gosru/gosru/kernels"
)

// BestSpan returns the span (first, last) of the n scored positions that maximises
// start[first] + end[last] with first ≤ last ≤ first + maxSpan − 1 and last < n: the answer of
// largest P(start)·P(end) when the scores are log-probabilities (or unnormalised logits of one
// softmax each), as DrQA decodes. It is one O(n·maxSpan) scan; ties go to the earliest start,
// then the shortest span.
func BestSpan[T kernels.Float](start, end []T, n, maxSpan int) (first, last int) {
	best := math.Inf(-1)
	for i := 0; i < n; i++ {
		si := float64(start[i])
		for j := i; j < min(n, i+maxSpan); j++ {
			if v := si + float64(end[j]); v > best {
				best, first, last = v, i, j
			}
		}
	}
	return first, last
}
