package squad

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosru/gosru/datasets"
	"github.com/gosru/gosru/kernels"
)

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeData writes files (slash path -> bytes) under a new data directory.
func writeData(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		name := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLocate: the official file when present (alone or beside its substitute), else its
// substitute, else an error naming both; a corrupt substitute is still the file read (sru
// data verify flags it) and fails when read; files without a substitute are as configured.
func TestLocate(t *testing.T) {
	official := []byte(tinyJSON)
	substituteJSON := []byte(strings.Replace(tinyJSON, `"q1"`, `"rebuilt-q1"`, 1))
	substitute := gzipBytes(t, substituteJSON)
	reg, err := datasets.New(datasets.Dataset{Name: "squad", Task: "squad", Files: []datasets.File{{
		Path: "squad/train.json", Size: int64(len(official)), SHA256: sha(official), URL: "http://example.invalid/train.json",
		Substitute: &datasets.File{Path: "squad/train.rebuilt.json.gz", Size: int64(len(substitute)), SHA256: sha(substitute),
			Content: &datasets.Content{Kind: datasets.Gunzip, Size: int64(len(substituteJSON)), SHA256: sha(substituteJSON)},
			Derive:  "rebuilt"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		files   map[string][]byte
		want    string // the path read, relative; "" for an error
		sub     bool
		firstID string // of the dataset read; "" when reading it fails
	}{
		{"official", map[string][]byte{"squad/train.json": official}, "squad/train.json", false, "q1"},
		{"substitute", map[string][]byte{"squad/train.rebuilt.json.gz": substitute}, "squad/train.rebuilt.json.gz", true, "rebuilt-q1"},
		{"both", map[string][]byte{"squad/train.json": official, "squad/train.rebuilt.json.gz": substitute}, "squad/train.json", false, "q1"},
		{"neither", map[string][]byte{"squad/other.json": official}, "", false, ""},
		{"corrupt substitute", map[string][]byte{"squad/train.rebuilt.json.gz": substitute[:len(substitute)/2]}, "squad/train.rebuilt.json.gz", true, ""},
		{"official of the wrong size", map[string][]byte{"squad/train.json": official[1:]}, "", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeData(t, c.files)
			f, err := locate(reg, dir, "train.json")
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "neither the official file") || !strings.Contains(err.Error(), "squad/train.rebuilt.json.gz") ||
					!strings.Contains(err.Error(), "sru data download --data-dir "+dir+" squad") {
					t.Fatalf("locate: %+v %v, want an error naming both files and the download", f, err)
				}
				if _, ok := c.files["squad/train.json"]; ok && !strings.Contains(err.Error(), "want ") {
					t.Errorf("error %q does not give the official file's size", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.rel != c.want || f.path != filepath.Join(dir, filepath.FromSlash(c.want)) || (f.substituteFor != "") != c.sub {
				t.Errorf("locate = %+v, want %s (substitute %v)", f, c.want, c.sub)
			}
			if c.sub && !strings.Contains(f.describe(), "substitute of the absent squad/train.json") {
				t.Errorf("describe: %q", f.describe())
			}
			ds, err := OpenDataset(f.path)
			switch {
			case c.firstID == "" && err == nil:
				t.Error("a corrupt substitute was read without error")
			case c.firstID == "" && !strings.Contains(err.Error(), "train.rebuilt.json.gz"):
				t.Errorf("error %q does not name the file", err)
			case c.firstID != "" && err != nil:
				t.Fatal(err)
			case c.firstID != "" && ds.Paragraphs[0].Questions[0].ID != c.firstID:
				t.Errorf("read question %s, want %s", ds.Paragraphs[0].Questions[0].ID, c.firstID)
			}
		})
	}
	// Files without a substitute: as configured, relative to squad/ or absolute.
	dir := writeData(t, map[string][]byte{"squad/dev.json": official})
	if f, err := locate(reg, dir, "dev.json"); err != nil || f.rel != "squad/dev.json" || f.substituteFor != "" {
		t.Errorf("locate(dev.json) = %+v %v", f, err)
	}
	abs := filepath.Join(dir, "squad", "dev.json")
	if f, err := locate(reg, t.TempDir(), abs); err != nil || f.path != abs || f.rel != "" {
		t.Errorf("locate(%s) = %+v %v", abs, f, err)
	}
	if _, err := locate(reg, dir, "nope.json"); err == nil || !strings.Contains(err.Error(), "sru data download squad") {
		t.Errorf("locate(nope.json): %v", err)
	}
}

// TestNewTrainSubstitute builds the task under the default registry with the default train
// file: with only the substitute there (here the dev slice, gzipped), New reads it and says
// so; with the official file beside it (the slice padded with spaces to the official size),
// New reads the official file.
func TestNewTrainSubstitute(t *testing.T) {
	slice, err := os.ReadFile(filepath.Join("testdata", "dev-slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	official, _, _ := datasets.Default.Lookup("squad/" + TrainFile)
	if official.Substitute == nil {
		t.Fatalf("squad/%s has no substitute in the registry", TrainFile)
	}
	dir := writeData(t, map[string][]byte{"squad/slice.json": slice, official.Substitute.Path: gzipBytes(t, slice)})
	cfg := tinyConfig("sru")
	cfg.TrainFile, cfg.CacheDir = TrainFile, "none"
	task, err := New(cfg, dir, kernels.MustCPU[float32](), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := task.DataFiles(), []string{official.Substitute.Path, "squad/slice.json"}; !slices.Equal(got, want) {
		t.Errorf("DataFiles %q, want %q", got, want)
	}
	if s := task.Stats().TrainFile; !strings.HasPrefix(s, official.Substitute.Path) || !strings.Contains(s, "substitute of the absent squad/train-v1.1.json") {
		t.Errorf("Stats().TrainFile = %q", s)
	}
	if l := task.Labels()["train_file"]; l != task.Stats().TrainFile {
		t.Errorf("label train_file %q", l)
	}

	// The official file too: it is read.
	padded := append(slices.Clone(slice), bytes.Repeat([]byte(" "), int(official.Size)-len(slice))...)
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(official.Path)), padded, 0o644); err != nil {
		t.Fatal(err)
	}
	task, err = New(cfg, dir, kernels.MustCPU[float32](), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := task.DataFiles(), []string{official.Path, "squad/slice.json"}; !slices.Equal(got, want) {
		t.Errorf("with the official file: DataFiles %q, want %q", got, want)
	}
	if s := task.Stats().TrainFile; s != official.Path {
		t.Errorf("with the official file: Stats().TrainFile = %q", s)
	}

	// Neither: the error names both.
	cfg.DevFile = "slice.json"
	_, err = New(cfg, writeData(t, map[string][]byte{"squad/slice.json": slice}), kernels.MustCPU[float32](), 1)
	if err == nil || !strings.Contains(err.Error(), official.Path) || !strings.Contains(err.Error(), official.Substitute.Path) {
		t.Errorf("without train file: %v", err)
	}
}
