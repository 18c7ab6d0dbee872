package score

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Transcript is one utterance of a transcript file.
type Transcript struct {
	// ID is the utterance id of an "id text" line; empty in a plain file.
	ID   string
	Text string
	// Line is the 1-based line number in the file.
	Line int
}

// maxTranscriptLine bounds one line of a transcript file.
const maxTranscriptLine = 1 << 20

// ReadTranscripts reads a transcript file, one utterance per line (a final newline is
// optional; "\r\n" endings are accepted). In a plain file every line is an utterance, empty
// lines included. With withIDs, each line is "id text": the id is the first
// whitespace-separated field and the text the rest, trimmed (possibly empty); blank lines are
// skipped, and an id that occurs twice is an error. name (the file name, say) starts every
// message.
func ReadTranscripts(r io.Reader, name string, withIDs bool) ([]Transcript, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxTranscriptLine)
	var out []Transcript
	line := 1
	for ; sc.Scan(); line++ {
		out = append(out, Transcript{Text: string(bytes.TrimSuffix(sc.Bytes(), []byte{'\r'})), Line: line})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("score: %s: line %d is longer than %d bytes", name, line, maxTranscriptLine)
		}
		return nil, fmt.Errorf("score: %s: %w", name, err)
	}
	if withIDs {
		return SplitIDs(out, name)
	}
	return out, nil
}

// SplitIDs turns the lines of a plain reading into "id text" utterances (see
// ReadTranscripts).
func SplitIDs(lines []Transcript, name string) ([]Transcript, error) {
	var out []Transcript
	seen := map[string]int{}
	for _, l := range lines {
		fields := pyFields(l.Text)
		if len(fields) == 0 {
			continue
		}
		id := fields[0]
		if first, dup := seen[id]; dup {
			return nil, fmt.Errorf("score: %s:%d: utterance id %q already on line %d", name, l.Line, id, first)
		}
		seen[id] = l.Line
		rest := l.Text[strings.Index(l.Text, id)+len(id):]
		out = append(out, Transcript{ID: id, Text: strings.Join(pyFields(rest), " "), Line: l.Line})
	}
	return out, nil
}

// OpenTranscripts reads a transcript file from disk (see ReadTranscripts).
func OpenTranscripts(path string, withIDs bool) ([]Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	return ReadTranscripts(f, path, withIDs)
}

// PairedTranscripts are reference and hypothesis texts side by side, ready for WER and CER.
type PairedTranscripts struct {
	// IDs are the utterance ids in reference order (empty strings for plain files).
	IDs        []string
	Refs, Hyps []string
	// MissingHyps are reference ids without a hypothesis; each is scored against an empty
	// hypothesis (all its words deleted).
	MissingHyps []string
}

// PairTranscripts matches hypotheses with references: by id when both have ids (see
// ReadTranscripts), else line by line, when the line counts must agree. A hypothesis id
// without a reference is an error, and so is mixing files with and without ids.
func PairTranscripts(refs, hyps []Transcript) (PairedTranscripts, error) {
	var p PairedTranscripts
	refIDs, hypIDs := hasIDs(refs), hasIDs(hyps)
	if refIDs != hypIDs && len(refs) > 0 && len(hyps) > 0 {
		return p, errors.New("score: the reference and hypothesis files must both have utterance ids or both not")
	}
	if !refIDs || !hypIDs {
		if len(refs) != len(hyps) {
			return p, fmt.Errorf("score: %d reference lines but %d hypothesis lines", len(refs), len(hyps))
		}
		for i := range refs {
			p.IDs = append(p.IDs, "")
			p.Refs = append(p.Refs, refs[i].Text)
			p.Hyps = append(p.Hyps, hyps[i].Text)
		}
		return p, nil
	}
	byID := make(map[string]string, len(hyps))
	for _, h := range hyps {
		byID[h.ID] = h.Text
	}
	known := make(map[string]bool, len(refs))
	for _, r := range refs {
		known[r.ID] = true
		h, ok := byID[r.ID]
		if !ok {
			p.MissingHyps = append(p.MissingHyps, r.ID)
		}
		p.IDs = append(p.IDs, r.ID)
		p.Refs = append(p.Refs, r.Text)
		p.Hyps = append(p.Hyps, h)
	}
	for _, h := range hyps {
		if !known[h.ID] {
			return p, fmt.Errorf("score: hypothesis line %d: utterance id %q has no reference", h.Line, h.ID)
		}
	}
	return p, nil
}

func hasIDs(ts []Transcript) bool {
	return len(ts) > 0 && ts[0].ID != ""
}

// LooksLikeIDs guesses, from plain readings of a reference and a hypothesis file, whether
// they are "id text" files: each has at least two non-blank lines; the first fields are
// distinct within each file, each contains a digit or one of "_-.:/", and both files have the
// same set of them; every reference line has text after its id (a hypothesis may be empty).
// A command can offer a flag to override the guess.
func LooksLikeIDs(refs, hyps []Transcript) bool {
	refSet, ok := idSet(refs, true)
	if !ok {
		return false
	}
	hypSet, ok := idSet(hyps, false)
	if !ok || len(hypSet) != len(refSet) {
		return false
	}
	for id := range refSet {
		if !hypSet[id] {
			return false
		}
	}
	return true
}

func idSet(lines []Transcript, needText bool) (map[string]bool, bool) {
	set := map[string]bool{}
	for _, l := range lines {
		fields := pyFields(l.Text)
		if len(fields) == 0 {
			continue
		}
		id := fields[0]
		if (needText && len(fields) < 2) || set[id] || !strings.ContainsAny(id, "0123456789_-.:/") {
			return nil, false
		}
		set[id] = true
	}
	return set, len(set) >= 2
}
