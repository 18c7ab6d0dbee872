package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dir is the data directory: $SRU_DATA, else ./data.
func Dir() string {
	if d := os.Getenv("SRU_DATA"); d != "" {
		return d
	}
	return "data"
}

// DirFrom is the data directory for a run: the configured one (an experiment's data_dir, a
// --data-dir flag) when set, else Dir().
func DirFrom(configured string) string {
	if configured != "" {
		return configured
	}
	return Dir()
}

// MissingError lists the files of a dataset that are absent from the data directory.
type MissingError struct {
	Name  string // as asked for: a dataset, a task or "all"
	Dir   string
	Files []File
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "datasets: %s: %d file", e.Name, len(e.Files))
	if len(e.Files) != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " absent or incomplete in %s:", e.Dir)
	var derive []File
	for _, f := range e.Files {
		b.WriteString(" " + f.Path)
		if !f.Downloadable() {
			derive = append(derive, f)
		}
	}
	cmd := "sru data download " + e.Name
	if e.Dir != Dir() {
		cmd = "sru data download --data-dir " + e.Dir + " " + e.Name
	}
	if len(derive) < len(e.Files) {
		fmt.Fprintf(&b, "; fetch them with: %s", cmd)
	}
	for _, f := range derive {
		fmt.Fprintf(&b, "; %s cannot be downloaded: %s", f.Path, f.Derive)
	}
	for _, f := range e.Files {
		if s := f.Substitute; s != nil {
			fmt.Fprintf(&b, "; %s, its accepted substitute, would do in its place: %s", s.Path, s.Derive)
		}
	}
	return b.String()
}

// Missing returns a *MissingError when a file of the dataset or task name is absent from dir
// (or has the wrong size), nil when all are there; a file whose substitute is there in its
// place counts as there. It does not hash: tasks call it before reading, and `sru data verify`
// checks the bytes.
func Missing(dir, name string) error { return Default.Missing(dir, name) }

// Missing is the package function Missing for the registry r.
func (r *Registry) Missing(dir, name string) error {
	ds, err := r.Select(name)
	if err != nil {
		return err
	}
	var miss []File
	for _, f := range Files(ds) {
		if _, _, ok := f.Find(dir); !ok {
			miss = append(miss, f)
		}
	}
	if len(miss) == 0 {
		return nil
	}
	return &MissingError{Name: name, Dir: dir, Files: miss}
}

// PresentIn reports whether the file is in dir with its registered size, without hashing it.
func (f *File) PresentIn(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
	// A file with registered content may be a re-made copy of another size.
	return err == nil && st.Mode().IsRegular() && (st.Size() == f.Size || f.Content != nil)
}

// Find returns the path (slash-separated, relative to dir) of the form of the file a reader
// takes: the file itself when it is present (PresentIn), else its substitute when that is
// present; substitute says which, and ok is false when neither is.
func (f *File) Find(dir string) (p string, substitute, ok bool) {
	switch {
	case f.PresentIn(dir):
		return f.Path, false, true
	case f.Substitute != nil && f.Substitute.PresentIn(dir):
		return f.Substitute.Path, true, true
	}
	return "", false, false
}
