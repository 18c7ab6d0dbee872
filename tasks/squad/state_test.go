package squad

import (
	"strings"
	"testing"
)

// TestVocabularyStateRefusesAnother: a checkpoint's vocabulary fingerprint loads into a task
// with the same vocabulary and is refused, with a message, by one whose words differ or are
// ordered differently.
func TestVocabularyStateRefusesAnother(t *testing.T) {
	vocab := func(words ...string) *vocabulary {
		v := &vocabulary{index: map[string]int32{}}
		for _, w := range words {
			v.index[w] = int32(len(v.words))
			v.words = append(v.words, w)
		}
		return v
	}
	trained := &Task[float32]{vocab: vocab("<unk>", "the", "river")}
	state, err := trained.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Task[float32]{vocab: vocab("<unk>", "the", "river")}).LoadState(state); err != nil {
		t.Errorf("same vocabulary refused: %v", err)
	}
	for _, other := range [][]string{{"<unk>", "river", "the"}, {"<unk>", "the", "river", "delta"}} {
		err := (&Task[float32]{vocab: vocab(other...)}).LoadState(state)
		if err == nil || !strings.Contains(err.Error(), "another vocabulary") {
			t.Errorf("vocabulary %v: got %v, want a refusal", other, err)
		}
	}
	if err := trained.LoadState([]byte("{")); err == nil {
		t.Errorf("a corrupt state was accepted")
	}
}
