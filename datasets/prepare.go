package datasets

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// PrepareOptions tune Prepare.
type PrepareOptions struct {
	// From is a local copy of the official download a recipe starts from (see each recipe's
	// Needs); empty means the copy already in the data directory, else a download of the
	// official URL.
	From string
	// Network settings of that download.
	Network Options
	// Log receives a line per file made; nil for none.
	Log io.Writer
}

// Recipe makes registered files that no URL serves from official files, in Go.
type Recipe struct {
	Name string
	// Makes are the registered paths it writes; each is checked against the registry (its
	// bytes or its content) before it is moved into place.
	Makes []string
	// Needs says what it starts from.
	Needs string
	run   func(ctx context.Context, p *preparation) error
}

// Recipes are the `sru data prepare` recipes, by name.
func Recipes() []Recipe {
	return []Recipe{
		{Name: "sst-phrases", Makes: []string{sstPhrasesFine, sstPhrasesBinary},
			Needs: "classification/sst/trainDevTestTrees_PTB.zip (sru data download sst-trees)", run: prepareSSTPhrases},
		{Name: "fsdd", Makes: []string{fsddTarball, fsddSpeakers, fsddIndex},
			Needs: "the FSDD repository's archive at commit " + fsddCommit + " (" + fsddArchiveURL + "), " +
				"or, for the index alone, speech/fsdd/fsdd_recordings.tar.gz", run: prepareFSDD},
		{Name: "yesno", Makes: []string{yesnoTarball, yesnoIndex},
			Needs: "OpenSLR's waves_yesno.tar.gz (" + yesnoOfficialURL + "), or, for the index alone, " +
				"speech/yesno/waves_yesno.tar.gz", run: prepareYesno},
	}
}

const (
	sstTrees         = "classification/sst/trainDevTestTrees_PTB.zip"
	sstPhrasesFine   = "classification/sst/stsa.fine.phrases.train.derived.gz"
	sstPhrasesBinary = "classification/sst/stsa.binary.phrases.train.derived.gz"
	fsddTarball      = "speech/fsdd/fsdd_recordings.tar.gz"
	fsddSpeakers     = "speech/fsdd/speakers.tsv"
	fsddIndex        = "speech/fsdd/fsdd_index.tsv"
	fsddArchiveURL   = "https://github.com/" + fsddRepo + "/archive/" + fsddCommit + ".tar.gz"
	yesnoTarball     = "speech/yesno/waves_yesno.tar.gz"
	yesnoIndex       = "speech/yesno/yesno_index.tsv"
	yesnoOfficialURL = "http://www.openslr.org/resources/1/waves_yesno.tar.gz"
)

// preparation is one recipe at work.
type preparation struct {
	reg  *Registry
	dir  string
	opt  PrepareOptions
	name string
}

// Prepare runs the recipe name in the data directory dir. Every file it makes is written to a
// temporary file, checked against the registry and renamed into place, so a recipe that fails
// or makes other bytes leaves nothing behind.
func (r *Registry) Prepare(ctx context.Context, dir, name string, opt PrepareOptions) error {
	for _, rc := range Recipes() {
		if rc.Name == name {
			return rc.run(ctx, &preparation{reg: r, dir: dir, opt: opt, name: name})
		}
	}
	var names []string
	for _, rc := range Recipes() {
		names = append(names, rc.Name)
	}
	return fmt.Errorf("datasets: prepare: unknown recipe %q (want one of %s)", name, strings.Join(names, ", "))
}

func (p *preparation) errorf(format string, args ...any) error {
	return fmt.Errorf("datasets: prepare %s: "+format, append([]any{p.name}, args...)...)
}

func (p *preparation) logf(format string, args ...any) {
	if p.opt.Log != nil {
		fmt.Fprintf(p.opt.Log, format+"\n", args...)
	}
}

// file returns the registered file at rel.
func (p *preparation) file(rel string) (*File, error) {
	for _, d := range p.reg.datasets {
		for i := range d.Files {
			if d.Files[i].Path == rel {
				f := d.Files[i]
				return &f, nil
			}
		}
	}
	return nil, p.errorf("%s is not registered", rel)
}

// input returns the bytes of the registered file rel in the data directory, checked.
func (p *preparation) input(rel, dataset string) ([]byte, error) {
	f, err := p.file(rel)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(p.dir, filepath.FromSlash(rel))
	if c := checkFile(name, f); c.Status != StatusOK {
		return nil, p.errorf("%s is %v%s: fetch it with 'sru data download --data-dir %s %s'", name, c.Status,
			detail(c.Detail), p.dir, dataset)
	}
	return os.ReadFile(name)
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// put writes data as the registered file rel: to a temporary file, checked against the
// registry, then renamed into place.
func (p *preparation) put(rel string, data []byte) error {
	f, err := p.file(rel)
	if err != nil {
		return err
	}
	target := filepath.Join(p.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return p.errorf("%w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".part-*")
	if err != nil {
		return p.errorf("%w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return p.errorf("%w", err)
	}
	if c := checkFile(tmp.Name(), f); c.Status != StatusOK {
		sum := sha256.Sum256(data)
		return p.errorf("%s: the derived file does not match the registry (%d bytes, sha256 %s%s); nothing was written",
			rel, len(data), hex.EncodeToString(sum[:]), detail(c.Detail))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return p.errorf("%w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return p.errorf("%w", err)
	}
	syncDir(filepath.Dir(target))
	p.logf("prepared %s (%s, matches the registry)", rel, HumanSize(int64(len(data))))
	return nil
}

// source returns the official download a recipe starts from: opt.From, else url fetched
// into memory (no checksum is published for it: what is made from it is checked instead).
func (p *preparation) source(ctx context.Context, url string) ([]byte, string, error) {
	if p.opt.From != "" {
		data, err := os.ReadFile(p.opt.From)
		if err != nil {
			return nil, "", p.errorf("%w", err)
		}
		return data, p.opt.From, nil
	}
	p.logf("downloading %s", url)
	opt := p.opt.Network.withDefaults()
	var data []byte
	wait := opt.Backoff
	for attempt := 1; ; attempt++ {
		body, _, err := open(ctx, opt, fetchSource{url: url})
		if err == nil {
			data, err = io.ReadAll(body)
			body.Close()
			if err == nil {
				return data, url, nil
			}
		}
		if ctx.Err() != nil || !isTransient(err) || attempt >= opt.Attempts {
			return nil, "", p.errorf("%s: %w (give a local copy with -from FILE)", url, err)
		}
		p.logf("attempt %d of %d failed (%v); retrying in %v", attempt, opt.Attempts, err, wait)
		if err := sleep(ctx, wait); err != nil {
			return nil, "", err
		}
		wait *= 2
	}
}

// gzipBytes is gzip -9 -n of data.
func gzipBytes(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// member is one regular file of an archive.
type member struct {
	name string
	data []byte
}

// readTarGz returns the regular files of a gzipped tar archive, names cleaned of "./".
func readTarGz(data []byte) ([]member, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var out []member
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out = append(out, member{strings.TrimPrefix(path.Clean(hd.Name), "./"), b})
	}
}

// writeTarGz packs members (sorted by name) under their directories, with fixed modes and
// times, as gzip -9.
func writeTarGz(members []member) ([]byte, error) {
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	dirs := map[string]bool{}
	for _, m := range members {
		if d := path.Dir(m.name); d != "." && !dirs[d] {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// readZipMember returns one file of a zip archive.
func readZipMember(data []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	fh, err := zr.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s in the archive", name)
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(fh)
}
