package lm

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// SampleOptions control Generate.
type SampleOptions struct {
	// Words is how many words to sample.
	Words int
	// Temperature divides the logits before the softmax; 0 picks the most likely word.
	Temperature float64
	Seed        uint64
	// Prime is text the model reads first (white-space separated words; a word outside the
	// vocabulary is <unk>); "" starts after an <eos>, at the beginning of a sentence.
	Prime string
}

// Generate samples text from the model with its current parameters: it reads the prime, then
// draws each word from the softmax and feeds it back, carrying the state on one stream. The
// prime and the sampled words go to w, separated by spaces, with a line break for <eos>.
func (t *Task[T]) Generate(w io.Writer, o SampleOptions) error {
	if o.Words < 0 || o.Temperature < 0 || math.IsNaN(o.Temperature) {
		return fmt.Errorf("lm: generate: words and temperature must be >= 0")
	}
	v := t.corpus.Vocab
	prime := strings.Fields(o.Prime)
	ids := make([]int32, 0, len(prime)+1)
	if len(prime) == 0 {
		id, ok := v.ID(EOS)
		if !ok {
			return fmt.Errorf("lm: generate: the vocabulary has no %s to start from", EOS)
		}
		ids = append(ids, id)
	}
	for _, word := range prime {
		id, ok := v.ID(word)
		if !ok {
			if id, ok = v.ID(unk); !ok {
				return fmt.Errorf("lm: generate: prime word %q is not in the vocabulary", word)
			}
		}
		ids = append(ids, id)
	}
	bw := bufio.NewWriter(w)
	out := newWordWriter(bw)
	if len(prime) > 0 {
		for _, id := range ids {
			out.write(v.Words[id])
		}
	}
	g := nn.NewGraph[T](t.dev, nil)
	g.NoGrad = true
	st := t.model.newCarry(t.dev, 1)
	st.reset(t.dev)
	rng := rand.New(rand.NewPCG(o.Seed, 0x73616d706c65)) // "sample"
	V := len(v.Words)
	logits := make([]T, V)
	probs := make([]float64, V)
	for range o.Words {
		g.Reset()
		y := t.model.forward(g, ids, len(ids), 1, st)
		t.dev.Download(logits, y.Data.Slice(y.Len()-V, y.Len()))
		next := sample(logits, probs, o.Temperature, rng)
		out.write(v.Words[next])
		ids = append(ids[:0], next)
	}
	g.Reset()
	if err := t.dev.Sync(); err != nil {
		return fmt.Errorf("lm: generate: %w", err)
	}
	out.end()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("lm: generate: %w", err)
	}
	return out.err
}

// sample draws an index from softmax(logits / temperature), or takes the argmax when the
// temperature is 0.
func sample[T kernels.Float](logits []T, probs []float64, temperature float64, rng *rand.Rand) int32 {
	best := 0
	for i, x := range logits {
		if x > logits[best] {
			best = i
		}
	}
	if temperature == 0 {
		return int32(best)
	}
	hi := float64(logits[best])
	var sum float64
	for i, x := range logits {
		probs[i] = math.Exp((float64(x) - hi) / temperature)
		sum += probs[i]
	}
	u := rng.Float64() * sum
	for i, p := range probs {
		if u < p {
			return int32(i)
		}
		u -= p
	}
	return int32(best) // rounding left u just above the last bucket
}

// wordWriter writes words separated by spaces, turning <eos> into a line break.
type wordWriter struct {
	w         *bufio.Writer
	lineStart bool
	err       error
}

func newWordWriter(w *bufio.Writer) *wordWriter { return &wordWriter{w: w, lineStart: true} }

func (o *wordWriter) write(word string) {
	if o.err != nil {
		return
	}
	switch {
	case word == EOS:
		_, o.err = o.w.WriteString("\n")
		o.lineStart = true
		return
	case !o.lineStart:
		_, o.err = o.w.WriteString(" ")
	}
	if o.err == nil {
		_, o.err = o.w.WriteString(word)
	}
	o.lineStart = false
}

// end finishes an unfinished line.
func (o *wordWriter) end() {
	if !o.lineStart && o.err == nil {
		_, o.err = o.w.WriteString("\n")
	}
}
