package squad

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/datasets"
)

const tinyJSON = `{"version": "1.1", "data": [{"title": "T", "paragraphs": [
 {"context": "Ünïcode café in 1,000 U.S. cities.", "qas": [
  {"id": "q1", "question": "Where?", "answers": [{"text": "café", "answer_start": 8}]},
  {"id": "q2", "question": "How many?", "answers": [{"text": "1,000", "answer_start": 16}, {"text": "000", "answer_start": 18}]}]}]}]}`

func TestReadDataset(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(tinyJSON))
	zw.Close()
	for name, in := range map[string][]byte{"plain": []byte(tinyJSON), "gzip": gz.Bytes()} {
		ds, err := ReadDataset(bytes.NewReader(in), name)
		if err != nil {
			t.Fatal(name, err)
		}
		if ds.Version != "1.1" || len(ds.Paragraphs) != 1 || ds.NumQuestions() != 2 {
			t.Fatalf("%s: %+v", name, ds)
		}
		p := ds.Paragraphs[0]
		for _, q := range p.Questions {
			for _, a := range q.Answers {
				if p.Context[a.Start:a.End] != a.Text {
					t.Errorf("%s: %s: offsets %d:%d read %q, want %q", name, q.ID, a.Start, a.End, p.Context[a.Start:a.End], a.Text)
				}
			}
		}
	}
}

func TestReadDatasetErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{strings.Replace(tinyJSON, `"answer_start": 8`, `"answer_start": 9`, 1), `article 0 ("T") paragraph 0 question 0 (id "q1") answer 0: the context at answer_start 9`},
		{strings.Replace(tinyJSON, `"answer_start": 8`, `"answer_start": 900`, 1), `question 0 (id "q1") answer 0: answer_start 900`},
		{strings.Replace(tinyJSON, `"question": "How many?", `, ``, 1), `question 1 (id "q2"): no "question"`},
		{strings.Replace(tinyJSON, `"answer_start": 16`, `"answer_start": "16"`, 1), `article 0 ("T") paragraph 0 question 1 (id "q2"): "answers.answer_start" is a JSON string`},
		{tinyJSON[:200], `article 0: invalid JSON`},
		{`{"version": "1.1"}`, `no "data"`},
		{`[]`, `invalid SQuAD JSON`},
	} {
		_, err := ReadDataset(strings.NewReader(c.in), "x.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "squad: x.json: ") {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
}

func FuzzReadDataset(f *testing.F) {
	f.Add([]byte(tinyJSON))
	f.Add([]byte(`{"data": []}`))
	if b, err := os.ReadFile(filepath.Join("testdata", "dev-slice.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := ReadDataset(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for _, p := range ds.Paragraphs {
			for _, q := range p.Questions {
				for _, a := range q.Answers {
					if p.Context[a.Start:a.End] != a.Text {
						t.Fatalf("answer %q at %d:%d reads %q", a.Text, a.Start, a.End, p.Context[a.Start:a.End])
					}
				}
			}
		}
	})
}

// squadFile returns the path of a file of the data directory's squad/ folder. The test fails
// when $SRU_DATA is set and the file is missing, and skips when $SRU_DATA is not set.
func squadFile(t testing.TB, name string) string {
	dir := os.Getenv("SRU_DATA")
	if dir == "" {
		t.Skipf("SRU_DATA not set: no %s to read", name)
	}
	f, err := locate(datasets.Default, dir, name)
	if err != nil {
		t.Fatalf("SRU_DATA is set but %v", err)
	}
	t.Logf("reading %s", f.describe())
	return f.path
}
