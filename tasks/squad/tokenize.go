package squad

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is a word of a text with its place: Text == text[Start:End] (byte offsets).
type Token struct {
	Text       string
	Start, End int
}

// Tokenize splits text into words, keeping each word's byte offsets. A word is a maximal run
// of letters, digits and combining marks (Unicode classes L, N, M); every other character
// that is not white space is a word of its own ("U.S." is U . S ., "1,000" is 1 , 000).
// Splitting punctuation off finely keeps more answers on token boundaries; the answer of a
// span is cut from the context by offsets, so "1,000" comes back exactly.
func Tokenize(text string) []Token {
	var toks []Token
	inWord, start := false, 0
	for i, r := range text {
		if isWordRune(r) {
			if !inWord {
				inWord, start = true, i
			}
			continue
		}
		if inWord {
			toks = append(toks, Token{Text: text[start:i], Start: start, End: i})
			inWord = false
		}
		if unicode.IsSpace(r) || r == utf8.RuneError && isInvalidAt(text, i) {
			continue
		}
		n := utf8.RuneLen(r)
		if n < 0 {
			n = 1
		}
		toks = append(toks, Token{Text: text[i : i+n], Start: i, End: i + n})
	}
	if inWord {
		toks = append(toks, Token{Text: text[start:], Start: start, End: len(text)})
	}
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// isInvalidAt reports whether text holds an invalid UTF-8 byte at i (skipped as white space
// would be), as opposed to an encoded U+FFFD.
func isInvalidAt(text string, i int) bool {
	r, n := utf8.DecodeRuneInString(text[i:])
	return r == utf8.RuneError && n == 1
}

// Stem is the lemma stand-in of the exact-match feature: the lower-cased word with one common
// English inflection removed (-ies → -y, -es after s/x/z/ch/sh, -s, -ed, -ing, -'s), for
// words longer than three letters. It is not a lemmatiser: "ran"/"run" and "mice"/"mouse" do
// not match; "cities"/"city", "played"/"playing"/"plays"/"play" do.
func Stem(word string) string {
	w := strings.ToLower(word)
	if utf8.RuneCountInString(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"),
		strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		return w[:len(w)-3]
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		return w[:len(w)-2]
	}
	return w
}

// alignSpan returns the first and last token of toks covering exactly bytes [start, end):
// the answer must begin at a token's first byte and end at a token's last. ok is false for an
// answer that cuts a token (it is dropped from training).
func alignSpan(toks []Token, start, end int) (first, last int, ok bool) {
	first, last = -1, -1
	for i, t := range toks {
		if t.Start == start {
			first = i
		}
		if t.End == end {
			last = i
			break
		}
		if t.Start > end {
			break
		}
	}
	if first < 0 || last < first {
		return 0, 0, false
	}
	return first, last, true
}
