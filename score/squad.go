package score

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SQuADVersion is the dataset version the official v1.1 evaluation expects.
const SQuADVersion = "1.1"

// SQuADDataset is what the SQuAD evaluation needs from a dataset: its version and every
// question with its gold answers, in the order of the file (articles, paragraphs, questions).
type SQuADDataset struct {
	Version   string
	Questions []SQuADQuestion
}

// SQuADQuestion is one question: its id, the title of its article (for messages) and the
// texts of its gold answers.
type SQuADQuestion struct {
	ID      string
	Article string
	Answers []string
}

// SQuADResult is the outcome of [SQuAD].
type SQuADResult struct {
	// ExactMatch and F1 are percentages over every question of the dataset; a question
	// without a prediction scores 0.
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
	// Questions counts the dataset's questions; MissingIDs lists, in dataset order, those
	// without a prediction.
	Questions  int      `json:"num_questions"`
	MissingIDs []string `json:"missing_ids,omitempty"`
	// PerQuestion holds each question's scores in dataset order.
	PerQuestion []SQuADQuestionScore `json:"-"`
	// VersionMismatch is true when the dataset's version is not [SQuADVersion]; the official
	// script then warns and scores it anyway.
	VersionMismatch bool   `json:"-"`
	DatasetVersion  string `json:"-"`
}

// SQuADQuestionScore is one question's exact match (0 or 1) and F1 (0..1), each the maximum
// over the gold answers.
type SQuADQuestionScore struct {
	ID         string
	ExactMatch float64
	F1         float64
	Missing    bool
}

// SQuAD scores predictions (question id → answer text) against a dataset as the official
// SQuAD v1.1 evaluation does. Predictions for ids not in the dataset are ignored. It fails on
// a dataset without questions, or on a question that has a prediction but no gold answer
// (the official script stops there too).
func SQuAD(dataset *SQuADDataset, predictions map[string]string) (SQuADResult, error) {
	res := SQuADResult{
		DatasetVersion:  dataset.Version,
		VersionMismatch: dataset.Version != SQuADVersion,
		Questions:       len(dataset.Questions),
		PerQuestion:     make([]SQuADQuestionScore, 0, len(dataset.Questions)),
	}
	if len(dataset.Questions) == 0 {
		return res, fmt.Errorf("score: squad: the dataset has no questions")
	}
	exact := 0
	f1 := 0.0
	for _, q := range dataset.Questions {
		pred, ok := predictions[q.ID]
		if !ok {
			res.MissingIDs = append(res.MissingIDs, q.ID)
			res.PerQuestion = append(res.PerQuestion, SQuADQuestionScore{ID: q.ID, Missing: true})
			continue
		}
		if len(q.Answers) == 0 {
			return res, fmt.Errorf("score: squad: question %q (article %q) has no gold answer", q.ID, q.Article)
		}
		em, qf1 := SQuADAnswerScore(pred, q.Answers)
		if em == 1 {
			exact++
		}
		f1 += qf1
		res.PerQuestion = append(res.PerQuestion, SQuADQuestionScore{ID: q.ID, ExactMatch: em, F1: qf1})
	}
	res.ExactMatch = 100.0 * float64(exact) / float64(len(dataset.Questions))
	res.F1 = 100.0 * f1 / float64(len(dataset.Questions))
	return res, nil
}

// OfficialJSON is the line the official script prints on stdout, e.g.
// {"exact_match": 50.0, "f1": 62.38095238095238}, with Python's float formatting.
func (r SQuADResult) OfficialJSON() string {
	return `{"exact_match": ` + pyFloatRepr(r.ExactMatch) + `, "f1": ` + pyFloatRepr(r.F1) + `}`
}

// Warnings are the lines the official script prints on stderr: the version warning, if any,
// then one line per question without a prediction.
func (r SQuADResult) Warnings() []string {
	var lines []string
	if r.VersionMismatch {
		lines = append(lines, "Evaluation expects v-"+SQuADVersion+", but got dataset with v-"+r.DatasetVersion)
	}
	for _, id := range r.MissingIDs {
		lines = append(lines, "Unanswered question "+id+" will receive score 0.")
	}
	return lines
}

// SQuADAnswerScore scores one prediction against a question's gold answers: exact match (0 or
// 1) and token F1 (0..1), each the maximum over the answers. With no answers both are 0.
func SQuADAnswerScore(prediction string, answers []string) (exactMatch, f1 float64) {
	pred := NormalizeAnswer(prediction)
	predTokens := pyFields(pred)
	for _, a := range answers {
		gold := NormalizeAnswer(a)
		if pred == gold {
			exactMatch = 1
		}
		if v := tokenF1(predTokens, pyFields(gold)); v > f1 {
			f1 = v
		}
	}
	return exactMatch, f1
}

// NormalizeAnswer normalises an answer as the official script does, in its order: Python's
// lower-casing, removal of every ASCII punctuation character (Python's string.punctuation),
// the articles a, an and the replaced by a space where they are whole words (Python's
// Unicode-aware \b), and whitespace runs collapsed to single spaces with none at the ends.
func NormalizeAnswer(s string) string {
	s = pyLower(s)
	s = removePunctuation(s)
	s = removeArticles(s)
	return strings.Join(pyFields(s), " ")
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// removePunctuation deletes the bytes of asciiPunctuation; they never occur inside the
// encoding of another character, so this is the same as deleting the characters.
func removePunctuation(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || strings.IndexByte(asciiPunctuation, c) < 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

// removeArticles replaces every maximal run of word characters that is "a", "an" or "the" by a
// space, which is what re.sub(r'\b(a|an|the)\b', ' ', s) does on a Python str.
func removeArticles(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := -1 // start of the current run of word characters
	flush := func(end int) {
		switch s[start:end] {
		case "a", "an", "the":
			b.WriteByte(' ')
		default:
			b.WriteString(s[start:end])
		}
		start = -1
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if pyIsWord(r) {
			if start < 0 {
				start = i
			}
		} else {
			if start >= 0 {
				flush(i)
			}
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}

// tokenF1 is the official token F1: the bag-of-tokens overlap (multiset intersection), 0 when
// nothing is shared.
func tokenF1(pred, gold []string) float64 {
	counts := make(map[string]int, len(gold))
	for _, t := range gold {
		counts[t]++
	}
	same := 0
	for _, t := range pred {
		if counts[t] > 0 {
			counts[t]--
			same++
		}
	}
	if same == 0 {
		return 0
	}
	precision := 1.0 * float64(same) / float64(len(pred))
	recall := 1.0 * float64(same) / float64(len(gold))
	return (2 * precision * recall) / (precision + recall)
}
