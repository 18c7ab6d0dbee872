package squad

import (
	"fmt"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/classification"
)

// embeddingTable is the initial [V·D] table of the vocabulary: the pretrained vector of each
// word vecs has (vecs may be nil), N(0, 1) elsewhere (nn.Embedding's init, as DrQA leaves the
// words without a vector; std scales it). It also returns how many rows were pretrained.
func embeddingTable[T kernels.Float](v *vocabulary, vecs *classification.Vectors, D int, std float64, rng *rand.Rand) ([]T, int) {
	table := make([]T, len(v.words)*D)
	found := 0
	for i, w := range v.words {
		row := table[i*D : (i+1)*D]
		var pre []float32
		if vecs != nil && i > 0 {
			pre = vecs.Vector(w)
		}
		for k := range row {
			if pre != nil {
				row[k] = T(pre[k])
			} else {
				row[k] = T(rng.NormFloat64() * std)
			}
		}
		if pre != nil {
			found++
		}
	}
	return table, found
}

// loadVectors reads the vectors of the words of train and dev from the file cfg names.
func loadVectors(cfg Config, train, dev *Prepared) (*classification.Vectors, error) {
	words := map[string]bool{}
	for _, p := range []*Prepared{train, dev} {
		for _, par := range p.Paragraphs {
			for _, t := range par.Tokens {
				words[t.Text] = true
			}
		}
		for _, q := range p.Questions {
			for _, w := range q.Words {
				words[w] = true
			}
		}
	}
	vecs, err := classification.LoadVectors(cfg.Embeddings, func(w string) bool { return words[w] })
	if err != nil {
		return nil, fmt.Errorf("squad: %w", err)
	}
	if vecs.Dim != cfg.EmbeddingDim {
		return nil, fmt.Errorf("squad: %s has %d-d vectors but embedding_dim is %d", cfg.Embeddings, vecs.Dim, cfg.EmbeddingDim)
	}
	return vecs, nil
}
