package translation

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Pair is one sentence pair: the source text and its reference translation, untokenised.
type Pair struct {
	Src, Tgt string
}

// ReadLines returns the lines of a text, gunzipped first when the data starts with the gzip
// magic number. Lines are split on "\n" only; a final "\r" is kept (the text is returned as it
// is, so that detokenised output can be compared with it byte for byte). A last line without a
// newline is kept; an empty text has no lines.
func ReadLines(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		br = bufio.NewReader(z)
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	return strings.Split(string(data), "\n"), nil
}

// ReadSGML returns the text of every <seg ...>text</seg> element of a WMT SGML file (gzipped or
// not), in file order. The text is taken as it stands between the tags (WMT's SGML carries no
// entities to decode in the segments, and sacreBLEU reads them the same way), with surrounding
// whitespace trimmed. A <seg> without its closing tag on the same line is an error naming the
// line.
func ReadSGML(r io.Reader) ([]string, error) {
	lines, err := ReadLines(r)
	if err != nil {
		return nil, err
	}
	var segs []string
	for i, line := range lines {
		rest := line
		for {
			open := strings.Index(rest, "<seg")
			if open < 0 {
				break
			}
			// "<seg" must be the whole tag name: "<seg>" or "<seg id=...>".
			after := rest[open+4:]
			if after == "" || (after[0] != '>' && after[0] != ' ' && after[0] != '\t') {
				rest = after
				continue
			}
			end := strings.IndexByte(after, '>')
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated <seg> tag", i+1)
			}
			body := after[end+1:]
			closeTag := strings.Index(body, "</seg>")
			if closeTag < 0 {
				return nil, fmt.Errorf("line %d: <seg> without </seg> on the same line", i+1)
			}
			segs = append(segs, strings.TrimSpace(body[:closeTag]))
			rest = body[closeTag+len("</seg>"):]
		}
	}
	return segs, nil
}

// readFile reads the lines of a plain or gzipped text file, or the segments of an SGML file
// (a name ending in .sgm or .sgm.gz).
func readFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".sgm") || strings.HasSuffix(path, ".sgm.gz") {
		segs, err := ReadSGML(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return segs, nil
	}
	lines, err := ReadLines(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lines, nil
}

// PairLines checks two parallel texts line by line and returns them as pairs: a different
// number of lines, or an empty (all-whitespace) side, is an error that names the file and the
// line (1-based).
func PairLines(srcName string, src []string, tgtName string, tgt []string) ([]Pair, error) {
	if len(src) != len(tgt) {
		short, line := srcName, len(src)+1
		if len(tgt) < len(src) {
			short, line = tgtName, len(tgt)+1
		}
		return nil, fmt.Errorf("translation: %s has %d lines and %s %d: %s ends before line %d",
			srcName, len(src), tgtName, len(tgt), short, line)
	}
	pairs := make([]Pair, len(src))
	for i := range src {
		if strings.TrimSpace(src[i]) == "" {
			return nil, fmt.Errorf("translation: %s:%d: empty source sentence", srcName, i+1)
		}
		if strings.TrimSpace(tgt[i]) == "" {
			return nil, fmt.Errorf("translation: %s:%d: empty target sentence", tgtName, i+1)
		}
		pairs[i] = Pair{Src: src[i], Tgt: tgt[i]}
	}
	return pairs, nil
}

// ReadPairs reads two parallel files (text, gzipped text or SGML) and pairs them (PairLines).
func ReadPairs(srcPath, tgtPath string) ([]Pair, error) {
	src, err := readFile(srcPath)
	if err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	tgt, err := readFile(tgtPath)
	if err != nil {
		return nil, fmt.Errorf("translation: %w", err)
	}
	return PairLines(srcPath, src, tgtPath, tgt)
}

// splitFiles names an evaluation split and its file under the data directory: file(lang,
// other) is the side in language lang of the pair lang–other.
type splitFiles struct {
	name string
	file func(lang, other string) string
}

func multi30k(base string) func(lang, _ string) string {
	return func(lang, _ string) string { return filepath.Join("translation", "multi30k", base+"."+lang+".gz") }
}

// multi30kSplits are the evaluation splits of Multi30K task 1: "valid" (val) for selection,
// "test" (test_2016_flickr) for the final result, and the later test sets by their names.
var multi30kSplits = []splitFiles{
	{"valid", multi30k("val")},
	{"test", multi30k("test_2016_flickr")},
	{"test_2017_flickr", multi30k("test_2017_flickr")},
	{"test_2017_mscoco", multi30k("test_2017_mscoco")},
}

// newstest2014 is the out-of-domain WMT14 test set (En→De only).
func newstest2014(lang, _ string) string {
	side := "src"
	if lang == "de" {
		side = "ref"
	}
	return filepath.Join("translation", "wmt14", "newstest2014-deen-"+side+"."+lang+".sgm.gz")
}

// Corpus is the parallel data of a run: the training pairs and each evaluation split.
type Corpus struct {
	Train []Pair
	Eval  map[string][]Pair
	// Splits lists the evaluation splits in order ("valid", "test", ...).
	Splits []string
}

// LoadCorpus reads Multi30K train, valid (val) and test (test_2016_flickr) from dataDir for
// the language pair src→tgt, and the named extra splits (test_2017_flickr, test_2017_mscoco,
// newstest2014). A missing file is an error naming it and the download command.
func LoadCorpus(dataDir, src, tgt string, extra []string) (*Corpus, error) {
	read := func(f func(string, string) string) ([]Pair, error) {
		sp, tp := filepath.Join(dataDir, f(src, tgt)), filepath.Join(dataDir, f(tgt, src))
		for _, p := range []string{sp, tp} {
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("translation: %w (run `sru data download` or set data_dir / SRU_DATA)", err)
			}
		}
		return ReadPairs(sp, tp)
	}
	c := &Corpus{Eval: map[string][]Pair{}}
	var err error
	if c.Train, err = read(multi30k("train")); err != nil {
		return nil, err
	}
	var splits []splitFiles
	for _, s := range slices.Concat(multi30kSplits, []splitFiles{{"newstest2014", newstest2014}}) {
		if s.name == "valid" || s.name == "test" || slices.Contains(extra, s.name) {
			splits = append(splits, s)
		}
	}
	for _, s := range splits {
		if c.Eval[s.name], err = read(s.file); err != nil {
			return nil, err
		}
		c.Splits = append(c.Splits, s.name)
	}
	return c, nil
}
