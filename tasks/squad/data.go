package squad

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/gosru/gosru/score"
)

// Dataset is a SQuAD v1.1 file as the reader needs it for training and prediction: every
// paragraph's context with its questions and their answers.
type Dataset struct {
	Version    string
	Paragraphs []Paragraph
}

// Paragraph is one context and the questions asked about it.
type Paragraph struct {
	Article   string // the article's title
	Context   string
	Questions []Question
}

// Question is one question with its gold answers.
type Question struct {
	ID      string
	Text    string
	Answers []Answer
}

// Answer is a gold answer: its text and where it lies in the context, in bytes (the file's
// answer_start counts characters, as Python does; Start is converted). Context[Start:End] ==
// Text.
type Answer struct {
	Text       string
	Start, End int
}

// NumQuestions counts the questions of the dataset.
func (d *Dataset) NumQuestions() int {
	n := 0
	for i := range d.Paragraphs {
		n += len(d.Paragraphs[i].Questions)
	}
	return n
}

// OpenDataset reads a SQuAD file: plain JSON, gzip, or a zip archive holding one .json file
// (as the official dev-v1.1.json.zip).
func OpenDataset(path string) (*Dataset, error) {
	r, name, err := score.OpenJSONFile(path)
	if err != nil {
		return nil, fmt.Errorf("squad: %w", err)
	}
	defer r.Close()
	return ReadDataset(r, name)
}

// ReadDataset reads the official SQuAD JSON schema from r (plain or gzip), one article at a
// time from the stream. An error names the file (name), the article (index and title), and
// for a question its paragraph, index and id: invalid JSON, a missing field, or an answer
// whose answer_start does not point at its text in the context.
func ReadDataset(r io.Reader, name string) (*Dataset, error) {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("squad: %s: %w", name, err)
		}
		defer zr.Close()
		in = zr
	}
	dec := json.NewDecoder(in)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("squad: %s: "+format, append([]any{name}, args...)...)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fail("%w", err)
	}
	ds := &Dataset{}
	sawData := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("%w", jsonError(err))
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			if err := dec.Decode(&ds.Version); err != nil {
				return nil, fail("\"version\": %w", jsonError(err))
			}
		case "data":
			sawData = true
			if err := expectDelim(dec, '['); err != nil {
				return nil, fail("\"data\": %w", err)
			}
			for ai := 0; dec.More(); ai++ {
				var a article
				if err := dec.Decode(&a); err != nil {
					return nil, fail("article %d: %w", ai, jsonError(err))
				}
				if err := ds.addArticle(ai, &a); err != nil {
					return nil, fail("%w", err)
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, fail("\"data\": %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail("%q: %w", key, jsonError(err))
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fail("%w", err)
	}
	if !sawData {
		return nil, fail("no \"data\" list")
	}
	return ds, nil
}

type article struct {
	Title      string `json:"title"`
	Paragraphs []struct {
		Context *string           `json:"context"`
		QAs     []json.RawMessage `json:"qas"` // decoded one by one, so that errors name the question
	} `json:"paragraphs"`
}

type questionJSON struct {
	ID       *string `json:"id"`
	Question *string `json:"question"`
	Answers  []struct {
		Text        *string `json:"text"`
		AnswerStart *int    `json:"answer_start"`
	} `json:"answers"`
}

// addArticle checks one decoded article and appends its paragraphs.
func (ds *Dataset) addArticle(ai int, a *article) error {
	where := fmt.Sprintf("article %d (%q)", ai, a.Title)
	for pi, p := range a.Paragraphs {
		if p.Context == nil {
			return fmt.Errorf("%s paragraph %d: no \"context\"", where, pi)
		}
		ctx := *p.Context
		// runeStarts[k] is the byte offset of character k (and len(ctx) at the end).
		runeStarts := make([]int, 0, len(ctx)+1)
		for i := range ctx {
			runeStarts = append(runeStarts, i)
		}
		runeStarts = append(runeStarts, len(ctx))
		par := Paragraph{Article: a.Title, Context: ctx}
		for qi, raw := range p.QAs {
			var qa questionJSON
			if err := json.Unmarshal(raw, &qa); err != nil {
				var id struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(raw, &id)
				return fmt.Errorf("%s paragraph %d question %d (id %q): %w", where, pi, qi, id.ID, jsonError(err))
			}
			if qa.ID == nil {
				return fmt.Errorf("%s paragraph %d question %d: no \"id\"", where, pi, qi)
			}
			qwhere := fmt.Sprintf("%s paragraph %d question %d (id %q)", where, pi, qi, *qa.ID)
			if qa.Question == nil {
				return fmt.Errorf("%s: no \"question\"", qwhere)
			}
			q := Question{ID: *qa.ID, Text: *qa.Question}
			for k, ans := range qa.Answers {
				if ans.Text == nil || ans.AnswerStart == nil {
					return fmt.Errorf("%s answer %d: needs \"text\" and \"answer_start\"", qwhere, k)
				}
				s, n := *ans.AnswerStart, utf8.RuneCountInString(*ans.Text)
				if s < 0 || s+n >= len(runeStarts) {
					return fmt.Errorf("%s answer %d: answer_start %d (+%d characters) is outside the context (%d characters)",
						qwhere, k, s, n, len(runeStarts)-1)
				}
				start, end := runeStarts[s], runeStarts[s+n]
				if ctx[start:end] != *ans.Text {
					return fmt.Errorf("%s answer %d: the context at answer_start %d reads %q, not the answer %q",
						qwhere, k, s, ctx[start:end], *ans.Text)
				}
				q.Answers = append(q.Answers, Answer{Text: *ans.Text, Start: start, End: end})
			}
			par.Questions = append(par.Questions, q)
		}
		ds.Paragraphs = append(ds.Paragraphs, par)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("invalid SQuAD JSON: found %v where %q was expected", tok, string(want))
	}
	return nil
}

func jsonError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the input ends too early")
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("%q is a JSON %s, expected %s", typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}
