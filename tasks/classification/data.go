package classification

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Example is one labelled sentence.
type Example struct {
	Label int32
	Words []string
}

// RawExample is one line of a data file, split on its first space.
type RawExample struct {
	Label int32
	Text  string
	Line  int // 1-based
}

// ParseLines reads `<label> <text>` lines. Lines end at '\n' only (MR and SUBJ hold the byte
// 0x85, a line break to some readers); blank lines are skipped. With latin1 every byte is the
// rune of the same value (MR, SUBJ and TREC are latin-1 files); otherwise the text is kept as
// UTF-8 bytes.
func ParseLines(data []byte, latin1 bool) ([]RawExample, error) {
	var out []RawExample
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		label, text, _ := bytes.Cut(line, []byte{' '})
		v, err := strconv.ParseInt(string(bytes.TrimSpace(label)), 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("line %d: label %q is not a class number", n, label)
		}
		out = append(out, RawExample{Label: int32(v), Text: decode(text, latin1), Line: n})
	}
	return out, nil
}

func decode(b []byte, latin1 bool) string {
	if !latin1 {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b))
	for _, c := range b {
		if c < utf8.RuneSelf {
			s.WriteByte(c)
		} else {
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}

// CleanStr is the clean_str tokeniser of Kim (2014) and of the official SRU dataloader: every
// character but ASCII letters, digits and ( ) , ! ? ' ` becomes a space; the clitics 's 've
// n't 're 'd 'll are split off; , ! ( ) ? become tokens, the last three written with a
// backslash as Python's re.sub leaves it (\( \) \?); spaces collapse; lower-cased unless
// keepCase (TREC).
func CleanStr(s string, keepCase bool) string {
	b := []byte(s) // one byte per kept rune: everything else becomes ' '
	b = b[:0]
	for _, r := range s {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.IndexByte("(),!?'`", byte(r)) >= 0) {
			b = append(b, byte(r))
		} else {
			b = append(b, ' ')
		}
	}
	t := string(b)
	// Literal patterns applied one after another, in the official order (each pass sees the
	// result of the previous one, as consecutive re.sub calls do).
	for _, p := range [...][2]string{
		{"'s", " 's"}, {"'ve", " 've"}, {"n't", " n't"}, {"'re", " 're"}, {"'d", " 'd"},
		{"'ll", " 'll"}, {",", " , "}, {"!", " ! "}, {"(", ` \( `}, {")", ` \) `}, {"?", ` \? `},
	} {
		t = strings.ReplaceAll(t, p[0], p[1])
	}
	t = strings.Join(strings.Fields(t), " ")
	if !keepCase {
		t = strings.ToLower(t)
	}
	return t
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Tokens splits on whitespace as Python's str.split() does (Unicode spaces and the separators
// U+001C..U+001F).
func Tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}

// dataset describes the files and preprocessing of one dataset.
type dataset struct {
	files    []string // cv: one file; trec: train, test; sst: train, dev, test
	classes  int      // labels are 0..classes-1; any other label is an error naming file:line
	phrases  string   // sst: the phrase-level training file
	latin1   []bool   // per file
	clean    bool
	keepCase bool
}

var datasets = map[string]dataset{
	"mr":   {files: []string{"rt-polarity.all"}, classes: 2, latin1: []bool{true}, clean: true},
	"subj": {files: []string{"subj.all"}, classes: 2, latin1: []bool{true}, clean: true},
	"cr":   {files: []string{"custrev.all"}, classes: 2, latin1: []bool{false}, clean: true},
	"mpqa": {files: []string{"mpqa.all"}, classes: 2, latin1: []bool{false}, clean: true},
	"trec": {files: []string{"TREC.train.all", "TREC.test.all"}, classes: 6, latin1: []bool{true, true},
		clean: true, keepCase: true},
	"sst2": {files: []string{"stsa.binary.train", "stsa.binary.dev", "stsa.binary.test"}, classes: 2,
		phrases: "sst/stsa.binary.phrases.train.derived.gz", latin1: []bool{false, false, false}},
	"sst5": {files: []string{"stsa.fine.train", "stsa.fine.dev", "stsa.fine.test"}, classes: 5,
		phrases: "sst/stsa.fine.phrases.train.derived.gz", latin1: []bool{false, false, false}},
}

//go:embed testdata/trec/TREC.train.all testdata/trec/TREC.test.all
var embeddedTREC embed.FS

// source is where the data files are read from: <dataDir>/classification on disk, or the
// embedded copy of TREC.
type source struct {
	fsys fs.FS
	dir  string // for messages
}

func openSource(dataDir, name string) (source, error) {
	if dataDir == EmbeddedDataDir {
		if name != "trec" {
			return source{}, fmt.Errorf("classification: only trec is embedded (data_dir %q), not %s", EmbeddedDataDir, name)
		}
		sub, err := fs.Sub(embeddedTREC, "testdata/trec")
		if err != nil {
			return source{}, fmt.Errorf("classification: embedded TREC: %w", err)
		}
		return source{fsys: sub, dir: "(embedded)"}, nil
	}
	dir := filepath.Join(dataDir, "classification")
	return source{fsys: os.DirFS(dir), dir: dir}, nil
}

// read returns the examples of one file, tokenised as the dataset is.
func (s source) read(name, file string, latin1 bool, d dataset) ([]Example, error) {
	data, err := fs.ReadFile(s.fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("classification: %s: no such file: run `sru data download %s` or set SRU_DATA",
			filepath.Join(s.dir, filepath.FromSlash(file)), name)
	}
	if err != nil {
		return nil, fmt.Errorf("classification: %w", err)
	}
	if path.Ext(file) == ".gz" {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("classification: %s: %w", file, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("classification: %s: %w", file, err)
		}
	}
	raw, err := ParseLines(data, latin1)
	if err != nil {
		return nil, fmt.Errorf("classification: %s: %w", file, err)
	}
	out := make([]Example, len(raw))
	for i, r := range raw {
		if int(r.Label) >= d.classes {
			return nil, fmt.Errorf("classification: %s:%d: label %d is not one of the %d classes of %s (0..%d)",
				filepath.Join(s.dir, filepath.FromSlash(file)), r.Line, r.Label, d.classes, name, d.classes-1)
		}
		text := r.Text
		if d.clean {
			text = CleanStr(text, d.keepCase)
		}
		out[i] = Example{Label: r.Label, Words: Tokens(text)}
	}
	return out, nil
}

// Splits are the examples of a run: train, valid and test.
type Splits struct {
	Train, Valid, Test []Example
	Classes            int // the dataset's declared number of classes; every label is below it
}

// LoadSplits reads a dataset and splits it as the official dataloader.py does, with Python's
// random.seed(1234) reproduced exactly:
//
//   - mr, subj, cr, mpqa: the file is shuffled (random.shuffle of the line indices); fold k is
//     the examples at shuffled positions i with i mod 10 = k, the test set; the other 90% are
//     shuffled again with the same generator and the first int(0.9·n) of them train, the rest
//     validate (cv_split).
//   - trec: TREC.test.all is the test set; the training file is shuffled and the positions
//     i mod 10 = fold validate (cv_split2).
//   - sst2, sst5: the files' train/dev/test (the training set shuffled, which only orders it);
//     with phrases the training set is every labelled phrase of the training trees.
//
// dataDir is the data root (its classification/ directory holds the files) or EmbeddedDataDir.
func LoadSplits(name string, fold int, phrases bool, dataDir string) (*Splits, error) {
	d, ok := datasets[name]
	if !ok {
		return nil, fmt.Errorf("classification: unknown dataset %q", name)
	}
	if fold < 0 || fold >= NumFolds {
		return nil, fmt.Errorf("classification: fold %d outside 0..%d (the runner expands -1 into all folds)", fold, NumFolds-1)
	}
	src, err := openSource(dataDir, name)
	if err != nil {
		return nil, err
	}
	files := make([][]Example, len(d.files))
	for i, f := range d.files {
		if phrases && i == 0 {
			f = d.phrases
		}
		if files[i], err = src.read(name, f, d.latin1[i], d); err != nil {
			return nil, err
		}
	}
	rng := newPyRandom(officialSeed)
	s := &Splits{Classes: d.classes}
	switch {
	case CrossValidated(name):
		all := permute(files[0], rng.perm(len(files[0])))
		s.Test, s.Train = foldSplit(all, fold)
		rest := permute(s.Train, rng.perm(len(s.Train)))
		m := int(float64(len(rest)) * 0.9)
		s.Train, s.Valid = rest[:m], rest[m:]
	case name == "trec":
		all := permute(files[0], rng.perm(len(files[0])))
		s.Valid, s.Train = foldSplit(all, fold)
		s.Test = files[1]
	default:
		s.Train = permute(files[0], rng.perm(len(files[0])))
		s.Valid, s.Test = files[1], files[2]
	}
	return s, nil
}

func permute(xs []Example, perm []int) []Example {
	out := make([]Example, len(perm))
	for i, j := range perm {
		out[i] = xs[j]
	}
	return out
}

// foldSplit returns the examples at positions i mod NumFolds = k, and the others, in order.
func foldSplit(xs []Example, k int) (in, out []Example) {
	for i, x := range xs {
		if i%NumFolds == k {
			in = append(in, x)
		} else {
			out = append(out, x)
		}
	}
	return in, out
}
