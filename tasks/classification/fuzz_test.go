package classification

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzReadLines feeds arbitrary bytes to the reader of the classification files (ParseLines,
// the label check against the declared classes, clean_str and the tokeniser), as latin-1 and as
// UTF-8, for a binary and a six-class dataset. It must never panic; an error names file:line;
// accepted examples have labels within the classes, lines in order and no empty token. The seed
// corpus is in testdata/fuzz/FuzzReadLines.
func FuzzReadLines(f *testing.F) {
	f.Add([]byte("1 a good film\n0 a bad one\n"), false)
	f.Add([]byte("7 a stray label\n"), false)
	f.Add([]byte("NUM:date When was it ?\n"), true)
	f.Add([]byte("-1 negative\r\n\n\n 0  spaced\x85out\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, latin1 bool) {
		raw, err := ParseLines(data, latin1)
		if err == nil {
			prev := 0
			for _, r := range raw {
				if r.Label < 0 || r.Line <= prev || r.Line > bytes.Count(data, []byte{'\n'})+1 {
					t.Fatalf("example %+v after line %d", r, prev)
				}
				prev = r.Line
			}
		}
		for _, name := range []string{"cr", "trec"} {
			d := datasets[name]
			src := source{fsys: fstest.MapFS{"f.txt": {Data: data}}, dir: "dir"}
			exs, err := src.read(name, "f.txt", latin1, d)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "classification: ") || !strings.Contains(err.Error(), "f.txt") {
					t.Fatalf("%s: error %q does not name the file", name, err)
				}
				continue
			}
			if len(exs) != len(raw) {
				t.Fatalf("%s: %d examples from %d lines", name, len(exs), len(raw))
			}
			for _, ex := range exs {
				if ex.Label < 0 || int(ex.Label) >= d.classes {
					t.Fatalf("%s: label %d accepted, classes %d", name, ex.Label, d.classes)
				}
				for _, w := range ex.Words {
					if w == "" || strings.TrimSpace(w) != w {
						t.Fatalf("%s: token %q", name, w)
					}
				}
			}
		}
	})
}
