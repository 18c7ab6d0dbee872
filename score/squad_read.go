package score

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ReadSQuADDataset reads a dataset in the official SQuAD JSON schema ({"version": ..., "data":
// [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text",
// "answer_start"}]}]}]}]}), plain or gzip-compressed. Only what the evaluation needs is kept.
// An error names the article, paragraph and question where the data is wrong; name (the file
// name, say) starts every message.
func ReadSQuADDataset(r io.Reader, name string) (*SQuADDataset, error) {
	raw, err := readMaybeGzip(r)
	if err != nil {
		return nil, fmt.Errorf("score: squad dataset %s: %w", name, err)
	}
	var top struct {
		Version json.RawMessage   `json:"version"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := decodeJSON(raw, &top); err != nil {
		return nil, fmt.Errorf("score: squad dataset %s: %w", name, err)
	}
	ds := &SQuADDataset{}
	if top.Version == nil {
		return nil, fmt.Errorf("score: squad dataset %s: no \"version\" field", name)
	}
	var ok bool
	if ds.Version, ok = jsonString(top.Version); !ok {
		return nil, fmt.Errorf("score: squad dataset %s: \"version\" is %s, not a string", name, jsonKind(top.Version))
	}
	if top.Data == nil {
		return nil, fmt.Errorf("score: squad dataset %s: no \"data\" list", name)
	}
	for ai, articleRaw := range top.Data {
		var article struct {
			Title      string            `json:"title"`
			Paragraphs []json.RawMessage `json:"paragraphs"`
		}
		if err := json.Unmarshal(articleRaw, &article); err != nil {
			return nil, fmt.Errorf("score: squad dataset %s: article %d: %w", name, ai, describeJSONError(err))
		}
		where := fmt.Sprintf("article %d (%q)", ai, article.Title)
		if article.Paragraphs == nil {
			return nil, fmt.Errorf("score: squad dataset %s: %s: no \"paragraphs\" list", name, where)
		}
		for pi, paragraphRaw := range article.Paragraphs {
			var paragraph struct {
				QAs []json.RawMessage `json:"qas"`
			}
			if err := json.Unmarshal(paragraphRaw, &paragraph); err != nil {
				return nil, fmt.Errorf("score: squad dataset %s: %s paragraph %d: %w", name, where, pi, describeJSONError(err))
			}
			if paragraph.QAs == nil {
				return nil, fmt.Errorf("score: squad dataset %s: %s paragraph %d: no \"qas\" list", name, where, pi)
			}
			for qi, qaRaw := range paragraph.QAs {
				q, err := decodeSQuADQuestion(qaRaw)
				if err != nil {
					return nil, fmt.Errorf("score: squad dataset %s: %s paragraph %d question %d%s: %w", name, where, pi, qi, idSuffix(q.ID), err)
				}
				q.Article = article.Title
				ds.Questions = append(ds.Questions, q)
			}
		}
	}
	return ds, nil
}

func idSuffix(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (id %q)", id)
}

func decodeSQuADQuestion(raw json.RawMessage) (SQuADQuestion, error) {
	var qa struct {
		ID      *string           `json:"id"`
		Answers []json.RawMessage `json:"answers"`
	}
	if err := json.Unmarshal(raw, &qa); err != nil {
		// Keep the id for the message when it can be read.
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		return SQuADQuestion{ID: idOnly.ID}, describeJSONError(err)
	}
	if qa.ID == nil {
		return SQuADQuestion{}, errors.New("no \"id\"")
	}
	// A question without answers is read; SQuAD rejects it only if it has a prediction, as
	// the official script does.
	q := SQuADQuestion{ID: *qa.ID}
	for k, answerRaw := range qa.Answers {
		var answer struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(answerRaw, &answer); err != nil {
			return q, fmt.Errorf("answer %d: %w", k, describeJSONError(err))
		}
		if answer.Text == nil {
			return q, fmt.Errorf("answer %d: no \"text\"", k)
		}
		q.Answers = append(q.Answers, *answer.Text)
	}
	return q, nil
}

// OpenSQuADDataset reads a dataset file: plain JSON, gzip, or a zip archive holding one .json
// file (as the official dev-v1.1.json.zip).
func OpenSQuADDataset(path string) (*SQuADDataset, error) {
	r, name, err := OpenJSONFile(path)
	if err != nil {
		return nil, fmt.Errorf("score: squad dataset: %w", err)
	}
	defer r.Close()
	return ReadSQuADDataset(r, name)
}

// OpenJSONFile opens a JSON file, or the one .json member of a zip archive (as the official
// dev-v1.1.json.zip), and returns it with the name errors should use (path, or path:member).
// Gzip is left to the reader.
func OpenJSONFile(path string) (io.ReadCloser, string, error) {
	if !strings.EqualFold(filepath.Ext(path), ".zip") {
		f, err := os.Open(path)
		return f, path, err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, "", err
	}
	var member *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			if member != nil {
				zr.Close()
				return nil, "", fmt.Errorf("%s: more than one .json file in the archive (%s, %s)", path, member.Name, f.Name)
			}
			member = f
		}
	}
	if member == nil {
		zr.Close()
		return nil, "", fmt.Errorf("%s: no .json file in the archive", path)
	}
	rc, err := member.Open()
	if err != nil {
		zr.Close()
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return zipMember{rc, zr}, path + ":" + member.Name, nil
}

// zipMember closes the member and its archive.
type zipMember struct {
	io.ReadCloser
	archive *zip.ReadCloser
}

func (m zipMember) Close() error {
	err := m.ReadCloser.Close()
	if aerr := m.archive.Close(); err == nil {
		err = aerr
	}
	return err
}

// ReadSQuADPredictions reads an official predictions file: one JSON object mapping question
// ids to answer strings. A value that is not a string is an error naming its id.
func ReadSQuADPredictions(r io.Reader, name string) (map[string]string, error) {
	raw, err := readMaybeGzip(r)
	if err != nil {
		return nil, fmt.Errorf("score: squad predictions %s: %w", name, err)
	}
	var values map[string]json.RawMessage
	if err := decodeJSON(raw, &values); err != nil {
		return nil, fmt.Errorf("score: squad predictions %s: %w", name, err)
	}
	if values == nil {
		return nil, fmt.Errorf("score: squad predictions %s: not a JSON object of id → answer", name)
	}
	predictions := make(map[string]string, len(values))
	for id, v := range values {
		answer, ok := jsonString(v)
		if !ok {
			return nil, fmt.Errorf("score: squad predictions %s: the answer for %q is %s, not a string", name, id, jsonKind(v))
		}
		predictions[id] = answer
	}
	return predictions, nil
}

// OpenSQuADPredictions reads a predictions file from disk.
func OpenSQuADPredictions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: squad predictions: %w", err)
	}
	defer f.Close()
	return ReadSQuADPredictions(f, path)
}

// readMaybeGzip reads all of r, decompressing it when it starts with the gzip magic bytes.
func readMaybeGzip(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return io.ReadAll(br)
}

// decodeJSON decodes one JSON value that must fill the whole input; errors give the line and
// column.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty input, expected JSON")
		}
		return positionedJSONError(raw, err)
	}
	if dec.More() {
		off := dec.InputOffset()
		line, col := lineColumn(raw, off)
		return fmt.Errorf("line %d column %d: more data after the JSON value", line, col)
	}
	return nil
}

func positionedJSONError(raw []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := lineColumn(raw, syntax.Offset-1) // Offset counts the offending byte
		return fmt.Errorf("line %d column %d: invalid JSON: %v", line, col, syntax)
	case errors.As(err, &typ):
		line, col := lineColumn(raw, typ.Offset)
		return fmt.Errorf("line %d column %d: %w", line, col, describeJSONError(err))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the input ends in the middle of a value")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// describeJSONError turns a decoding error inside a value into a short message.
func describeJSONError(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field != "" {
			return fmt.Errorf("%q is a JSON %s, expected %s", typ.Field, typ.Value, goTypeInJSON(typ.Type.String()))
		}
		return fmt.Errorf("a JSON %s where %s was expected", typ.Value, goTypeInJSON(typ.Type.String()))
	}
	return err
}

func goTypeInJSON(goType string) string {
	switch {
	case goType == "string" || goType == "*string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "struct") || strings.HasPrefix(goType, "map"):
		return "an object"
	}
	return goType
}

// jsonString decodes a raw JSON value that must be a string (null is not).
func jsonString(v json.RawMessage) (string, bool) {
	var s string
	if jsonKind(v) != "a string" || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonKind names the kind of a raw JSON value for messages.
func jsonKind(v json.RawMessage) string {
	s := bytes.TrimSpace(v)
	if len(s) == 0 {
		return "empty"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func lineColumn(raw []byte, offset int64) (line, col int) {
	if offset > int64(len(raw)) {
		offset = int64(len(raw))
	}
	if offset < 0 {
		offset = 0
	}
	before := raw[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
