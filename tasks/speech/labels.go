package speech

import (
	"fmt"
	"strings"
)

// Blank is the CTC blank's label in every inventory of this package: label 0, so that the
// units of an inventory are labels 1..N and the output layer has N+1 classes.
const Blank = 0

// Inventory is a label set for CTC: label 0 is the blank, labels 1..N the units, either the
// words of the task's vocabulary (Unit "word") or the characters that spell them, with a
// space for the word boundary (Unit "char").
//
// The inventories of the tasks:
//
//	DigitWords  <blank> zero one two three four five six seven eight nine   (11 classes; digit d is label d+1)
//	DigitChars  <blank> ␠ e f g h i n o r s t u v w x z                      (17 classes)
//	YesNoWords  <blank> NO YES                                               (3 classes)
//	YesNoChars  <blank> ␠ E N O S Y                                          (7 classes)
//
// (␠ is the space character.) Transcripts are words separated by single spaces, as the
// corpora write them; Encode and Decode convert between them and label sequences.
type Inventory struct {
	Name string
	// Unit is "word" or "char".
	Unit string
	// Symbols[l] is label l's word or character; Symbols[0] is "<blank>".
	Symbols []string
	index   map[string]int
}

// BlankSymbol names the blank in Inventory.Symbols.
const BlankSymbol = "<blank>"

// DigitWordList is the digits' words; DigitWordList[d] is the word of digit d.
var DigitWordList = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// NewWordInventory is a word inventory: the blank, then words in the order given.
func NewWordInventory(name string, words []string) *Inventory {
	return newInventory(name, "word", words)
}

// NewCharInventory is a character inventory for the given vocabulary: the blank, the space,
// then every character of the words in increasing code point order.
func NewCharInventory(name string, words []string) *Inventory {
	seen := map[rune]bool{}
	for _, w := range words {
		for _, r := range w {
			if r == ' ' {
				panic("speech: a word of a character inventory contains a space")
			}
			seen[r] = true
		}
	}
	chars := []string{" "}
	for r := rune(0); len(chars) <= len(seen); r++ {
		if seen[r] {
			chars = append(chars, string(r))
		}
	}
	return newInventory(name, "char", chars)
}

func newInventory(name, unit string, units []string) *Inventory {
	inv := &Inventory{Name: name, Unit: unit, Symbols: append([]string{BlankSymbol}, units...), index: map[string]int{}}
	for l, s := range inv.Symbols {
		if _, dup := inv.index[s]; dup {
			panic(fmt.Sprintf("speech: inventory %s: symbol %q twice", name, s))
		}
		inv.index[s] = l
	}
	return inv
}

// DigitWords, DigitChars, YesNoWords and YesNoChars are the tasks' inventories (see Inventory).
var (
	DigitWords = NewWordInventory("digit-words", DigitWordList[:])
	DigitChars = NewCharInventory("digit-chars", DigitWordList[:])
	YesNoWords = NewWordInventory("yesno-words", []string{"NO", "YES"})
	YesNoChars = NewCharInventory("yesno-chars", []string{"NO", "YES"})
)

// NumClasses is the size of the output layer: the units plus the blank.
func (inv *Inventory) NumClasses() int { return len(inv.Symbols) }

// Encode turns a transcript (words separated by whitespace) into labels. A word (or, in a
// character inventory, a character) outside the inventory is an error.
func (inv *Inventory) Encode(transcript string) ([]int, error) {
	words := strings.Fields(transcript)
	var labels []int
	for i, w := range words {
		if inv.Unit == "word" {
			l, ok := inv.index[w]
			if !ok || l == Blank {
				return nil, fmt.Errorf("speech: inventory %s: unknown word %q in %q", inv.Name, w, transcript)
			}
			labels = append(labels, l)
			continue
		}
		if i > 0 {
			labels = append(labels, inv.index[" "])
		}
		for _, r := range w {
			l, ok := inv.index[string(r)]
			if !ok || l == Blank {
				return nil, fmt.Errorf("speech: inventory %s: unknown character %q in %q", inv.Name, r, transcript)
			}
			labels = append(labels, l)
		}
	}
	return labels, nil
}

// Decode turns labels into a transcript: words joined by single spaces, or characters
// concatenated with runs of spaces collapsed and trimmed. Blanks are skipped; a label out of
// range panics.
func (inv *Inventory) Decode(labels []int) string {
	var b strings.Builder
	for _, l := range labels {
		if l < 0 || l >= len(inv.Symbols) {
			panic(fmt.Sprintf("speech: inventory %s: label %d out of range [0, %d)", inv.Name, l, len(inv.Symbols)))
		}
		if l == Blank {
			continue
		}
		if inv.Unit == "word" && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(inv.Symbols[l])
	}
	if inv.Unit == "char" {
		return strings.Join(strings.Fields(b.String()), " ")
	}
	return b.String()
}
