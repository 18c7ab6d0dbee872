package speech

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/gosru/gosru/nn"
)

// BatchesByLength groups utterances of the given frame counts into batches of similar
// lengths, so that little of a batch is padding: the indices sorted by length (ties by
// index), cut whenever a batch would exceed maxUtterances utterances or maxPaddedFrames
// padded frames (utterances × the longest; a single longer utterance still gets its own
// batch). With rng the order of the batches is shuffled (a training epoch); without it they
// run from the shortest to the longest.
func BatchesByLength(lengths []int, maxUtterances, maxPaddedFrames int, rng *rand.Rand) [][]int {
	if maxUtterances < 1 || maxPaddedFrames < 1 {
		panic(fmt.Sprintf("speech: batches of at most %d utterances and %d frames", maxUtterances, maxPaddedFrames))
	}
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] < lengths[order[b]] })
	var batches [][]int
	var cur []int
	for _, i := range order {
		// Sorted ascending, so the newcomer is the longest of the batch.
		if len(cur) > 0 && (len(cur)+1 > maxUtterances || (len(cur)+1)*lengths[i] > maxPaddedFrames) {
			batches = append(batches, cur)
			cur = nil
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	if rng != nil {
		rng.Shuffle(len(batches), func(a, b int) { batches[a], batches[b] = batches[b], batches[a] })
	}
	return batches
}

// TranscribeSet decodes every utterance of a set with the model, batch by batch (batches of
// indices into feats, e.g. BatchesByLength's), on g without recording (g.NoGrad is set for
// the call and restored), and returns the transcripts in the order of feats: greedy when
// beam ≤ 1, else prefix beam search.
func (m *AcousticModel[T]) TranscribeSet(g *nn.Graph[T], feats []*Features, batches [][]int, inv *Inventory, beam int) []string {
	if inv.NumClasses() != m.classes {
		panic(fmt.Sprintf("speech: a model of %d classes decoded with inventory %s of %d", m.classes, inv.Name, inv.NumClasses()))
	}
	noGrad, training := g.NoGrad, g.Training
	g.NoGrad, g.Training = true, false
	defer func() { g.NoGrad, g.Training = noGrad, training }()
	out := make([]string, len(feats))
	done := 0
	batch := []*Features{}
	for _, idx := range batches {
		batch = batch[:0]
		for _, i := range idx {
			batch = append(batch, feats[i])
		}
		g.Reset()
		x, L, lengths := m.BatchInput(batch)
		lp := m.Forward(g, g.FromHost(x, L+m.cfg.Delay, len(batch), m.inputDim), lengths)
		host := make([]T, lp.Len())
		g.Dev.Download(host, lp.Data)
		for j, labels := range Transcribe(host, L, len(batch), m.classes, lengths, beam) {
			out[idx[j]] = inv.Decode(labels)
			done++
		}
	}
	g.Reset()
	if done != len(feats) {
		panic(fmt.Sprintf("speech: the batches hold %d utterances, the set %d", done, len(feats)))
	}
	return out
}

// SentenceAccuracy is the fraction of hypotheses equal to their reference: isolated-digit
// accuracy when each utterance is one word.
func SentenceAccuracy(refs, hyps []string) (float64, error) {
	if len(refs) != len(hyps) || len(refs) == 0 {
		return 0, fmt.Errorf("speech: accuracy of %d hypotheses against %d references", len(hyps), len(refs))
	}
	right := 0
	for i := range refs {
		if refs[i] == hyps[i] {
			right++
		}
	}
	return float64(right) / float64(len(refs)), nil
}
