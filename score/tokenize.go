package score

import "strings"

// Tokenize13a tokenises a segment as sacreBLEU's "13a" tokenizer (mteval-v13a) does: it
// deletes "<skipped>" and "-\n", turns the other newlines into spaces, unescapes &quot;,
// &amp;, &lt; and &gt; (in that order, once each), then, on the line padded with a space on
// each side, applies four rewriting rules in turn, each scanning left to right over
// non-overlapping matches:
//
//  1. every ASCII symbol in { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
//     gets a space on each side;
//  2. "." or "," after a character that is not an ASCII digit is split off;
//  3. "." or "," before a character that is not an ASCII digit is split off;
//  4. "-" after an ASCII digit is split off;
//
// and finally joins the whitespace-separated tokens (Python's str.split) with single spaces.
// Apostrophes, other hyphens and non-ASCII punctuation stay attached; "1,000" and "3.5" stay
// one token.
//
// The rules look only at ASCII characters, whose bytes never occur inside the UTF-8 encoding
// of another character, so they run on bytes, which gives the same result as running them on
// characters and keeps bytes that are not valid UTF-8 as they are.
func Tokenize13a(line string) string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", "\"")
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	s := []byte(" " + line + " ")
	s = padSymbols(s)
	s = splitPairs(s, func(a, b byte) bool { return !isASCIIDigit(a) && isDotOrComma(b) }, "\x01 \x02 ")
	s = splitPairs(s, func(a, b byte) bool { return isDotOrComma(a) && !isASCIIDigit(b) }, " \x01 \x02")
	s = splitPairs(s, func(a, b byte) bool { return isASCIIDigit(a) && b == '-' }, "\x01 \x02 ")
	return strings.Join(pyFields(string(s)), " ")
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }
func isDotOrComma(c byte) bool { return c == '.' || c == ',' }

// is13aSymbol is the character class of the first 13a rule:
// [\{-\~\[-\` -\&\(-\+\:-\@\/].
func is13aSymbol(c byte) bool {
	return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
		(c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/'
}

func padSymbols(s []byte) []byte {
	out := make([]byte, 0, len(s)+len(s)/2)
	for _, c := range s {
		if is13aSymbol(c) {
			out = append(out, ' ', c, ' ')
		} else {
			out = append(out, c)
		}
	}
	return out
}

// splitPairs rewrites every non-overlapping pair of adjacent bytes (a, b) for which match
// holds, scanning left to right as Python's re.sub does with a two-character pattern. The
// replacement template writes \x01 for a and \x02 for b.
func splitPairs(s []byte, match func(a, b byte) bool, template string) []byte {
	out := make([]byte, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); {
		if i+1 < len(s) && match(s[i], s[i+1]) {
			for j := 0; j < len(template); j++ {
				switch template[j] {
				case '\x01':
					out = append(out, s[i])
				case '\x02':
					out = append(out, s[i+1])
				default:
					out = append(out, template[j])
				}
			}
			i += 2
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}
