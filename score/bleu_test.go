package score

import (
	"strings"
	"testing"
)

// Expected outputs are sacreBLEU 2.6.0's.
func TestTokenize13a(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello, world. 1,000 people paid $3.50 (today)!", "Hello , world . 1,000 people paid $ 3.50 ( today ) !"},
		{"a-b 1990-2000 x--y", "a-b 1990 - 2000 x--y"},
		{"&amp;quot; &lt;b&gt; &apos; AT&amp;T", "& quot ; < b > & apos ; AT & T"},
		{"end-\nline<skipped> next\nline", "endline next line"},
		{`Dr.Who said: "Hi"...`, `Dr . Who said : " Hi " . . .`},
		{"l'homme „Zitat“ – ok", "l'homme „Zitat“ – ok"},
		{"3.5.2, 4,5", "3.5.2 , 4,5"},
		{"a\u00a0b\tc  ", "a b c"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Tokenize13a(c.in); got != c.want {
			t.Errorf("Tokenize13a(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBLEUOptionsAndEdges(t *testing.T) {
	hyp := []string{"the cat sat down here"}
	ref := [][]string{{"the cat sat on the mat here"}}
	cases := []struct {
		opts      BLEUOptions
		hyps      []string
		refs      [][]string
		score     float64
		line, sig string
	}{
		{BLEUOptions{Smooth: "floor"}, hyp, ref, 19.153996003797964,
			"BLEU = 19.15 80.0/50.0/33.3/5.0 (BP = 0.670 ratio = 0.714 hyp_len = 5 ref_len = 7)",
			"nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0"},
		{BLEUOptions{Smooth: "none"}, hyp, ref, 0,
			"BLEU = 0.00 80.0/50.0/33.3/0.0 (BP = 0.670 ratio = 0.714 hyp_len = 5 ref_len = 7)",
			"nrefs:1|case:mixed|eff:no|tok:13a|smooth:none|version:2.6.0"},
		{BLEUOptions{}, hyp, ref, 28.641904579795423,
			"BLEU = 28.64 80.0/50.0/33.3/25.0 (BP = 0.670 ratio = 0.714 hyp_len = 5 ref_len = 7)",
			"nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"},
		{BLEUOptions{Smooth: "none", Lowercase: true, Tokenize: "none"}, []string{"The cat sat on a mat"}, [][]string{{"the cat sat on the mat"}}, 53.7284965911771,
			"BLEU = 53.73 83.3/60.0/50.0/33.3 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)",
			"nrefs:1|case:lc|eff:no|tok:none|smooth:none|version:2.6.0"},
		// Reference lengths 2 and 4 are equally close to 3: the shorter counts. No 4-gram in
		// the hypothesis and no effective order: the score is 0.
		{BLEUOptions{}, []string{"a b c"}, [][]string{{"a b"}, {"a b c d"}}, 0,
			"BLEU = 0.00 100.0/100.0/100.0/0.0 (BP = 1.000 ratio = 1.500 hyp_len = 3 ref_len = 2)",
			"nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"},
		{BLEUOptions{}, []string{"a b c d e f", "x"}, [][]string{{"a b c d e f g h", "x y z"}, {"a b c d", "x y"}}, 100.00000000000004,
			"BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.167 hyp_len = 7 ref_len = 6)",
			"nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"},
	}
	for i, c := range cases {
		r, err := CorpusBLEU(c.hyps, c.refs, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if relDiff(r.Score, c.score) > 1e-12 || r.String() != c.line || r.Signature != c.sig {
			t.Errorf("case %d: %v %q %q, want %v %q %q", i, r.Score, r.String(), r.Signature, c.score, c.line, c.sig)
		}
	}
	r, _ := CorpusBLEU(hyp, ref, BLEUOptions{})
	if got, want := r.LineWithSignature(), "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 28.64 80.0/50.0/33.3/25.0 (BP = 0.670 ratio = 0.714 hyp_len = 5 ref_len = 7)"; got != want {
		t.Errorf("LineWithSignature %q", got)
	}
}

func TestBLEUErrors(t *testing.T) {
	cases := []struct {
		hyps []string
		refs [][]string
		opts BLEUOptions
		want string
	}{
		{nil, [][]string{{}}, BLEUOptions{}, "no hypotheses"},
		{[]string{"a"}, nil, BLEUOptions{}, "no reference streams"},
		{[]string{"a", "b"}, [][]string{{"a", "b"}, {"a"}}, BLEUOptions{}, "reference stream 2 has 1 segments, the hypotheses 2"},
		{[]string{"a"}, [][]string{{"a"}}, BLEUOptions{Tokenize: "intl"}, `unknown tokenizer "intl"`},
		{[]string{"a"}, [][]string{{"a"}}, BLEUOptions{Smooth: "add-k"}, `unknown smoothing "add-k"`},
	}
	for _, c := range cases {
		if _, err := CorpusBLEU(c.hyps, c.refs, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestReadBLEUSegments(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{""}},
		{"a b \r\nc\rd\n\n", []string{"a b", "c\rd", ""}}, // only "\n" ends a line
		{"x\u00a0\t\n last", []string{"x", " last"}},
	}
	for _, c := range cases {
		got, err := ReadBLEUSegments(strings.NewReader(c.in), "f")
		if err != nil || len(got) != len(c.want) {
			t.Errorf("ReadBLEUSegments(%q) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ReadBLEUSegments(%q) = %q, want %q", c.in, got, c.want)
			}
		}
	}
	if _, err := ReadBLEUSegments(strings.NewReader("ok\nbad \xff\n"), "hyp.txt"); err == nil || err.Error() != "score: hyp.txt:2: not valid UTF-8" {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
