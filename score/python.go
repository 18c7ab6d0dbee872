package score

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the pieces of Python 3's str semantics that the reference metrics rely on.

// pyIsSpace reports whether Python's str.isspace holds for r: Unicode White_Space characters
// (Go's unicode.IsSpace) and the information separators U+001C..U+001F, which Python also
// splits on.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyFields splits s as Python's s.split() with no argument: on runs of whitespace, with no
// empty fields. Bytes that are not valid UTF-8 are kept inside the fields unchanged.
func pyFields(s string) []string {
	var fields []string
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if pyIsSpace(r) {
			if start >= 0 {
				fields = append(fields, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		fields = append(fields, s[start:])
	}
	return fields
}

// pyRStrip removes trailing whitespace as Python's s.rstrip() does.
func pyRStrip(s string) string {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if !pyIsSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// pyLower lower-cases s as Python's s.lower() does: the simple lower-case mapping, except
// U+0130 (capital I with dot above), whose full mapping is "i" + U+0307, and capital sigma,
// which becomes final sigma "ς" at the end of a word (the Final_Sigma condition of the
// Unicode standard). Bytes that are not valid UTF-8 are copied unchanged.
func pyLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i])
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ':
			if finalSigma(s, i, size) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at s[i:i+size] is in the Final_Sigma context:
// preceded by a cased letter (skipping case-ignorable characters) and not followed by one.
func finalSigma(s string, i, size int) bool {
	before := false
	for j := i; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !caseIgnorable(r) {
			before = cased(r)
			break
		}
	}
	if !before {
		return false
	}
	for j := i + size; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

// cased is the Unicode Cased property: Lowercase, Uppercase or titlecase letters.
func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is the Unicode Case_Ignorable property: marks, format characters, modifier
// letters and symbols, and the word-break classes MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00b7', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019', '\u2024', '\u2027',
		'\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// pyIsWord reports whether Python's re (on str) counts r as a word character for \w and \b:
// alphanumeric in the sense of str.isalnum (letters and numbers), or the underscore.
func pyIsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// pyFloatRepr formats f as Python's repr(float) and json.dumps do: the shortest digits that
// read back to f, in positional notation with at least one decimal ("100.0") unless the
// decimal exponent is below -4 or above 15 ("1e-05", "1e+16").
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if decimalPoint := exp + 1; decimalPoint > -4 && decimalPoint <= 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	digits := strconv.Itoa(exp)
	if len(digits) < 2 {
		digits = "0" + digits
	}
	return mant + "e" + sign + digits
}
