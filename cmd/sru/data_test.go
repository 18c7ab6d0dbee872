package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosru/gosru/datasets"
	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/train"
)

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// withSubstituteRegistry makes the data commands use a registry of one dataset "qa": an
// official file served by an HTTP server, whose substitute is a gzip of other JSON. It returns
// the official bytes and the substitute's.
func withSubstituteRegistry(t *testing.T) (official, substitute []byte) {
	t.Helper()
	official = []byte(`{"data": ["official"]}` + "\n")
	rebuilt := []byte(`{"data": ["rebuilt"]}` + "\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(rebuilt)
	zw.Close()
	substitute = gz.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/train.json" {
			http.NotFound(w, r)
			return
		}
		w.Write(official)
	}))
	t.Cleanup(srv.Close)
	reg, err := datasets.New(datasets.Dataset{Name: "qa", Task: "qa", Desc: "a test dataset", Files: []datasets.File{{
		Path: "qa/train.json", Size: int64(len(official)), SHA256: hexSHA256(official), URL: srv.URL + "/train.json",
		Desc: "the official train file", Source: "test",
		Substitute: &datasets.File{Path: "qa/train.rebuilt.json.gz", Size: int64(len(substitute)), SHA256: hexSHA256(substitute),
			Content: &datasets.Content{Kind: datasets.Gunzip, Size: int64(len(rebuilt)), SHA256: hexSHA256(rebuilt)},
			Desc:    "the train file, rebuilt", Source: "test", Derive: "DERIVED: run rebuild.py"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	saved := dataRegistry
	dataRegistry = reg
	t.Cleanup(func() { dataRegistry = saved })
	return official, substitute
}

func writeDataDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		name := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDataSubstitute: list, verify and download on a file with a substitute, in each state.
func TestDataSubstitute(t *testing.T) {
	official, substitute := withSubstituteRegistry(t)
	corrupt := append(bytes.Clone(substitute[:len(substitute)-4]), 0, 0, 0, 0)
	for _, c := range []struct {
		name        string
		files       map[string][]byte
		listState   string // in `data list qa`
		listCount   string // in `data list`
		verifyCode  int
		verifyLines []string
	}{
		{"official", map[string][]byte{"qa/train.json": official}, "qa/train.json  23 B  present", "1/1", 0,
			[]string{"ok       qa/train.json\n"}},
		{"substitute", map[string][]byte{"qa/train.rebuilt.json.gz": substitute}, "PRESENT (substitute: qa/train.rebuilt.json.gz)", "1/1", 0,
			[]string{"ok       qa/train.rebuilt.json.gz (substitute for qa/train.json)\n"}},
		{"both", map[string][]byte{"qa/train.json": official, "qa/train.rebuilt.json.gz": substitute}, "qa/train.json  23 B  present", "1/1", 0,
			[]string{"ok       qa/train.json\n", "ok       qa/train.rebuilt.json.gz (substitute for qa/train.json)\n"}},
		{"neither", nil, "qa/train.json  23 B  absent", "0/1", 1,
			[]string{"missing  qa/train.json (nor its substitute qa/train.rebuilt.json.gz)\n"}},
		{"corrupt substitute", map[string][]byte{"qa/train.rebuilt.json.gz": corrupt}, "PRESENT (substitute: qa/train.rebuilt.json.gz)", "1/1", 1,
			[]string{"corrupt  qa/train.rebuilt.json.gz (substitute for qa/train.json) (sha256 "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeDataDir(t, c.files)
			code, stdout, stderr := run("data", "list", "--data-dir", dir, "qa")
			if code != 0 || !strings.Contains(stdout, c.listState) || !strings.Contains(stdout, "substitute (accepted in its place while it is absent): qa/train.rebuilt.json.gz") ||
				!strings.Contains(stdout, "made:   DERIVED: run rebuild.py") {
				t.Errorf("data list qa: exit %d, %s\nstdout:\n%s", code, stderr, stdout)
			}
			code, stdout, stderr = run("data", "list", "--data-dir", dir)
			if code != 0 || !strings.Contains(stdout, c.listCount) || strings.Contains(stdout, "present as substitute") != strings.HasPrefix(c.listState, "PRESENT (substitute") {
				t.Errorf("data list: exit %d, %s\nstdout:\n%s", code, stderr, stdout)
			}
			code, stdout, stderr = run("data", "verify", "--data-dir", dir, "qa")
			if code != c.verifyCode {
				t.Errorf("data verify: exit %d, want %d: %s", code, c.verifyCode, stderr)
			}
			if got := strings.Count(stdout, "\n"); got != len(c.verifyLines) {
				t.Errorf("data verify: %d lines, want %d:\n%s", got, len(c.verifyLines), stdout)
			}
			for _, l := range c.verifyLines {
				if !strings.Contains(stdout, l) {
					t.Errorf("data verify lacks %q:\n%s", l, stdout)
				}
			}
			if c.name == "corrupt substitute" && !strings.Contains(stderr, "1 corrupt file") {
				t.Errorf("data verify: %q", stderr)
			}
		})
	}

	// download fetches the official file only, even with the substitute there.
	dir := writeDataDir(t, map[string][]byte{"qa/train.rebuilt.json.gz": substitute})
	code, _, stderr := run("data", "download", "--data-dir", dir, "qa")
	if code != 0 || !strings.Contains(stderr, "fetched qa/train.json") || !strings.Contains(stderr, "1 fetched, 0 already present") {
		t.Fatalf("data download: exit %d, %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "qa", "train.json")); err != nil || !bytes.Equal(b, official) {
		t.Errorf("downloaded %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "qa", "train.rebuilt.json.gz")); err != nil || !bytes.Equal(b, substitute) {
		t.Errorf("the substitute changed: %v", err)
	}
	// From a mirror that has only the substitute, the substitute is taken.
	dir = t.TempDir()
	mirror := writeDataDir(t, map[string][]byte{"qa/train.rebuilt.json.gz": substitute})
	code, _, stderr = run("data", "download", "--data-dir", dir, "--mirror", mirror, "qa")
	if code != 0 || !strings.Contains(stderr, "the substitute of qa/train.json, which the mirror lacks") {
		t.Errorf("data download --mirror: exit %d, %s", code, stderr)
	}
	if code, stdout, _ := run("data", "verify", "--data-dir", dir, "qa"); code != 0 || !strings.Contains(stdout, "ok       qa/train.rebuilt.json.gz (substitute") {
		t.Errorf("verify after the mirror download: exit %d\n%s", code, stdout)
	}
}

// TestDataRecordSubstitute: a run's data.json records the file read, the substitute of an
// absent official file, and the run says so.
func TestDataRecordSubstitute(t *testing.T) {
	official, _, _ := datasets.Default.Lookup("squad/train-v1.1.json")
	if official.Substitute == nil {
		t.Fatal("squad/train-v1.1.json has no substitute")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"data": []}`))
	zw.Close()
	dir := writeDataDir(t, map[string][]byte{official.Substitute.Path: gz.Bytes(), "squad/dev-v1.1.json.zip": []byte("dev")})
	rec, err := dataRecord(&experiments.Experiment{DataDir: dir}, struct{}{}, map[string]string{"dataset": "squad"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Files[official.Substitute.Path]; !ok || len(rec.Files) != 2 || rec.Source != "registry" {
		t.Errorf("data record %+v: want the substitute and the dev file", rec)
	}
	if rec.Files[official.Substitute.Path] != hexSHA256(gz.Bytes()) {
		t.Errorf("recorded sha256 %s, want that of the file read", rec.Files[official.Substitute.Path])
	}
	var errOut bytes.Buffer
	runDir := t.TempDir()
	if err := recordData(&env{stdout: &bytes.Buffer{}, stderr: &errOut}, runDir, false, rec); err != nil {
		t.Fatal(err)
	}
	if want := "data: " + official.Substitute.Path + " is read in place of the official squad/train-v1.1.json, which is absent"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q lacks %q", errOut.String(), want)
	}
	if saved, err := train.ReadDataRecord(runDir); err != nil || saved.Files[official.Substitute.Path] == "" {
		t.Errorf("data.json: %+v %v", saved, err)
	}
}
