package squad

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// The task's checkpointed state is a fingerprint of its vocabulary. The embedding table's rows
// follow the vocabulary's order, which the preprocessing determines; a checkpoint read by a
// build whose preprocessing gives another vocabulary would silently map rows to the wrong
// words, so loading refuses it instead.

// vocabState is what SaveState writes.
type vocabState struct {
	Words  int    `json:"words"`
	SHA256 string `json:"sha256"` // of the words in order, each followed by a newline
}

func (v *vocabulary) fingerprint() vocabState {
	h := sha256.New()
	for _, w := range v.words {
		h.Write([]byte(w))
		h.Write([]byte{'\n'})
	}
	return vocabState{Words: len(v.words), SHA256: hex.EncodeToString(h.Sum(nil))}
}

// StartEpoch does nothing: no state runs across batches.
func (t *Task[T]) StartEpoch() {}

// SaveState is the vocabulary's fingerprint.
func (t *Task[T]) SaveState() ([]byte, error) { return json.Marshal(t.vocab.fingerprint()) }

// LoadState checks that a checkpoint was trained with this task's vocabulary.
func (t *Task[T]) LoadState(data []byte) error {
	var saved vocabState
	if err := json.Unmarshal(data, &saved); err != nil {
		return fmt.Errorf("squad: checkpoint vocabulary: %w", err)
	}
	if now := t.vocab.fingerprint(); saved != now {
		return fmt.Errorf("squad: the checkpoint was trained on another vocabulary (%d words, sha256 %.12s…; "+
			"this build's preprocessing gives %d words, sha256 %.12s…): its embedding rows would map to the "+
			"wrong words; use the build that trained it, or train again", saved.Words, saved.SHA256, now.Words, now.SHA256)
	}
	return nil
}
