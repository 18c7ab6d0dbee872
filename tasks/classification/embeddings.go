package classification

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Vectors are pretrained word vectors: row i of Data (Dim wide) belongs to Words[i].
type Vectors struct {
	Dim   int
	Words []string
	Index map[string]int
	Data  []float32
	// Format is the detected file format: "word2vec-text", "word2vec-binary" or "glove".
	Format string
}

// Vector returns the vector of w, or nil.
func (v *Vectors) Vector(w string) []float32 {
	i, ok := v.Index[w]
	if !ok {
		return nil
	}
	return v.Data[i*v.Dim : (i+1)*v.Dim]
}

// LoadVectors reads the vectors of the words for which want is true from a pretrained file and
// ignores the rest (a 3M-word file costs only the words a dataset uses). The format is
// detected: word2vec text ("<count> <dim>" header, then "word v1 … vD" lines), word2vec binary
// (the same header, then "word " and D little-endian float32 per word) or GloVe text (no
// header); gzip-compressed files are read as well. A word seen twice keeps its first vector.
func LoadVectors(path string, want func(word string) bool) (*Vectors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("classification: embeddings: %w", err)
	}
	defer f.Close()
	v, err := readVectors(f, want)
	if err != nil {
		return nil, fmt.Errorf("classification: embeddings %s: %w", path, err)
	}
	return v, nil
}

func readVectors(r io.Reader, want func(string) bool) (*Vectors, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	v := &Vectors{Index: map[string]int{}}
	first, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("empty file")
	}
	if n, dim, ok := header(first); ok {
		v.Dim = dim
		if isTextRecord(br, dim) {
			v.Format = "word2vec-text"
			return v, v.readText(br, want, 2)
		}
		v.Format = "word2vec-binary"
		return v, v.readBinary(br, want, n)
	}
	v.Format = "glove"
	v.Dim = len(bytes.Fields(first)) - 1
	if v.Dim < 1 {
		return nil, fmt.Errorf("line 1: no vector")
	}
	if err := v.addText(first, want, 1); err != nil {
		return nil, err
	}
	return v, v.readText(br, want, 2)
}

// readLine returns the next line without its "\n" or "\r\n"; io.EOF when there is none.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a line longer than the buffer
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if len(line) == 0 && err != nil {
		return nil, io.EOF
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// header recognises the word2vec "<count> <dim>" line.
func header(line []byte) (n, dim int, ok bool) {
	f := bytes.Fields(line)
	if len(f) != 2 {
		return 0, 0, false
	}
	n, err1 := strconv.Atoi(string(f[0]))
	dim, err2 := strconv.Atoi(string(f[1]))
	return n, dim, err1 == nil && err2 == nil && n >= 0 && dim > 0
}

// isTextRecord says whether the first record after a word2vec header is a text line of a word
// and dim numbers; binary float bytes essentially never parse as that.
func isTextRecord(br *bufio.Reader, dim int) bool {
	peek, _ := br.Peek(min(br.Size(), 64*dim+1024))
	i := bytes.IndexByte(peek, '\n')
	if i < 0 { // the last line, or binary data without a newline byte
		i = len(peek)
	}
	f := bytes.Fields(peek[:i])
	if len(f) < dim+1 {
		return false
	}
	for _, x := range f[len(f)-dim:] {
		if _, err := strconv.ParseFloat(string(x), 32); err != nil {
			return false
		}
	}
	return true
}

// readText reads "word v1 … vD" lines; lineNo is the number of the first. A word may hold
// spaces (GloVe 840B has some): it is everything before the last D fields.
func (v *Vectors) readText(br *bufio.Reader, want func(string) bool, lineNo int) error {
	for ; ; lineNo++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := v.addText(line, want, lineNo); err != nil {
			return err
		}
	}
	return nil
}

func (v *Vectors) addText(line []byte, want func(string) bool, lineNo int) error {
	// Find the start of the last Dim fields by scanning back; most words are not wanted, so
	// the numbers are parsed only for those that are.
	end := len(line)
	for k := 0; k < v.Dim; k++ {
		end = bytes.LastIndexAny(bytes.TrimRight(line[:end], " \t"), " \t")
		if end < 0 {
			return fmt.Errorf("line %d: fewer than %d values", lineNo, v.Dim)
		}
	}
	word := string(bytes.TrimSpace(line[:end]))
	if word == "" {
		return fmt.Errorf("line %d: no word", lineNo)
	}
	if _, dup := v.Index[word]; dup || !want(word) {
		return nil
	}
	nums := bytes.Fields(line[end:])
	if len(nums) != v.Dim {
		return fmt.Errorf("line %d: %d values, want %d", lineNo, len(nums), v.Dim)
	}
	row := len(v.Data)
	v.Data = append(v.Data, make([]float32, v.Dim)...)
	for k, x := range nums {
		f, err := strconv.ParseFloat(string(x), 32)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		v.Data[row+k] = float32(f)
	}
	v.Index[word] = len(v.Words)
	v.Words = append(v.Words, word)
	return nil
}

// readBinary reads n records of "word " + Dim float32 (an optional "\n" before each word).
func (v *Vectors) readBinary(br *bufio.Reader, want func(string) bool, n int) error {
	buf := make([]byte, 4*v.Dim)
	for i := 0; i < n; i++ {
		word, err := br.ReadBytes(' ')
		if err != nil {
			return fmt.Errorf("record %d of %d: %w", i+1, n, errOrEOF(err))
		}
		w := string(bytes.TrimLeft(word[:len(word)-1], "\n"))
		if _, err := io.ReadFull(br, buf); err != nil {
			return fmt.Errorf("record %d (%q): %w", i+1, w, errOrEOF(err))
		}
		if _, dup := v.Index[w]; dup || w == "" || !want(w) {
			continue
		}
		for k := 0; k < v.Dim; k++ {
			v.Data = append(v.Data, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*k:])))
		}
		v.Index[w] = len(v.Words)
		v.Words = append(v.Words, w)
	}
	return nil
}

func errOrEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
