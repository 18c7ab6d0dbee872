package lm

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzReadTokens feeds arbitrary bytes to the Penn Treebank reader and the corpus builder: no
// panic; one <eos> per line; no empty or space-holding word; every id within the vocabulary;
// the text as valid and test maps back to the same words. The seed corpus is in
// testdata/fuzz/FuzzReadTokens.
func FuzzReadTokens(f *testing.F) {
	f.Add([]byte(" the cat sat \n on the <unk> mat\n"))
	f.Add([]byte("no newline at the end"))
	f.Add([]byte("\n\n\r\n\t \x00 \xff\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		words, err := ReadTokens(bytes.NewReader(data))
		if err != nil {
			return // a line over the scanner's 16 MiB limit
		}
		lines := bytes.Count(data, []byte{'\n'})
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		eos := 0
		for _, w := range words {
			if w == EOS {
				eos++
			}
			if w == "" || len(bytes.Fields([]byte(w))) != 1 {
				t.Fatalf("word %q", w)
			}
		}
		if eos < lines { // a word of the text may itself be <eos>
			t.Fatalf("%d <eos> for %d lines", eos, lines)
		}
		c, err := NewCorpus(words, words, words)
		if err != nil {
			t.Fatal(err)
		}
		back := make([]string, len(c.Valid))
		for i, id := range c.Valid {
			if id < 0 || int(id) >= len(c.Vocab.Words) {
				t.Fatalf("id %d outside a vocabulary of %d", id, len(c.Vocab.Words))
			}
			back[i] = c.Vocab.Words[id]
		}
		if !slices.Equal(back, words) || !slices.Equal(c.Train, c.Test) {
			t.Fatal("the corpus does not map back to its words")
		}
	})
}
