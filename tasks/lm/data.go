package lm

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EOS ends every line of a corpus.
const EOS = "<eos>"

// unk is PTB's rare-word token; words of valid or test outside the vocabulary map to it.
const unk = "<unk>"

// Vocab maps words to ids: the training words in order of first occurrence (as the official
// EmbeddingLayer builds it).
type Vocab struct {
	Words []string
	index map[string]int32
}

// ID returns the id of w.
func (v *Vocab) ID(w string) (int32, bool) {
	id, ok := v.index[w]
	return id, ok
}

func (v *Vocab) add(w string) int32 {
	if id, ok := v.index[w]; ok {
		return id
	}
	id := int32(len(v.Words))
	v.index[w] = id
	v.Words = append(v.Words, w)
	return id
}

// Corpus is a tokenised corpus: the vocabulary and the ids of each split.
type Corpus struct {
	Vocab              *Vocab
	Train, Valid, Test []int32
}

// ReadTokens splits text into words at white space, line by line, with EOS after every line
// (Python's `line.split() + [eos]` over the file's lines).
func ReadTokens(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var words []string
	for sc.Scan() {
		words = append(words, strings.Fields(sc.Text())...)
		words = append(words, EOS)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return words, nil
}

// NewCorpus builds the vocabulary from the training words and maps every split to ids. A
// valid or test word outside it becomes <unk> when the vocabulary has one, else is an error.
func NewCorpus(train, valid, test []string) (*Corpus, error) {
	v := &Vocab{index: map[string]int32{}}
	c := &Corpus{Vocab: v, Train: make([]int32, len(train))}
	for i, w := range train {
		c.Train[i] = v.add(w)
	}
	unkID, hasUnk := v.ID(unk)
	ids := func(split string, words []string) ([]int32, error) {
		out := make([]int32, len(words))
		for i, w := range words {
			id, ok := v.ID(w)
			if !ok {
				if !hasUnk {
					return nil, fmt.Errorf("lm: %s word %d %q is not in the training vocabulary (which has no %s)", split, i, w, unk)
				}
				id = unkID
			}
			out[i] = id
		}
		return out, nil
	}
	var err error
	if c.Valid, err = ids("valid", valid); err != nil {
		return nil, err
	}
	if c.Test, err = ids("test", test); err != nil {
		return nil, err
	}
	return c, nil
}

// SplitFile is the path of a split of a dataset under the data directory.
func SplitFile(dataDir, dataset, split string) string {
	return filepath.Join(dataDir, "lm", dataset, dataset+"."+split+".txt.gz")
}

// WriteSplit writes lines (one sentence each, words separated by spaces) as a split of a
// dataset under dataDir, gzipped, where Load reads it: tests and tools that make corpora.
func WriteSplit(dataDir, dataset, split string, lines []string) error {
	path := SplitFile(dataDir, dataset, split)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	z := gzip.NewWriter(f)
	w := bufio.NewWriter(z)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	err = w.Flush()
	if cerr := z.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("lm: writing %s: %w", path, err)
	}
	return nil
}

// Load reads a dataset's gzipped train, valid and test files from dataDir/lm/<dataset>.
func Load(dataDir, dataset string) (*Corpus, error) {
	var splits [3][]string
	for i, split := range []string{"train", "valid", "test"} {
		path := SplitFile(dataDir, dataset, split)
		words, err := readGzipTokens(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lm: %s: no such file: run `sru data download %s` or set SRU_DATA", path, dataset)
		}
		if err != nil {
			return nil, fmt.Errorf("lm: %s: %w", path, err)
		}
		if len(words) < 2 {
			return nil, fmt.Errorf("lm: %s holds %d tokens", path, len(words))
		}
		splits[i] = words
	}
	return NewCorpus(splits[0], splits[1], splits[2])
}

func readGzipTokens(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	defer z.Close()
	return ReadTokens(z)
}

// stream is a split cut into B parallel streams, time-major: x[t·B+b] is token b·Steps+t of the
// split and y[t·B+b] the token after it (official create_batches: the tail that does not fill
// every stream is dropped).
type stream struct {
	B, Steps int
	x, y     []int32
}

func newStream(ids []int32, B int) (*stream, error) {
	steps := (len(ids) - 1) / B
	if steps < 1 {
		return nil, fmt.Errorf("lm: %d tokens cannot fill %d streams", len(ids), B)
	}
	s := &stream{B: B, Steps: steps, x: make([]int32, steps*B), y: make([]int32, steps*B)}
	for b := 0; b < B; b++ {
		for t := 0; t < steps; t++ {
			s.x[t*B+b] = ids[b*steps+t]
			s.y[t*B+b] = ids[b*steps+t+1]
		}
	}
	return s, nil
}

// windows is the number of truncated back-propagation windows of length unroll (the last may
// be shorter).
func (s *stream) windows(unroll int) int { return (s.Steps + unroll - 1) / unroll }

// window returns the inputs and targets of window i ([L, B] time-major) and its length L.
func (s *stream) window(i, unroll int) (x, y []int32, L int) {
	lo := i * unroll
	hi := min(lo+unroll, s.Steps)
	return s.x[lo*s.B : hi*s.B], s.y[lo*s.B : hi*s.B], hi - lo
}

// tokens is the number of predicted tokens (targets) of the stream.
func (s *stream) tokens() int { return len(s.y) }
