package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// DataFile is data.json: where a run's data came from, and the sha256 of each file it used.
const DataFile = "data.json"

// DataRecord is the content of data.json.
type DataRecord struct {
	// Dir is the resolved data directory (absolute), or "embedded" for data compiled in.
	Dir string `json:"data_dir"`
	// Dataset is the dataset label of the task; Source says where the file list came from:
	// "task" (the task's DataFiles), "registry" (the dataset's files in the registry) or "".
	Dataset string `json:"dataset,omitempty"`
	Source  string `json:"files_from,omitempty"`
	// Files maps a path relative to Dir to the hex sha256 of its bytes; a listed file that
	// was absent is not recorded.
	Files map[string]string `json:"files,omitempty"`
}

// HashDataFiles builds the record of the files (relative to dir) that exist there.
func HashDataFiles(dir, dataset, source string, files []string) (*DataRecord, error) {
	rec := &DataRecord{Dir: dir, Dataset: dataset, Source: source, Files: map[string]string{}}
	for _, f := range files {
		sum, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		rec.Files[f] = sum
	}
	return rec, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteDataRecord writes data.json into a run directory.
func WriteDataRecord(runDir string, rec *DataRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(runDir, DataFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// ReadDataRecord reads a run's data.json; (nil, nil) when the run has none.
func ReadDataRecord(runDir string) (*DataRecord, error) {
	b, err := os.ReadFile(filepath.Join(runDir, DataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var rec DataRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("train: %s: %w", filepath.Join(runDir, DataFile), err)
	}
	return &rec, nil
}

// Changes lists how now differs from the recorded data: another directory, and each file
// changed, gone or new.
func (rec *DataRecord) Changes(now *DataRecord) []string {
	var out []string
	if rec.Dir != now.Dir {
		out = append(out, fmt.Sprintf("the data directory was %s, now %s", rec.Dir, now.Dir))
	}
	var paths []string
	for p := range rec.Files {
		paths = append(paths, p)
	}
	for p := range now.Files {
		if _, ok := rec.Files[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		was, had := rec.Files[p]
		is, has := now.Files[p]
		switch {
		case had && !has:
			out = append(out, p+": gone")
		case !had && has:
			out = append(out, p+": new (sha256 "+short(is)+")")
		case was != is:
			out = append(out, fmt.Sprintf("%s: sha256 was %s, now %s", p, short(was), short(is)))
		}
	}
	return out
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}
