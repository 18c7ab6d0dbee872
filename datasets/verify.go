package datasets

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Status is the state of one file of the data directory.
type Status int

const (
	StatusOK      Status = iota // present with the registered bytes or content
	StatusMissing               // absent
	StatusCorrupt               // present, but neither its bytes nor its content are the registered ones
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusMissing:
		return "missing"
	case StatusCorrupt:
		return "corrupt"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Check is the verdict on one file.
type Check struct {
	File   File
	Status Status
	// Detail says why a file is corrupt, or that an ok file matched by content only.
	Detail string
	// Substitute: the file checked is File.Substitute, against its own size and sha256.
	Substitute bool
}

// Path is the path of the file checked: File.Path, or its substitute's.
func (c *Check) Path() string {
	if c.Substitute {
		return c.File.Substitute.Path
	}
	return c.File.Path
}

// Verify checks the files of the named datasets (all when names is empty) in dir with Default.
func Verify(dir string, names ...string) ([]Check, error) { return Default.Verify(dir, names...) }

// Verify hashes every present file of the named datasets (all when names is empty) in dir and
// reports each as ok, missing or corrupt. A file with a substitute is checked as the file when
// it is present, else as the substitute (Check.Substitute) when that is present, else reported
// missing; when both are present, both are checked (the file first).
func (r *Registry) Verify(dir string, names ...string) ([]Check, error) {
	if len(names) == 0 {
		names = []string{"all"}
	}
	ds, err := r.Select(names...)
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, f := range Files(ds) {
		c := checkFile(filepath.Join(dir, filepath.FromSlash(f.Path)), &f)
		if s := f.Substitute; s != nil {
			sc := checkFile(filepath.Join(dir, filepath.FromSlash(s.Path)), s)
			sc.File, sc.Substitute = f, true
			switch {
			case c.Status == StatusMissing && sc.Status == StatusMissing:
				c.Detail = "nor its substitute " + s.Path
			case c.Status == StatusMissing:
				c = sc
			case sc.Status != StatusMissing:
				out = append(out, c)
				c = sc
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// checkFile compares the file at name with f: its bytes first, then its content.
func checkFile(name string, f *File) Check {
	c := Check{File: *f}
	st, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Status = StatusMissing
		return c
	case err != nil:
		c.Status, c.Detail = StatusCorrupt, err.Error()
		return c
	case !st.Mode().IsRegular():
		c.Status, c.Detail = StatusCorrupt, "not a regular file"
		return c
	}
	size, sum, err := hashFile(name)
	if err != nil {
		c.Status, c.Detail = StatusCorrupt, err.Error()
		return c
	}
	if size == f.Size && sum == f.SHA256 {
		return c
	}
	c.Status = StatusCorrupt
	if size != f.Size {
		c.Detail = fmt.Sprintf("size %d, want %d", size, f.Size)
	} else {
		c.Detail = fmt.Sprintf("sha256 %s, want %s", sum, f.SHA256)
	}
	if f.Content == nil {
		return c
	}
	got, err := contentOf(name, f.Content.Kind)
	switch {
	case err != nil:
		c.Detail += "; content unreadable: " + err.Error()
	case got == *f.Content:
		c.Status, c.Detail = StatusOK, "same content as the staged file, other "+f.Content.Kind.String()+" bytes"
	default:
		c.Detail += fmt.Sprintf("; content (%s) size %d sha256 %s, want %d %s", got.Kind, got.Size, got.SHA256, f.Content.Size, f.Content.SHA256)
	}
	return c
}

func hashFile(name string) (int64, string, error) {
	fh, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// contentOf digests the file at name as kind.
func contentOf(name string, kind ContentKind) (Content, error) {
	fh, err := os.Open(name)
	if err != nil {
		return Content{}, err
	}
	defer fh.Close()
	switch kind {
	case Gunzip:
		return GunzipDigest(fh)
	case TarGz:
		return TarDigest(fh)
	}
	return Content{}, fmt.Errorf("datasets: unknown content kind %v", kind)
}

// GunzipDigest returns the size and sha256 of the decompressed bytes of the gzip stream r.
func GunzipDigest(r io.Reader) (Content, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Content{}, fmt.Errorf("datasets: gunzip: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, zr)
	if err != nil {
		return Content{}, fmt.Errorf("datasets: gunzip: %w", err)
	}
	return Content{Kind: Gunzip, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// TarDigest digests the regular files of the gzipped tar stream r: Size is their total size and
// SHA256 the sha256 of the lines "<sha256 of file>  <name>\n" sorted by the bytes of the name, the output of
// `sha256sum` over the extracted files (names without a leading "./"). Directories, modes, owners
// and times are left out: they are what differs between two archivers.
func TarDigest(r io.Reader) (Content, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Content{}, fmt.Errorf("datasets: tar.gz: %w", err)
	}
	tr := tar.NewReader(zr)
	var lines []string
	var total int64
	seen := map[string]bool{}
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Content{}, fmt.Errorf("datasets: tar.gz: %w", err)
		}
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(path.Clean(hd.Name), "./")
		if seen[name] {
			return Content{}, fmt.Errorf("datasets: tar.gz: %s twice", name)
		}
		seen[name] = true
		h := sha256.New()
		n, err := io.Copy(h, tr)
		if err != nil {
			return Content{}, fmt.Errorf("datasets: tar.gz: %s: %w", name, err)
		}
		total += n
		lines = append(lines, hex.EncodeToString(h.Sum(nil))+"  "+name+"\n")
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] }) // by name; names are unique
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return Content{Kind: TarGz, Size: total, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
