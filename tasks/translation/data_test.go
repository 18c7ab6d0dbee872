package translation

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\n", []string{"a"}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\n\nb\n", []string{"a\r", "", "b"}},
	} {
		for _, data := range [][]byte{[]byte(tc.in), gz(t, tc.in)} {
			got, err := ReadLines(bytes.NewReader(data))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("ReadLines(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		}
	}
}

func TestReadSGML(t *testing.T) {
	in := `<srcset setid="x" srclang="any">
<doc docid="d" genre="news">
<seg id="1">Gutach: Increased safety</seg>
<seg id="2"> spaced  text </seg>
<segment>not a seg</segment>
</doc>
</srcset>
`
	got, err := ReadSGML(bytes.NewReader(gz(t, in)))
	if want := []string{"Gutach: Increased safety", "spaced  text"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if _, err := ReadSGML(strings.NewReader("<doc>\n<seg id=\"1\">open\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("an unclosed <seg>: error %v, want one naming line 2", err)
	}
}

func TestPairLines(t *testing.T) {
	if _, err := PairLines("s.en", []string{"a", "b"}, "t.de", []string{"x"}); err == nil ||
		!strings.Contains(err.Error(), "t.de ends before line 2") {
		t.Errorf("count mismatch: %v", err)
	}
	if _, err := PairLines("s.en", []string{"a", " "}, "t.de", []string{"x", "y"}); err == nil ||
		!strings.Contains(err.Error(), "s.en:2: empty source") {
		t.Errorf("empty source: %v", err)
	}
	if _, err := PairLines("s.en", []string{"a"}, "t.de", []string{""}); err == nil ||
		!strings.Contains(err.Error(), "t.de:1: empty target") {
		t.Errorf("empty target: %v", err)
	}
	p, err := PairLines("s", []string{"a"}, "t", []string{"x"})
	if err != nil || p[0] != (Pair{"a", "x"}) {
		t.Errorf("%v %v", p, err)
	}
}

// TestLoadCorpus reads the staged data: every split's pair count, and newstest2014's 3003.
func TestLoadCorpus(t *testing.T) {
	dir, required := dataDir(t)
	if _, err := os.Stat(filepath.Join(dir, "translation")); err != nil {
		if required {
			t.Fatal(err)
		}
		t.Skip("no translation data; set SRU_DATA")
	}
	c, err := LoadCorpus(dir, "en", "de", knownSplits)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"valid": 1014, "test": 1000, "test_2017_flickr": 1000, "test_2017_mscoco": 461, "newstest2014": 3003}
	if len(c.Train) != 29000 {
		t.Errorf("train: %d pairs", len(c.Train))
	}
	for s, n := range want {
		if len(c.Eval[s]) != n {
			t.Errorf("%s: %d pairs, want %d", s, len(c.Eval[s]), n)
		}
	}
	if got := c.Eval["newstest2014"][0]; got.Src != "Gutach: Increased safety for pedestrians" {
		t.Errorf("newstest2014 first source %q", got.Src)
	}
}

func FuzzReadLines(f *testing.F) {
	f.Add([]byte("a\nb\n"))
	f.Add([]byte(""))
	f.Add([]byte("\x1f\x8b"))
	f.Add(gz(f, "one\ntwo"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ReadLines(bytes.NewReader(data))
		if err != nil || (len(data) > 1 && data[0] == 0x1f && data[1] == 0x8b) {
			return
		}
		// Plain text: the lines joined give the text back (less one final newline).
		joined := strings.Join(lines, "\n")
		if s := string(data); joined != strings.TrimSuffix(s, "\n") {
			t.Fatalf("lines %q do not rejoin to %q", lines, s)
		}
	})
}

func FuzzReadSGML(f *testing.F) {
	f.Add([]byte("<seg id=\"1\">a b</seg>\n"))
	f.Add([]byte("<doc>\n<seg>x</seg><seg id=2>y</seg>\n</doc>"))
	f.Add([]byte("<seg id=\"1\">unclosed\n"))
	f.Add([]byte("<segment><seg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := ReadSGML(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, s := range segs {
			if strings.Contains(s, "</seg>") || strings.TrimSpace(s) != s {
				t.Fatalf("segment %q", s)
			}
		}
	})
}
