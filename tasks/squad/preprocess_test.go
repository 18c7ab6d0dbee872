package squad

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestPreparedCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join("testdata", "dev-slice.json")
	p1, cached, err := LoadPrepared(path, dir)
	if err != nil || cached {
		t.Fatalf("first load: cached %v, %v", cached, err)
	}
	p2, cached, err := LoadPrepared(path, dir)
	if err != nil || !cached {
		t.Fatalf("second load: cached %v, %v", cached, err)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Fatal("the cached preprocessing differs from the fresh one")
	}
	for _, q := range p1.Questions {
		if q.First < 0 {
			continue
		}
		par := p1.Paragraphs[q.Paragraph]
		got := par.Context[par.Tokens[q.First].Start:par.Tokens[q.Last].End]
		if got != q.Answers[0] && !contains(q.Answers, got) {
			t.Errorf("%s: span reads %q, answers %q", q.ID, got, q.Answers)
		}
	}
	t.Logf("%d questions, %d without an aligned answer", len(p1.Questions), p1.Unaligned)
}

// TestPreparedCacheUnwritable: a cache directory that cannot be made (here under a regular
// file, which fails even for root) leaves the data readable.
func TestPreparedCacheUnwritable(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p, cached, err := LoadPrepared(filepath.Join("testdata", "dev-slice.json"), filepath.Join(blocker, "cache"))
	if err != nil || cached || len(p.Questions) == 0 {
		t.Fatalf("load with an unwritable cache: %d questions, cached %v, %v", len(p.Questions), cached, err)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestPrepareTrain reads the training file and reports the questions whose answer cuts a
// token (dropped from training; 452 of 87,599) and the time to preprocess.
func TestPrepareTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	path := squadFile(t, TrainFile)
	start := time.Now()
	p, _, err := LoadPrepared(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Paragraphs) != 18896 || len(p.Questions) != 87599 {
		t.Errorf("train has %d paragraphs and %d questions, want SQuAD v1.1's 18,896 and 87,599", len(p.Paragraphs), len(p.Questions))
	}
	t.Logf("train: %d paragraphs, %d questions, %d unaligned (dropped from training, %.2f%%), read+tokenised in %v",
		len(p.Paragraphs), len(p.Questions), p.Unaligned, 100*float64(p.Unaligned)/float64(len(p.Questions)), time.Since(start))
}
