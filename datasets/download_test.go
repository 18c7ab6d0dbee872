package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileOf registers data under path p, to be fetched from url.
func fileOf(p string, data []byte, url string) File {
	sum := sha256.Sum256(data)
	return File{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), URL: url, Desc: p, Source: "test"}
}

func gzipped(t *testing.T, data []byte, level int, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Name = name // changes the bytes, not the content
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzipContent(data []byte) Content {
	sum := sha256.Sum256(data)
	return Content{Kind: Gunzip, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// server serves fixed bodies by path and counts the requests.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	body  map[string][]byte
	hits  map[string]int
	block chan struct{} // closed when a request for /slow has started
}

func newServer(t *testing.T, body map[string][]byte) *server {
	s := &server{body: body, hits: map[string]int{}, block: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		b, ok := s.body[r.URL.Path]
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/slow":
			w.Header().Set("Content-Length", "1000")
			w.Write(make([]byte, 10))
			w.(http.Flusher).Flush()
			close(s.block)
			<-r.Context().Done()
		case !ok:
			http.NotFound(w, r)
		default:
			w.Write(b)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) hitCount(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

// noPartFiles fails when a temporary download is left under dir.
func noPartFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".part-") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func readOrEmpty(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func TestDownload(t *testing.T) {
	good := []byte("1 a good sentence\n0 a bad one\n")
	present := []byte("already here\n")
	deep := []byte{0, 1, 2, 3, 255}
	plain := []byte(strings.Repeat("<seg id=\"1\">Gutach</seg>\n", 50))
	made := []byte("derived lines\n")
	fixed := []byte("the right bytes\n")
	srv := newServer(t, map[string][]byte{
		"/good.txt":    good,
		"/present.txt": present,
		"/bad.txt":     []byte("tampered bytes!\n"), // same length as the registered bytes
		"/long.txt":    []byte("registered bytes and then more"),
		"/deep.bin":    deep,
		"/plain.sgm":   plain,
		"/fixed.txt":   fixed,
	})
	u := srv.URL
	compressed := fileOf("t/wmt/plain.sgm.gz", gzipped(t, plain, 9, "x"), u+"/plain.sgm")
	compressed.Compress = true
	c := gunzipContent(plain)
	compressed.Content = &c
	derived := fileOf("t/made.gz", gzipped(t, made, 9, ""), "")
	derived.Derive = "run make-it.py"
	dc := gunzipContent(made)
	derived.Content = &dc
	reg, err := New(
		Dataset{Name: "small", Task: "t", Files: []File{
			fileOf("t/good.txt", good, u+"/good.txt"),
			fileOf("t/present.txt", present, u+"/present.txt"),
			fileOf("t/bad.txt", []byte("expected bytes!\n"), u+"/bad.txt"),
			fileOf("t/long.txt", []byte("registered bytes"), u+"/long.txt"),
			fileOf("t/missing.txt", []byte("nowhere"), u+"/missing.txt"),
			fileOf("t/sub/dir/deep.bin", deep, u+"/deep.bin"),
			fileOf("t/fixed.txt", fixed, u+"/fixed.txt"),
			compressed,
		}},
		Dataset{Name: "derived", Task: "t", Files: []File{derived}},
	)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	at := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	os.MkdirAll(at("t"), 0o755)
	os.WriteFile(at("t/present.txt"), present, 0o644)
	os.WriteFile(at("t/bad.txt"), []byte("old"), 0o644)                 // corrupt; the bad download must not replace it
	os.WriteFile(at("t/fixed.txt"), []byte("the wrong bytes\n"), 0o644) // corrupt; a good download replaces it

	var log bytes.Buffer
	out, err := reg.Download(context.Background(), dir, []string{"all"}, Options{Client: srv.Client(), Log: &log})
	var derr *DownloadError
	if !errors.As(err, &derr) {
		t.Fatalf("err %v, want a *DownloadError", err)
	}
	want := map[string]Action{"t/good.txt": Fetched, "t/present.txt": Present, "t/bad.txt": Failed, "t/long.txt": Failed,
		"t/missing.txt": Failed, "t/sub/dir/deep.bin": Fetched, "t/fixed.txt": Fetched, "t/wmt/plain.sgm.gz": Fetched, "t/made.gz": NotDownloadable}
	if len(out) != len(want) {
		t.Errorf("%d outcomes, want %d", len(out), len(want))
	}
	for _, o := range out {
		if o.Action != want[o.File.Path] {
			t.Errorf("%s: %v (%v), want %v", o.File.Path, o.Action, o.Err, want[o.File.Path])
		}
	}
	if len(derr.Failed) != 3 || len(derr.NotDownloadable) != 1 {
		t.Errorf("DownloadError %d failed, %d not downloadable: %v", len(derr.Failed), len(derr.NotDownloadable), err)
	}
	for _, s := range []string{"3 files failed", "sha256", "HTTP 404", "1 file cannot be downloaded (t/made.gz); make it: run make-it.py"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	for _, s := range []string{"fetched t/good.txt", "replacing t/bad.txt (present but corrupt", "failed t/bad.txt", "cannot download t/made.gz: run make-it.py"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}
	if srv.hitCount("/present.txt") != 0 {
		t.Error("a file already present was downloaded again")
	}
	if got := readOrEmpty(at("t/bad.txt")); got != "old" {
		t.Errorf("bad.txt: %q; a download with the wrong hash must leave the old file", got)
	}
	if _, err := os.Stat(at("t/long.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("long.txt: a download of the wrong size was left in place (%v)", err)
	}
	if readOrEmpty(at("t/good.txt")) != string(good) || readOrEmpty(at("t/sub/dir/deep.bin")) != string(deep) || readOrEmpty(at("t/fixed.txt")) != string(fixed) {
		t.Error("fetched files have the wrong bytes")
	}
	noPartFiles(t, dir)

	// The recompressed file holds the served text, and verifies by content.
	checks, err := reg.Verify(dir, "small")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		wantStatus := StatusOK
		switch c.File.Path {
		case "t/bad.txt":
			wantStatus = StatusCorrupt
		case "t/long.txt", "t/missing.txt":
			wantStatus = StatusMissing
		}
		if c.Status != wantStatus {
			t.Errorf("verify %s: %v %s, want %v", c.File.Path, c.Status, c.Detail, wantStatus)
		}
		if c.File.Path == "t/wmt/plain.sgm.gz" && !strings.Contains(c.Detail, "same content") {
			t.Errorf("verify %s: detail %q", c.File.Path, c.Detail)
		}
	}

	// A second run fetches nothing that is in place.
	before := srv.hitCount("/good.txt") + srv.hitCount("/plain.sgm") + srv.hitCount("/deep.bin")
	os.Remove(at("t/bad.txt"))
	out, err = reg.Download(context.Background(), dir, []string{"small"}, Options{Client: srv.Client()})
	if !errors.As(err, &derr) || len(derr.Failed) != 3 {
		t.Errorf("second run: %v", err)
	}
	if after := srv.hitCount("/good.txt") + srv.hitCount("/plain.sgm") + srv.hitCount("/deep.bin"); after != before {
		t.Errorf("second run downloaded present files again (%d requests, was %d)", after, before)
	}
	if _, err := os.Stat(at("t/bad.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bad.txt: a download with the wrong hash was left in place (%v)", err)
	}
	noPartFiles(t, dir)

	if err := reg.Missing(dir, "small"); err == nil || !strings.Contains(err.Error(), "t/bad.txt t/long.txt t/missing.txt; fetch them with: sru data download --data-dir "+dir+" small") {
		t.Errorf("Missing(small): %v", err)
	}
	if err := reg.Missing(dir, "derived"); err == nil || !strings.Contains(err.Error(), "t/made.gz cannot be downloaded: run make-it.py") || strings.Contains(err.Error(), "fetch them") {
		t.Errorf("Missing(derived): %v", err)
	}
	if _, err := reg.Download(context.Background(), dir, nil, Options{}); err == nil {
		t.Error("Download of no names: no error")
	}
	if _, err := reg.Download(context.Background(), dir, []string{"nope"}, Options{}); err == nil || !strings.Contains(err.Error(), `unknown dataset "nope"`) {
		t.Errorf("Download(nope): %v", err)
	}
}

// TestDownloadMirror takes every file, the derived one too, from a copy of a data directory,
// as a directory and over HTTP; re-made copies verify by content.
func TestDownloadMirror(t *testing.T) {
	text := []byte("some text\n")
	made := []byte("derived lines\n")
	derived := fileOf("t/made.gz", gzipped(t, made, 9, ""), "")
	derived.Derive = "run make-it.py"
	c := gunzipContent(made)
	derived.Content = &c
	reg, err := New(Dataset{Name: "m", Task: "t", Files: []File{fileOf("t/a.txt", text, "http://127.0.0.1:1/never"), derived}})
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, "t"), 0o755)
	os.WriteFile(filepath.Join(mirror, "t/a.txt"), text, 0o644)
	os.WriteFile(filepath.Join(mirror, "t/made.gz"), gzipped(t, made, 1, "other"), 0o644) // a re-made copy
	srv := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	defer srv.Close()
	for _, m := range []string{mirror, srv.URL + "/"} {
		dir := t.TempDir()
		out, err := reg.Download(context.Background(), dir, []string{"m"}, Options{Client: srv.Client(), Mirror: m})
		if err != nil {
			t.Fatalf("mirror %s: %v", m, err)
		}
		for _, o := range out {
			if o.Action != Fetched {
				t.Errorf("mirror %s: %s %v", m, o.File.Path, o.Action)
			}
		}
		checks, _ := reg.Verify(dir)
		for _, c := range checks {
			if c.Status != StatusOK {
				t.Errorf("mirror %s: verify %s: %v %s", m, c.File.Path, c.Status, c.Detail)
			}
		}
	}
	// A mirror copy with other content is refused.
	os.WriteFile(filepath.Join(mirror, "t/made.gz"), gzipped(t, []byte("other lines\n"), 9, ""), 0o644)
	dir := t.TempDir()
	if _, err := reg.Download(context.Background(), dir, []string{"m"}, Options{Mirror: mirror}); err == nil {
		t.Error("a mirror file with other content was accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "t/made.gz")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused mirror file left in place: %v", err)
	}
	noPartFiles(t, dir)
}

func TestDownloadCancel(t *testing.T) {
	srv := newServer(t, nil)
	reg, err := New(Dataset{Name: "s", Task: "t", Files: []File{fileOf("slow.bin", make([]byte, 1000), srv.URL+"/slow")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-srv.block:
		case <-time.After(10 * time.Second):
		}
		cancel()
	}()
	dir := t.TempDir()
	_, err = reg.Download(ctx, dir, []string{"s"}, Options{Client: srv.Client(), Progress: &bytes.Buffer{}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "slow.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cancelled download left in place: %v", err)
	}
	noPartFiles(t, dir)
}

func tarGz(t *testing.T, files map[string][]byte, order []string, mtime time.Time, dirs bool) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	if dirs {
		tw.WriteHeader(&tar.Header{Name: "w/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime})
	}
	for _, name := range order {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}

func TestTarDigest(t *testing.T) {
	files := map[string][]byte{"w/1_0.wav": []byte("RIFF one"), "w/0_1.wav": []byte("RIFF two"), "w/README": []byte("readme")}
	a := tarGz(t, files, []string{"w/1_0.wav", "w/0_1.wav", "w/README"}, time.Unix(0, 0), true)
	files2 := map[string][]byte{"./w/1_0.wav": files["w/1_0.wav"], "./w/0_1.wav": files["w/0_1.wav"], "./w/README": files["w/README"]}
	b := tarGz(t, files2, []string{"./w/README", "./w/0_1.wav", "./w/1_0.wav"}, time.Now(), false)
	if bytes.Equal(a, b) {
		t.Fatal("test archives are identical")
	}
	da, err := TarDigest(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	db, err := TarDigest(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if da != db || da.Size != 22 || da.Kind != TarGz {
		t.Errorf("digests %+v and %+v differ or have the wrong size", da, db)
	}
	// The digest is sha256sum's listing, hashed: sha256sum w/0_1.wav w/1_0.wav w/README | sha256sum.
	var listing strings.Builder
	for _, n := range []string{"w/0_1.wav", "w/1_0.wav", "w/README"} {
		s := sha256.Sum256(files[n])
		listing.WriteString(hex.EncodeToString(s[:]) + "  " + n + "\n")
	}
	if s := sha256.Sum256([]byte(listing.String())); da.SHA256 != hex.EncodeToString(s[:]) {
		t.Errorf("digest %s is not the sha256 of the sha256sum listing", da.SHA256)
	}
	files["w/README"] = []byte("Readme")
	dc, _ := TarDigest(bytes.NewReader(tarGz(t, files, []string{"w/1_0.wav", "w/0_1.wav", "w/README"}, time.Unix(0, 0), true)))
	if dc == da {
		t.Error("archives with different files have the same digest")
	}
	if _, err := TarDigest(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Error("TarDigest of garbage: no error")
	}
}

func TestVerifyStatuses(t *testing.T) {
	files := map[string][]byte{"w/a.wav": []byte("RIFF a")}
	archive := tarGz(t, files, []string{"w/a.wav"}, time.Unix(0, 0), true)
	td, _ := TarDigest(bytes.NewReader(archive))
	tarFile := fileOf("x/w.tar.gz", archive, "http://h/w")
	tarFile.Content = &td
	reg, err := New(Dataset{Name: "v", Task: "t", Files: []File{
		fileOf("x/ok.txt", []byte("ok"), "http://h/ok"),
		fileOf("x/short.txt", []byte("longer"), "http://h/short"),
		fileOf("x/flipped.txt", []byte("abc"), "http://h/flipped"),
		fileOf("x/absent.txt", []byte("abc"), "http://h/absent"),
		fileOf("x/dir", []byte("abc"), "http://h/dir"),
		tarFile,
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "x", "dir"), 0o755)
	os.WriteFile(filepath.Join(dir, "x/ok.txt"), []byte("ok"), 0o644)
	os.WriteFile(filepath.Join(dir, "x/short.txt"), []byte("long"), 0o644)
	os.WriteFile(filepath.Join(dir, "x/flipped.txt"), []byte("abd"), 0o644)
	os.WriteFile(filepath.Join(dir, "x/w.tar.gz"), tarGz(t, files, []string{"w/a.wav"}, time.Now(), false), 0o644) // repacked
	checks, err := reg.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		s      Status
		detail string
	}{
		"x/ok.txt": {StatusOK, ""}, "x/short.txt": {StatusCorrupt, "size 4, want 6"}, "x/flipped.txt": {StatusCorrupt, "sha256 "},
		"x/absent.txt": {StatusMissing, ""}, "x/dir": {StatusCorrupt, "not a regular file"}, "x/w.tar.gz": {StatusOK, "same content"},
	}
	for _, c := range checks {
		w := want[c.File.Path]
		if c.Status != w.s || !strings.Contains(c.Detail, w.detail) {
			t.Errorf("%s: %v %q, want %v %q", c.File.Path, c.Status, c.Detail, w.s, w.detail)
		}
	}
	if _, err := reg.Verify(dir, "nope"); err == nil {
		t.Error("Verify(nope): no error")
	}
}
