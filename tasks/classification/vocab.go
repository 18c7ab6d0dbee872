package classification

import (
	"slices"

	"github.com/gosru/gosru/kernels"
)

// Unknown is the word of row 0 of the embedding table: every word outside the vocabulary.
// Padding has no row: it is the id -1, which nn.Embedding turns into a zero vector.
const Unknown = "<unk>"

// Vocab maps words to rows of the embedding table.
type Vocab struct {
	Words []string
	Index map[string]int32
}

// BuildVocab indexes the words of the training examples in order of first appearance, after
// Unknown. extra words (those of the other splits that have a pretrained vector) follow.
func BuildVocab(train []Example, extra []string) *Vocab {
	v := &Vocab{Index: map[string]int32{}}
	v.add(Unknown)
	for _, ex := range train {
		for _, w := range ex.Words {
			v.add(w)
		}
	}
	for _, w := range extra {
		v.add(w)
	}
	return v
}

func (v *Vocab) add(w string) {
	if _, ok := v.Index[w]; !ok {
		v.Index[w] = int32(len(v.Words))
		v.Words = append(v.Words, w)
	}
}

// ID is the row of w (0 for an unknown word).
func (v *Vocab) ID(w string) int32 { return v.Index[w] } // the zero value is Unknown's row

// batch is one prebuilt batch: time-major ids with right padding, the labels and the device
// masks the model reads. Nothing about it changes after New.
type batch[T kernels.Float] struct {
	L, B   int
	ids    []int32 // [L·B], index t·B + b; -1 = padding
	labels []int32 // [B]
	// pad is 1 at padding ([L, B]); last is 0 only at each sentence's last real step, so that a
	// masked mean over time picks that step's output.
	pad, last kernels.Buf[T]
}

// makeBatches cuts examples into batches of size at most bs, grouping sentences of similar
// length when sortByLength (a stable sort, so ties keep the shuffled order). A sentence longer
// than maxLen (> 0) is cut to its first maxLen words; an empty one is one padding step that
// the masks skip (it is classified from the biases alone).
func makeBatches[T kernels.Float](dev kernels.Device[T], exs []Example, v *Vocab, bs, maxLen int, sortByLength bool) []batch[T] {
	length := func(ex Example) int {
		if maxLen > 0 {
			return min(len(ex.Words), maxLen)
		}
		return len(ex.Words)
	}
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	if sortByLength {
		slices.SortStableFunc(order, func(a, b int) int { return length(exs[a]) - length(exs[b]) })
	}
	var out []batch[T]
	for lo := 0; lo < len(order); lo += bs {
		idx := order[lo:min(lo+bs, len(order))]
		B, L := len(idx), 1
		for _, i := range idx {
			L = max(L, length(exs[i]))
		}
		b := batch[T]{L: L, B: B, ids: make([]int32, L*B), labels: make([]int32, B)}
		pad, last := make([]T, L*B), make([]T, L*B)
		for j, i := range idx {
			ex := exs[i]
			n := length(ex)
			b.labels[j] = ex.Label
			for t := 0; t < L; t++ {
				k := t*B + j
				last[k] = 1
				if t < n {
					b.ids[k] = v.ID(ex.Words[t])
				} else {
					b.ids[k], pad[k] = -1, 1
				}
			}
			if n > 0 {
				last[(n-1)*B+j] = 0
			}
		}
		b.pad, b.last = dev.Alloc(L*B), dev.Alloc(L*B)
		dev.Upload(b.pad, pad)
		dev.Upload(b.last, last)
		out = append(out, b)
	}
	return out
}
