package squad

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/gosru/gosru/datasets"
)

// dataFile is a dataset file as New found it.
type dataFile struct {
	path string // the file to open
	// rel is path relative to the data directory, slash-separated; "" for a file configured
	// by an absolute path.
	rel string
	// substituteFor is the registered official file that is absent and that this file, its
	// accepted substitute, stands in for; "" when the file is the one configured.
	substituteFor string
}

// locate finds the file that the configured name designates: dataDir/squad/name, or an
// absolute path as it is. A registered file with an accepted substitute (the official
// train-v1.1.json: the reconstruction train-v1.1.reconstructed.json.gz) is read when present,
// else its substitute is; the error of neither names both.
func locate(reg *datasets.Registry, dataDir, name string) (dataFile, error) {
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return dataFile{}, fmt.Errorf("squad: %w", err)
		}
		return dataFile{path: name}, nil
	}
	rel := path.Join("squad", filepath.ToSlash(name))
	if f, isSub, ok := reg.Lookup(rel); ok && !isSub && f.Substitute != nil {
		p, sub, ok := f.Find(dataDir)
		if !ok {
			official := filepath.Join(dataDir, filepath.FromSlash(f.Path))
			if st, err := os.Stat(official); err == nil {
				official += fmt.Sprintf(" (present with %d bytes, want %d)", st.Size(), f.Size)
			}
			return dataFile{}, fmt.Errorf("squad: neither the official file %s nor its accepted substitute %s is there: "+
				"fetch the official one with 'sru data download --data-dir %s squad'", official, f.Substitute.Path, dataDir)
		}
		df := dataFile{path: filepath.Join(dataDir, filepath.FromSlash(p)), rel: p}
		if sub {
			df.substituteFor = f.Path
		}
		return df, nil
	}
	full := filepath.Join(dataDir, filepath.FromSlash(rel))
	if _, err := os.Stat(full); err != nil {
		return dataFile{}, fmt.Errorf("squad: %w (sru data download squad)", err)
	}
	return dataFile{path: full, rel: rel}, nil
}

// describe says which file was read, for labels and messages.
func (f dataFile) describe() string {
	name := f.rel
	if name == "" {
		name = f.path
	}
	if f.substituteFor != "" {
		return name + " (the accepted substitute of the absent " + f.substituteFor + ")"
	}
	return name
}

// DataFiles are the train and dev files read, relative to the data directory (those
// configured by an absolute path are left out): the run records their sha256 in data.json.
// The train file is the official train-v1.1.json, or its substitute when only that is there.
func (t *Task[T]) DataFiles() []string {
	var out []string
	for _, f := range []dataFile{t.trainFile, t.devFile} {
		if f.rel != "" && (len(out) == 0 || out[0] != f.rel) {
			out = append(out, f.rel)
		}
	}
	return out
}
