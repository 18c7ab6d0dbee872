package score

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// EditCounts is the outcome of aligning a hypothesis with its reference: how many reference
// units were matched (Hits), replaced (Substitutions) or dropped (Deletions), and how many
// hypothesis units were added (Insertions).
type EditCounts struct {
	Hits          int `json:"hits"`
	Substitutions int `json:"substitutions"`
	Deletions     int `json:"deletions"`
	Insertions    int `json:"insertions"`
	// RefLen and HypLen are the lengths in units (words or characters).
	RefLen int `json:"ref_len"`
	HypLen int `json:"hyp_len"`
}

// Errors is the edit distance: substitutions + deletions + insertions.
func (c EditCounts) Errors() int { return c.Substitutions + c.Deletions + c.Insertions }

// Rate is Errors / RefLen. Without reference units it is 0 when the hypothesis is empty too,
// and +Inf otherwise.
func (c EditCounts) Rate() float64 {
	if c.RefLen == 0 {
		if c.Errors() == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(c.Errors()) / float64(c.RefLen)
}

func (c *EditCounts) add(o EditCounts) {
	c.Hits += o.Hits
	c.Substitutions += o.Substitutions
	c.Deletions += o.Deletions
	c.Insertions += o.Insertions
	c.RefLen += o.RefLen
	c.HypLen += o.HypLen
}

// Align aligns hyp with ref by Levenshtein distance (unit costs) and counts the edits. Among
// the alignments with the fewest edits it takes one with the fewest substitutions, that is the
// most hits: reference "a b" against "b c" is one deletion and one insertion, not two
// substitutions. (With the edit count and the two lengths fixed, the number of substitutions
// decides the rest, so the counts do not depend on any further tie-break.)
func Align(ref, hyp []string) EditCounts {
	// cost[j] is the (edits, substitutions) pair of aligning ref[:i] with hyp[:j], row by row.
	type cost struct{ edits, subs int }
	less := func(a, b cost) bool { return a.edits < b.edits || (a.edits == b.edits && a.subs < b.subs) }
	prev := make([]cost, len(hyp)+1)
	cur := make([]cost, len(hyp)+1)
	for j := range prev {
		prev[j] = cost{edits: j}
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = cost{edits: i}
		for j := 1; j <= len(hyp); j++ {
			best := prev[j-1] // match or substitution
			if ref[i-1] != hyp[j-1] {
				best = cost{best.edits + 1, best.subs + 1}
			}
			if del := (cost{prev[j].edits + 1, prev[j].subs}); less(del, best) {
				best = del
			}
			if ins := (cost{cur[j-1].edits + 1, cur[j-1].subs}); less(ins, best) {
				best = ins
			}
			cur[j] = best
		}
		prev, cur = cur, prev
	}
	final := prev[len(hyp)]
	// edits = S + D + I and D - I = len(ref) - len(hyp).
	deletions := (final.edits - final.subs + len(ref) - len(hyp)) / 2
	insertions := final.edits - final.subs - deletions
	return EditCounts{
		Hits:          len(ref) - final.subs - deletions,
		Substitutions: final.subs,
		Deletions:     deletions,
		Insertions:    insertions,
		RefLen:        len(ref),
		HypLen:        len(hyp),
	}
}

// ErrorRate is a corpus error rate: the edits summed over utterances, and each utterance's.
type ErrorRate struct {
	// Unit is "word" or "char".
	Unit         string
	Total        EditCounts
	PerUtterance []EditCounts
}

// Rate is the corpus rate: total edits over total reference units (see EditCounts.Rate).
func (e ErrorRate) Rate() float64 { return e.Total.Rate() }

// String reads, for example, "WER 12.50% (S 1 D 0 I 1 / 16 words, 3 utterances)".
func (e ErrorRate) String() string {
	name, unit := "WER", "words"
	if e.Unit == "char" {
		name, unit = "CER", "chars"
	}
	return fmt.Sprintf("%s %.2f%% (S %d D %d I %d / %d %s, %d utterances)", name, 100*e.Rate(),
		e.Total.Substitutions, e.Total.Deletions, e.Total.Insertions, e.Total.RefLen, unit, len(e.PerUtterance))
}

// MarshalJSON writes the corpus figures: unit, rate (null when infinite), errors, hits,
// substitutions, deletions, insertions, ref_len, hyp_len and utterances.
func (e ErrorRate) MarshalJSON() ([]byte, error) {
	var rate *float64
	if r := e.Rate(); !math.IsInf(r, 0) {
		rate = &r
	}
	return json.Marshal(struct {
		Unit          string   `json:"unit"`
		Rate          *float64 `json:"rate"`
		Errors        int      `json:"errors"`
		Hits          int      `json:"hits"`
		Substitutions int      `json:"substitutions"`
		Deletions     int      `json:"deletions"`
		Insertions    int      `json:"insertions"`
		RefLen        int      `json:"ref_len"`
		HypLen        int      `json:"hyp_len"`
		Utterances    int      `json:"utterances"`
	}{e.Unit, rate, e.Total.Errors(), e.Total.Hits, e.Total.Substitutions, e.Total.Deletions,
		e.Total.Insertions, e.Total.RefLen, e.Total.HypLen, len(e.PerUtterance)})
}

// WER is the word error rate of hyps against refs, utterance by utterance: words are the
// whitespace-separated tokens (Python's str.split). The slices must have the same length.
func WER(refs, hyps []string) (ErrorRate, error) {
	return errorRate("word", refs, hyps, pyFields)
}

// CER is the character error rate of hyps against refs: the characters (Unicode code points)
// of each utterance after its whitespace runs are collapsed to single spaces and trimmed, so
// the spaces between words count as characters.
func CER(refs, hyps []string) (ErrorRate, error) {
	return errorRate("char", refs, hyps, characters)
}

func characters(s string) []string {
	s = strings.Join(pyFields(s), " ")
	chars := make([]string, 0, utf8.RuneCountInString(s))
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		chars = append(chars, s[i:i+size])
		i += size
	}
	return chars
}

func errorRate(unit string, refs, hyps []string, split func(string) []string) (ErrorRate, error) {
	if len(refs) != len(hyps) {
		return ErrorRate{}, fmt.Errorf("score: %s error rate: %d references but %d hypotheses", unit, len(refs), len(hyps))
	}
	e := ErrorRate{Unit: unit, PerUtterance: make([]EditCounts, len(refs))}
	for i := range refs {
		c := Align(split(refs[i]), split(hyps[i]))
		e.PerUtterance[i] = c
		e.Total.add(c)
	}
	return e, nil
}
