package translation

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// example is one encoded training pair (subword ids without BOS/EOS).
type example struct {
	src, tgt []int32
}

// width is the padded length an example needs in a batch: the longer of the source and the
// target with its EOS (or BOS).
func (e example) width() int { return max(len(e.src), len(e.tgt)+1) }

// bucket groups examples into batches of at most budget tokens (sentences × the longest
// width, padding included; an example wider than the budget gets a batch of its own). order
// is the visiting order of the examples: they are sorted by source then target length, stably,
// so equal lengths keep that order, and then cut greedily.
func bucket(examples []example, order []int, budget int) [][]int {
	idx := slices.Clone(order)
	slices.SortStableFunc(idx, func(a, b int) int {
		ea, eb := examples[a], examples[b]
		return cmp.Or(cmp.Compare(len(ea.src), len(eb.src)), cmp.Compare(len(ea.tgt), len(eb.tgt)))
	})
	var batches [][]int
	var cur []int
	wide := 0
	for _, i := range idx {
		w := max(wide, examples[i].width())
		if len(cur) > 0 && (len(cur)+1)*w > budget {
			batches = append(batches, cur)
			cur, w = nil, examples[i].width()
		}
		cur = append(cur, i)
		wide = w
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches
}

// shuffledBuckets re-buckets with a fresh random order from rng (the run's RNG at the start of
// an epoch), so that examples of equal length meet other partners every epoch.
func shuffledBuckets(examples []example, budget int, rng *rand.Rand) [][]int {
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return bucket(examples, order, budget)
}
