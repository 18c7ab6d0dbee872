package datasets

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// substituteFixture is a test registry: an official file, served by srv at /official.json,
// whose substitute is a gzip of other JSON, and a plain file beside it.
type substituteFixture struct {
	reg                 *Registry
	official, recon     []byte // the official bytes; the substitute's (gzip) bytes
	officialFile, other File
	srv                 *server
}

func newSubstituteFixture(t *testing.T) *substituteFixture {
	t.Helper()
	fx := &substituteFixture{official: []byte(`{"version": "1.1", "data": ["official"]}` + "\n")}
	reconJSON := []byte(`{"version": "1.1", "data": ["rebuilt"], "note": "reconstructed"}` + "\n")
	fx.recon = gzipped(t, reconJSON, 9, "")
	fx.srv = newServer(t, map[string][]byte{"/official.json": fx.official, "/other.txt": []byte("other\n")})
	sub := fileOf("q/train.rebuilt.json.gz", fx.recon, "")
	sub.Derive = "DERIVED: run rebuild.py"
	c := gunzipContent(reconJSON)
	sub.Content = &c
	fx.officialFile = fileOf("q/train.json", fx.official, fx.srv.URL+"/official.json")
	fx.officialFile.Substitute = &sub
	fx.other = fileOf("q/other.txt", []byte("other\n"), fx.srv.URL+"/other.txt")
	var err error
	fx.reg, err = New(Dataset{Name: "q", Task: "qa", Files: []File{fx.officialFile, fx.other}})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// dataDirWith is a data directory holding the given files (path -> bytes).
func dataDirWith(t *testing.T, files map[string][]byte) string {
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

// TestSubstituteStates covers each state of a file with a substitute: Find, Missing and Verify
// for the official file present, the substitute present, both, neither, and a corrupt
// substitute.
func TestSubstituteStates(t *testing.T) {
	fx := newSubstituteFixture(t)
	other := []byte("other\n")
	corrupt := gzipped(t, []byte(`{"version": "1.1", "data": ["tampered"]}`), 9, "")
	type check struct {
		path       string
		status     Status
		substitute bool
		detail     string
	}
	for _, c := range []struct {
		name    string
		files   map[string][]byte
		find    string // "" when neither form is present
		sub     bool
		missing bool
		checks  []check
	}{
		{name: "official", files: map[string][]byte{"q/train.json": fx.official, "q/other.txt": other},
			find: "q/train.json", checks: []check{{"q/train.json", StatusOK, false, ""}}},
		{name: "substitute", files: map[string][]byte{"q/train.rebuilt.json.gz": fx.recon, "q/other.txt": other},
			find: "q/train.rebuilt.json.gz", sub: true, checks: []check{{"q/train.rebuilt.json.gz", StatusOK, true, ""}}},
		{name: "both", files: map[string][]byte{"q/train.json": fx.official, "q/train.rebuilt.json.gz": fx.recon, "q/other.txt": other},
			find: "q/train.json", checks: []check{{"q/train.json", StatusOK, false, ""}, {"q/train.rebuilt.json.gz", StatusOK, true, ""}}},
		{name: "neither", files: map[string][]byte{"q/other.txt": other}, missing: true,
			checks: []check{{"q/train.json", StatusMissing, false, "nor its substitute q/train.rebuilt.json.gz"}}},
		{name: "corrupt substitute", files: map[string][]byte{"q/train.rebuilt.json.gz": corrupt, "q/other.txt": other},
			find: "q/train.rebuilt.json.gz", sub: true, checks: []check{{"q/train.rebuilt.json.gz", StatusCorrupt, true, "content (gunzip)"}}},
		{name: "corrupt official beside its substitute", files: map[string][]byte{"q/train.json": bytes.ToUpper(fx.official), "q/train.rebuilt.json.gz": fx.recon, "q/other.txt": other},
			find: "q/train.json", checks: []check{{"q/train.json", StatusCorrupt, false, "sha256"}, {"q/train.rebuilt.json.gz", StatusOK, true, ""}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dataDirWith(t, c.files)
			f := fx.officialFile
			p, sub, ok := f.Find(dir)
			if p != c.find || sub != c.sub || ok != (c.find != "") {
				t.Errorf("Find = %q %v %v, want %q %v %v", p, sub, ok, c.find, c.sub, c.find != "")
			}
			err := fx.reg.Missing(dir, "q")
			if c.missing {
				var merr *MissingError
				if !errors.As(err, &merr) || len(merr.Files) != 1 || merr.Files[0].Path != "q/train.json" {
					t.Errorf("Missing: %v, want q/train.json missing", err)
				} else if msg := err.Error(); !strings.Contains(msg, "fetch them with: sru data download") ||
					!strings.Contains(msg, "q/train.rebuilt.json.gz, its accepted substitute, would do in its place: DERIVED: run rebuild.py") {
					t.Errorf("Missing: %q does not say how to fetch the file or make its substitute", msg)
				}
			} else if err != nil {
				t.Errorf("Missing: %v", err)
			}
			checks, err := fx.reg.Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []check
			for _, ck := range checks {
				if ck.File.Path == "q/other.txt" {
					continue
				}
				if ck.File.Path != "q/train.json" {
					t.Errorf("check of %s names File %s", ck.Path(), ck.File.Path)
				}
				got = append(got, check{ck.Path(), ck.Status, ck.Substitute, ck.Detail})
			}
			if len(got) != len(c.checks) {
				t.Fatalf("checks %+v, want %+v", got, c.checks)
			}
			for i, w := range c.checks {
				g := got[i]
				if g.path != w.path || g.status != w.status || g.substitute != w.substitute || !strings.Contains(g.detail, w.detail) || w.detail == "" && g.detail != "" {
					t.Errorf("check %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestSubstituteDownload: Download fetches the official file only, from its URL, whether the
// substitute is there or not, and leaves the substitute alone; a corrupt official download
// is refused.
func TestSubstituteDownload(t *testing.T) {
	fx := newSubstituteFixture(t)
	for _, withSubstitute := range []bool{false, true} {
		files := map[string][]byte{}
		if withSubstitute {
			files["q/train.rebuilt.json.gz"] = fx.recon
		}
		dir := dataDirWith(t, files)
		var log bytes.Buffer
		out, err := fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Client: fx.srv.Client(), Log: &log})
		if err != nil {
			t.Fatalf("substitute present %v: %v", withSubstitute, err)
		}
		for _, o := range out {
			if o.Action != Fetched || o.Substitute {
				t.Errorf("substitute present %v: %s %v (substitute %v), want fetched", withSubstitute, o.File.Path, o.Action, o.Substitute)
			}
		}
		if got := readOrEmpty(filepath.Join(dir, "q", "train.json")); got != string(fx.official) {
			t.Errorf("substitute present %v: q/train.json holds %q", withSubstitute, got)
		}
		_, err = os.Stat(filepath.Join(dir, "q", "train.rebuilt.json.gz"))
		if withSubstitute && err != nil || !withSubstitute && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("substitute present %v: after the download, stat of the substitute: %v", withSubstitute, err)
		}
		if withSubstitute && !strings.Contains(log.String(), "its substitute q/train.rebuilt.json.gz stays") {
			t.Errorf("log does not mention the substitute:\n%s", log.String())
		}
		if p, sub, _ := fx.officialFile.Find(dir); p != "q/train.json" || sub {
			t.Errorf("after the download, Find = %s %v", p, sub)
		}
		noPartFiles(t, dir)
	}
	if n := fx.srv.hitCount("/official.json"); n != 2 {
		t.Errorf("%d requests for the official file, want 2", n)
	}

	// The server serves other bytes: the download fails, the substitute stays.
	fx.srv.mu.Lock()
	fx.srv.body["/official.json"] = bytes.ToUpper(fx.official)
	fx.srv.mu.Unlock()
	dir := dataDirWith(t, map[string][]byte{"q/train.rebuilt.json.gz": fx.recon})
	_, err := fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Client: fx.srv.Client()})
	var derr *DownloadError
	if !errors.As(err, &derr) || len(derr.Failed) != 1 || derr.Failed[0].File.Path != "q/train.json" {
		t.Fatalf("download of bad bytes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "q", "train.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bad official bytes left in place: %v", err)
	}
	if p, sub, ok := fx.officialFile.Find(dir); !ok || !sub || p != "q/train.rebuilt.json.gz" {
		t.Errorf("after the failed download, Find = %s %v %v", p, sub, ok)
	}
	noPartFiles(t, dir)
}

// TestSubstituteMirror: a mirror holding only the substitute (a copy of the staged data)
// provides it; a mirror holding the official file provides that; a bad substitute is refused.
func TestSubstituteMirror(t *testing.T) {
	fx := newSubstituteFixture(t)
	other := []byte("other\n")
	staged := dataDirWith(t, map[string][]byte{"q/train.rebuilt.json.gz": fx.recon, "q/other.txt": other})
	srv := httptest.NewServer(http.FileServer(http.Dir(staged)))
	defer srv.Close()
	for _, m := range []string{staged, srv.URL} {
		dir := t.TempDir()
		var log bytes.Buffer
		out, err := fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Client: srv.Client(), Mirror: m, Log: &log})
		if err != nil {
			t.Fatalf("mirror %s: %v", m, err)
		}
		for _, o := range out {
			if o.Action != Fetched || o.Substitute != (o.File.Path == "q/train.json") {
				t.Errorf("mirror %s: %s %v (substitute %v)", m, o.File.Path, o.Action, o.Substitute)
			}
		}
		if !strings.Contains(log.String(), "the substitute of q/train.json, which the mirror lacks") {
			t.Errorf("mirror %s: log:\n%s", m, log.String())
		}
		if p, sub, ok := fx.officialFile.Find(dir); !ok || !sub || p != "q/train.rebuilt.json.gz" {
			t.Errorf("mirror %s: Find = %s %v %v", m, p, sub, ok)
		}
		// Again: the substitute in place is kept, not fetched again.
		out, err = fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Client: srv.Client(), Mirror: m})
		if err != nil || len(out) != 2 || out[0].Action != Present || !out[0].Substitute {
			t.Errorf("mirror %s, second run: %+v %v", m, out, err)
		}
	}

	// A mirror with the official file gives it, not the substitute.
	full := dataDirWith(t, map[string][]byte{"q/train.json": fx.official, "q/train.rebuilt.json.gz": fx.recon, "q/other.txt": other})
	dir := t.TempDir()
	if out, err := fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Mirror: full}); err != nil || out[0].Substitute {
		t.Errorf("full mirror: %+v %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "q", "train.rebuilt.json.gz")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("full mirror: the substitute was fetched too (%v)", err)
	}

	// A mirror whose substitute has other content fails, naming both.
	bad := dataDirWith(t, map[string][]byte{"q/train.rebuilt.json.gz": gzipped(t, []byte("{}"), 9, ""), "q/other.txt": other})
	dir = t.TempDir()
	_, err := fx.reg.Download(context.Background(), dir, []string{"q"}, Options{Mirror: bad})
	var derr *DownloadError
	if !errors.As(err, &derr) || len(derr.Failed) != 1 || !strings.Contains(err.Error(), "nor could its substitute be taken") {
		t.Errorf("bad mirror: %v", err)
	}
	if _, _, ok := fx.officialFile.Find(dir); ok {
		t.Error("bad mirror: a file was left in place")
	}
	noPartFiles(t, dir)
}

func TestSubstituteLookup(t *testing.T) {
	fx := newSubstituteFixture(t)
	for p, want := range map[string]struct {
		path       string
		substitute bool
		ok         bool
	}{
		"q/train.json": {"q/train.json", false, true}, "q/train.rebuilt.json.gz": {"q/train.json", true, true},
		"q/other.txt": {"q/other.txt", false, true}, "q/nope": {"", false, false},
	} {
		f, sub, ok := fx.reg.Lookup(p)
		if f.Path != want.path || sub != want.substitute || ok != want.ok {
			t.Errorf("Lookup(%s) = %s %v %v, want %+v", p, f.Path, sub, ok, want)
		}
		if ok && sub {
			f.Substitute.Path = "edited"
			if g, _, _ := fx.reg.Lookup(p); g.Substitute.Path != p {
				t.Error("Lookup's result shares its substitute with the registry")
			}
		}
	}
	ds := fx.reg.Datasets()
	ds[0].Files[0].Substitute.Size = 1
	if g, _, _ := fx.reg.Lookup("q/train.json"); g.Substitute.Size == 1 {
		t.Error("Datasets' result shares its substitutes with the registry")
	}
}

func TestNewRejectsSubstitutes(t *testing.T) {
	fx := newSubstituteFixture(t)
	with := func(edit func(f, s *File)) File {
		f := fx.officialFile
		s := *f.Substitute
		edit(&f, &s)
		f.Substitute = &s
		return f
	}
	for _, c := range []struct {
		name string
		ds   []Dataset
	}{
		{"substitute with a URL", []Dataset{{Name: "a", Task: "t", Files: []File{with(func(f, s *File) { s.URL = "http://h/x" })}}}},
		{"substitute without Derive", []Dataset{{Name: "a", Task: "t", Files: []File{with(func(f, s *File) { s.Derive = "" })}}}},
		{"substitute at the file's path", []Dataset{{Name: "a", Task: "t", Files: []File{with(func(f, s *File) { s.Path = f.Path })}}}},
		{"substitute with a bad sha256", []Dataset{{Name: "a", Task: "t", Files: []File{with(func(f, s *File) { s.SHA256 = "x" })}}}},
		{"substitute of a substitute", []Dataset{{Name: "a", Task: "t", Files: []File{with(func(f, s *File) { s2 := *s; s2.Path = "q/z"; s.Substitute = &s2 })}}}},
		{"substitute at a registered path", []Dataset{{Name: "a", Task: "t", Files: []File{fx.officialFile, with(func(f, s *File) {})}},
			{Name: "b", Task: "t", Files: []File{fileOf("q/train.rebuilt.json.gz", []byte("x"), "http://h/y")}}}},
		{"one substitute for two files", []Dataset{{Name: "a", Task: "t", Files: []File{fx.officialFile,
			with(func(f, s *File) { f.Path = "q/train2.json" })}}}},
		{"file described twice (substitutes differ)", []Dataset{{Name: "a", Task: "t", Files: []File{fx.officialFile}},
			{Name: "b", Task: "t", Files: []File{with(func(f, s *File) { s.Desc = "other" })}}}},
	} {
		if _, err := New(c.ds...); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := New(Dataset{Name: "a", Task: "t", Files: []File{fx.officialFile}}, Dataset{Name: "b", Task: "t", Files: []File{with(func(f, s *File) {})}}); err != nil {
		t.Errorf("a file with its substitute in two datasets: %v", err)
	}
}

// TestSquadTrainRegistered pins the official SQuAD v1.1 train file and its substitute.
func TestSquadTrainRegistered(t *testing.T) {
	f, sub, ok := Default.Lookup("squad/train-v1.1.json")
	if !ok || sub {
		t.Fatalf("squad/train-v1.1.json: registered %v, as a substitute %v", ok, sub)
	}
	if f.URL != "https://rajpurkar.github.io/SQuAD-explorer/dataset/train-v1.1.json" || f.Size != 30288272 ||
		f.SHA256 != "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955" || f.Content != nil || f.Compress {
		t.Errorf("official train: %+v", f)
	}
	s := f.Substitute
	if s == nil || s.Path != "squad/train-v1.1.reconstructed.json.gz" || s.Size != 7752974 ||
		s.SHA256 != "d66d10424e5acacdca475b305eb33c8a8a5fbffeebf59f5697a26cb1181aba85" || !strings.HasPrefix(s.Derive, "DERIVED") {
		t.Fatalf("substitute: %+v", s)
	}
	if g, sub, ok := Default.Lookup(s.Path); !ok || !sub || g.Path != f.Path {
		t.Errorf("Lookup(%s) = %s %v %v", s.Path, g.Path, sub, ok)
	}
}
