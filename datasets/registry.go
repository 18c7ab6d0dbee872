// Package datasets knows every data file gosru reads: where it lives under the data directory,
// its size and sha256, where to download it, and how to make the few that cannot be downloaded.
// It downloads and verifies them; the tasks read the files themselves.
//
// The data directory has the layout of the staged data (classification/rt-polarity.all,
// lm/ptb/ptb.train.txt.gz, ...). The hashes are those of the staged files, so a directory filled
// by Download and the staged copy verify alike.
//
// A registered file may name a Substitute: a local file with other bytes, accepted in place of
// the official file while that is absent (SQuAD's train-v1.1.json has one, a reconstruction
// from the official explorer pages). The substitute has its own path, size and sha256; Verify
// checks whichever of the two is present against its own, Missing counts the file present when
// either is, Find says which one a reader should take, and Download fetches the official file
// only (from a mirror without it, the substitute).
package datasets

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// File is one file of the data directory.
type File struct {
	Path   string // slash-separated, relative to the data directory
	Size   int64  // bytes of the staged file
	SHA256 string // hex sha256 of the staged file
	// URL serves the file byte for byte (or, with Compress, its uncompressed bytes); "" when no
	// URL does, and Derive says how to make it.
	URL string
	// Compress: URL serves the decompressed bytes, checked against Content (of kind Gunzip), and
	// Download gzips them here. The staged copy was recompressed, so no URL has its exact bytes.
	Compress bool
	// Content, when set, is what the file holds; Verify accepts a file with this content even
	// when its bytes differ from the staged file's, because gzip and tar output differ between
	// tools and versions while the data does not.
	Content  *Content
	Official string // the upstream (official) source, for the docs; may be a page, not a file
	Source   string // where the staged copy was taken from: repo@commit:path, or how it was made
	Licence  string
	Desc     string
	// Derive, for a file without URL: why it cannot be downloaded and how to make it.
	Derive string
	// Substitute, when set, is a file accepted in place of this one while this one is absent:
	// its own path, size, sha256 (and Content), Source and Derive (how it was made). It has no
	// URL and no substitute of its own.
	Substitute *File
}

// Downloadable reports whether the file has a URL.
func (f *File) Downloadable() bool { return f.URL != "" }

// ContentKind says how Content digests a file.
type ContentKind int

const (
	// Gunzip: Size and SHA256 are those of the decompressed bytes of a gzip file.
	Gunzip ContentKind = iota + 1
	// TarGz: Size is the total size of the regular files in a gzipped tar archive, SHA256 the
	// sha256 of their sha256sum-style listing (see TarDigest).
	TarGz
)

func (k ContentKind) String() string {
	switch k {
	case Gunzip:
		return "gunzip"
	case TarGz:
		return "tar.gz"
	}
	return fmt.Sprintf("ContentKind(%d)", int(k))
}

// Content identifies the data inside a compressed file independently of its container bytes.
type Content struct {
	Kind   ContentKind
	Size   int64
	SHA256 string
}

// Dataset is a named group of files that one experiment reads.
type Dataset struct {
	Name  string
	Task  string // classification, lm, squad, speech or translation
	Desc  string
	Files []File
}

// Size is the total size of the dataset's staged files.
func (d *Dataset) Size() int64 {
	var n int64
	for _, f := range d.Files {
		n += f.Size
	}
	return n
}

// Registry is a set of datasets. Default is gosru's; tests build their own with New.
type Registry struct {
	datasets []Dataset
}

// Default is the registry of every dataset gosru uses.
var Default = mustNew(catalog())

// New checks the datasets and returns their registry. A file may belong to several datasets,
// but must then be described identically.
func New(datasets ...Dataset) (*Registry, error) {
	r := &Registry{datasets: make([]Dataset, len(datasets))}
	for i := range datasets {
		r.datasets[i] = datasets[i].clone()
	}
	names := map[string]bool{"all": true}
	byPath := map[string]File{}
	substituteOf := map[string]string{} // substitute path -> the path of the file it stands for
	for i := range r.datasets {
		d := &r.datasets[i]
		if d.Name == "" || d.Task == "" || d.Task == "all" || names[d.Name] {
			return nil, fmt.Errorf("datasets: dataset %q (task %q): empty or duplicate name or task", d.Name, d.Task)
		}
		names[d.Name] = true
		for _, f := range d.Files {
			if err := f.check(); err != nil {
				return nil, fmt.Errorf("datasets: dataset %s: %w", d.Name, err)
			}
			if g, ok := byPath[f.Path]; ok && !sameFile(&f, &g) {
				return nil, fmt.Errorf("datasets: %s is described differently in two datasets", f.Path)
			}
			byPath[f.Path] = f
			if s := f.Substitute; s != nil {
				if of, ok := substituteOf[s.Path]; ok && of != f.Path {
					return nil, fmt.Errorf("datasets: %s is the substitute of both %s and %s", s.Path, of, f.Path)
				}
				substituteOf[s.Path] = f.Path
			}
		}
	}
	for p, of := range substituteOf {
		if _, ok := byPath[p]; ok {
			return nil, fmt.Errorf("datasets: %s is both a registered file and the substitute of %s", p, of)
		}
	}
	for i := range r.datasets {
		if t := r.datasets[i].Task; names[t] && !r.hasTaskOnly(t) {
			return nil, fmt.Errorf("datasets: task %q is also the name of a dataset of another task", t)
		}
	}
	return r, nil
}

func mustNew(ds []Dataset) *Registry {
	r, err := New(ds...)
	if err != nil {
		panic(err)
	}
	return r
}

// hasTaskOnly reports whether a dataset named like task t, if any, belongs to t (then the name
// selects the same files either way).
func (r *Registry) hasTaskOnly(t string) bool {
	for i := range r.datasets {
		if d := &r.datasets[i]; d.Name == t && d.Task != t {
			return false
		}
	}
	return true
}

func sameFile(a, b *File) bool {
	ca, cb := a.Content, b.Content
	sa, sb := a.Substitute, b.Substitute
	a2, b2 := *a, *b
	a2.Content, b2.Content = nil, nil
	a2.Substitute, b2.Substitute = nil, nil
	return a2 == b2 && (ca == cb || ca != nil && cb != nil && *ca == *cb) &&
		(sa == sb || sa != nil && sb != nil && sameFile(sa, sb))
}

// check rejects a malformed entry, so a typo in the catalog fails at start-up, not mid-download.
func (f *File) check() error {
	if f.Path == "" || path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || strings.HasPrefix(f.Path, "../") || strings.Contains(f.Path, `\`) {
		return fmt.Errorf("file %q: want a clean relative slash-separated path", f.Path)
	}
	if !isHexSHA256(f.SHA256) || f.Size <= 0 {
		return fmt.Errorf("%s: bad size %d or sha256 %q", f.Path, f.Size, f.SHA256)
	}
	if f.URL == "" && f.Derive == "" {
		return fmt.Errorf("%s: neither URL nor Derive", f.Path)
	}
	if c := f.Content; c != nil && (c.Kind != Gunzip && c.Kind != TarGz || !isHexSHA256(c.SHA256) || c.Size <= 0) {
		return fmt.Errorf("%s: bad content %+v", f.Path, *c)
	}
	if f.Compress && (f.URL == "" || f.Content == nil || f.Content.Kind != Gunzip) {
		return fmt.Errorf("%s: Compress needs a URL and Gunzip content", f.Path)
	}
	if s := f.Substitute; s != nil {
		if err := s.check(); err != nil {
			return fmt.Errorf("%s: substitute: %w", f.Path, err)
		}
		switch {
		case s.Path == f.Path:
			return fmt.Errorf("%s: the substitute has the same path", f.Path)
		case s.URL != "" || s.Derive == "":
			return fmt.Errorf("%s: substitute %s: want no URL (only the official file is downloaded) and a Derive note saying how it was made", f.Path, s.Path)
		case s.Substitute != nil:
			return fmt.Errorf("%s: substitute %s has a substitute", f.Path, s.Path)
		}
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Datasets returns the datasets in catalog order.
func (r *Registry) Datasets() []Dataset {
	out := make([]Dataset, len(r.datasets))
	for i := range r.datasets {
		out[i] = r.datasets[i].clone()
	}
	return out
}

// clone copies the file list and the substitutes, so that callers cannot edit the registry
// through them.
func (d *Dataset) clone() Dataset {
	c := *d
	c.Files = slices.Clone(d.Files)
	for i := range c.Files {
		if s := c.Files[i].Substitute; s != nil {
			s2 := *s
			c.Files[i].Substitute = &s2
		}
	}
	return c
}

// Lookup returns the registered file at the slash-separated path p, or the registered file
// whose substitute is at p (then substitute is true).
func (r *Registry) Lookup(p string) (f File, substitute, ok bool) {
	for i := range r.datasets {
		d := &r.datasets[i]
		for j := range d.Files {
			g := &d.Files[j]
			if g.Path == p || g.Substitute != nil && g.Substitute.Path == p {
				f = *g
				if f.Substitute != nil {
					s := *f.Substitute
					f.Substitute = &s
				}
				return f, g.Path != p, true
			}
		}
	}
	return File{}, false, false
}

// Tasks returns the task names, sorted.
func (r *Registry) Tasks() []string {
	var ts []string
	for _, d := range r.datasets {
		if !slices.Contains(ts, d.Task) {
			ts = append(ts, d.Task)
		}
	}
	sort.Strings(ts)
	return ts
}

// Names returns what Select accepts: "all", the task names and the dataset names.
func (r *Registry) Names() []string {
	ns := append([]string{"all"}, r.Tasks()...)
	for _, d := range r.datasets {
		if !slices.Contains(ns, d.Name) {
			ns = append(ns, d.Name)
		}
	}
	return ns
}

// Select returns the datasets that names designate, each once, in catalog order. A name is a
// dataset, a task (all its datasets) or "all".
func (r *Registry) Select(names ...string) ([]Dataset, error) {
	want := make([]bool, len(r.datasets))
	for _, n := range names {
		found := false
		for i, d := range r.datasets {
			if n == "all" || d.Name == n || d.Task == n {
				want[i], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("datasets: unknown dataset %q (known: %s)", n, strings.Join(r.Names(), ", "))
		}
	}
	var out []Dataset
	for i, w := range want {
		if w {
			out = append(out, r.datasets[i].clone())
		}
	}
	return out, nil
}

// Files returns the files of datasets, each path once, in order.
func Files(datasets []Dataset) []File {
	seen := map[string]bool{}
	var out []File
	for _, d := range datasets {
		for _, f := range d.Files {
			if !seen[f.Path] {
				seen[f.Path] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// rawGitHub is the URL of a file of a GitHub repository at a commit: pinned, so the bytes do
// not change under us.
func rawGitHub(repo, commit, file string) string {
	return "https://raw.githubusercontent.com/" + repo + "/" + commit + "/" + file
}

// source names a file of a repository at a commit.
func source(repo, commit, file string) string {
	return repo + "@" + commit + ":" + file
}
