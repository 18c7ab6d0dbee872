package score

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// ReadBLEUSegments reads a hypothesis or reference file as the sacrebleu command does: UTF-8
// text split at "\n" only (a final newline is optional), each line stripped of trailing
// whitespace (Python's str.rstrip, so "\r" goes too). Text that is not valid UTF-8 is an
// error naming the line; name (the file name, say) starts every message.
func ReadBLEUSegments(r io.Reader, name string) ([]string, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("score: %s: %w", name, err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	raw = bytes.TrimSuffix(raw, []byte{'\n'})
	lines := strings.Split(string(raw), "\n")
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, fmt.Errorf("score: %s:%d: not valid UTF-8", name, i+1)
		}
		lines[i] = pyRStrip(l)
	}
	return lines, nil
}

// OpenBLEUSegments reads a segment file from disk, gunzipping a name ending in ".gz" as
// sacreBLEU does (see ReadBLEUSegments).
func OpenBLEUSegments(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("score: %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	return ReadBLEUSegments(r, path)
}
