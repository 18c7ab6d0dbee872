package datasets

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Options tunes Download.
type Options struct {
	// Client fetches the URLs; nil means a client with ConnectTimeout and IdleTimeout. Cancel
	// through the context.
	Client *http.Client
	// ConnectTimeout bounds connecting and the TLS handshake of the default client (0:
	// DefaultConnectTimeout). IdleTimeout bounds every wait for the server, with any client:
	// for the response, and between two reads of its body (0: DefaultIdleTimeout).
	ConnectTimeout, IdleTimeout time.Duration
	// Attempts is how many times a file is tried when its failure may be transient (network
	// errors, stalls, HTTP 5xx, 408 and 429, bodies cut short; 0: DefaultAttempts). Backoff is
	// the wait before the second attempt, doubled before each further one (0: DefaultBackoff).
	Attempts int
	Backoff  time.Duration
	// Mirror, when set, is a base URL (http:// or https://) or a directory holding a copy of a
	// data directory (such as gosru's staged data): every file, the ones without URL included,
	// is then taken from Mirror/<path> instead of its URL, and checked the same way. A file
	// the mirror lacks (no such file, HTTP 404) is replaced by its substitute from the mirror,
	// when it has one.
	Mirror string
	// Progress receives a progress bar per file; nil for none. Pass stderr only on a terminal.
	Progress io.Writer
	// Log receives a line per file fetched, replaced, failed or not downloadable; nil for none.
	Log io.Writer
}

// Action is what Download did with one file.
type Action int

const (
	Present         Action = iota // already there with the registered bytes or content: skipped
	Fetched                       // downloaded, checked and moved into place
	NotDownloadable               // absent or corrupt, and no URL has it: see File.Derive
	Failed                        // the download or its check failed; nothing was left in place
)

func (a Action) String() string {
	switch a {
	case Present:
		return "present"
	case Fetched:
		return "fetched"
	case NotDownloadable:
		return "not downloadable"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Outcome is what happened to one file.
type Outcome struct {
	File   File
	Action Action
	Err    error // why it failed
	// Substitute: the action was on File.Substitute, taken from a mirror that lacks File.
	Substitute bool
}

// DownloadError reports the files that Download could not put in place.
type DownloadError struct {
	Failed          []Outcome
	NotDownloadable []Outcome
}

func (e *DownloadError) Error() string {
	var parts []string
	if n := len(e.Failed); n > 0 {
		var s []string
		for _, o := range e.Failed {
			s = append(s, o.Err.Error())
		}
		parts = append(parts, fmt.Sprintf("%d %s failed: %s", n, plural(n, "file"), strings.Join(s, "; ")))
	}
	if n := len(e.NotDownloadable); n > 0 {
		var s []string
		for _, o := range e.NotDownloadable {
			s = append(s, o.File.Path)
		}
		how := "the Derive note of each says how to make it"
		if n == 1 {
			how = "make it: " + e.NotDownloadable[0].File.Derive
		}
		parts = append(parts, fmt.Sprintf("%d %s cannot be downloaded (%s); %s", n, plural(n, "file"), strings.Join(s, ", "), how))
	}
	return "datasets: " + strings.Join(parts, "; ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Download fetches the files of the dataset or task name (or "all") into dir with Default.
func Download(ctx context.Context, dir, name string, client *http.Client) error {
	_, err := Default.Download(ctx, dir, []string{name}, Options{Client: client})
	return err
}

// Download puts the files of the named datasets into dir: a file already there with the
// registered bytes (or content) is skipped; any other is fetched to a temporary file beside its
// place, checked against the registered size and sha256, and renamed into place, so a failed
// or cancelled download leaves nothing behind and never replaces a file with bad bytes. It goes
// on after a failed file and returns a *DownloadError naming the files it could not put in
// place; the outcomes say what happened to each file. A file with a substitute is fetched
// from its URL even when the substitute is present (the substitute is left as it is); only
// from a mirror that lacks the file is the substitute taken instead (Outcome.Substitute).
func (r *Registry) Download(ctx context.Context, dir string, names []string, opt Options) ([]Outcome, error) {
	if len(names) == 0 {
		return nil, errors.New("datasets: nothing to download: name a dataset, a task or all")
	}
	ds, err := r.Select(names...)
	if err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	var out []Outcome
	var derr DownloadError
	for _, f := range Files(ds) {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("datasets: download: %w", err)
		}
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		c := checkFile(target, &f)
		if c.Status == StatusOK {
			out = append(out, Outcome{File: f, Action: Present})
			continue
		}
		was := ""
		if c.Status == StatusCorrupt {
			was = " (present but corrupt: " + c.Detail + ")"
		}
		src, ok := sourceOf(&f, opt.Mirror)
		if !ok {
			logf("cannot download %s%s: %s", f.Path, was, f.Derive)
			o := Outcome{File: f, Action: NotDownloadable}
			out = append(out, o)
			derr.NotDownloadable = append(derr.NotDownloadable, o)
			continue
		}
		if was != "" {
			logf("replacing %s%s", f.Path, was)
		} else if s := f.Substitute; s != nil && s.PresentIn(dir) && opt.Mirror == "" {
			logf("fetching %s, the official file; its substitute %s stays, and readers take the official file once it is there", f.Path, s.Path)
		}
		err := fetchWithRetries(ctx, opt, src, target, &f, logf)
		if err != nil && ctx.Err() == nil && opt.Mirror != "" && f.Substitute != nil && notInMirror(err) {
			action, serr := substituteFromMirror(ctx, opt, dir, &f, logf)
			if serr == nil {
				out = append(out, Outcome{File: f, Action: action, Substitute: true})
				continue
			}
			err = fmt.Errorf("%w; nor could its substitute be taken: %w", err, serr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return out, fmt.Errorf("datasets: download: %w", ctx.Err())
			}
			logf("failed %v", err)
			o := Outcome{File: f, Action: Failed, Err: err}
			out = append(out, o)
			derr.Failed = append(derr.Failed, o)
			continue
		}
		logf("fetched %s (%s)", f.Path, HumanSize(f.Size))
		out = append(out, Outcome{File: f, Action: Fetched})
	}
	if len(derr.Failed)+len(derr.NotDownloadable) > 0 {
		return out, &derr
	}
	return out, nil
}

// notInMirror reports whether a mirror's failure to serve a file says that it lacks it.
func notInMirror(err error) bool {
	var hs *httpStatusError
	return errors.Is(err, fs.ErrNotExist) || errors.As(err, &hs) && (hs.code == http.StatusNotFound || hs.code == http.StatusGone)
}

// substituteFromMirror puts the substitute of f in place from the mirror, which lacks f
// itself; a substitute already there with its own bytes is kept.
func substituteFromMirror(ctx context.Context, opt Options, dir string, f *File, logf func(string, ...any)) (Action, error) {
	s := f.Substitute
	target := filepath.Join(dir, filepath.FromSlash(s.Path))
	if checkFile(target, s).Status == StatusOK {
		logf("the mirror has no %s; its substitute %s is present", f.Path, s.Path)
		return Present, nil
	}
	src, _ := sourceOf(s, opt.Mirror)
	if err := fetchWithRetries(ctx, opt, src, target, s, logf); err != nil {
		return Failed, err
	}
	logf("fetched %s (%s), the substitute of %s, which the mirror lacks", s.Path, HumanSize(s.Size), f.Path)
	return Fetched, nil
}

// httpStatusError is a response other than 200 OK.
type httpStatusError struct {
	code   int
	status string
}

func (e *httpStatusError) Error() string { return "HTTP " + e.status }

// fetchSource is where one file comes from.
type fetchSource struct {
	url      string // http(s) URL, or a local path when local
	local    bool
	compress bool // gzip the fetched bytes here; they are checked against File.Content
}

// sourceOf picks the mirror, else the file's URL; ok is false when the file has neither.
func sourceOf(f *File, mirror string) (src fetchSource, ok bool) {
	switch {
	case strings.HasPrefix(mirror, "http://") || strings.HasPrefix(mirror, "https://"):
		return fetchSource{url: strings.TrimSuffix(mirror, "/") + "/" + f.Path}, true
	case mirror != "":
		root := strings.TrimPrefix(mirror, "file://")
		return fetchSource{url: filepath.Join(root, filepath.FromSlash(f.Path)), local: true}, true
	case f.URL != "":
		return fetchSource{url: f.URL, compress: f.Compress}, true
	}
	return fetchSource{}, false
}

// fetch downloads src to a temporary file in target's directory, checks it and renames it to
// target.
func fetch(ctx context.Context, opt Options, src fetchSource, target string, f *File) (err error) {
	defer func() {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // it would repeat the URL
		}
		if err != nil {
			err = fmt.Errorf("%s from %s: %w", f.Path, src.url, err)
		}
	}()
	body, length, err := open(ctx, opt, src)
	if err != nil {
		return err
	}
	defer body.Close()

	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	// want is what the fetched bytes must be; a file with registered content may come from a
	// mirror as a re-made copy of another size, so it gets room to be checked by content.
	want := Content{Size: f.Size, SHA256: f.SHA256}
	limit := f.Size + 1
	if src.compress {
		want = *f.Content
		limit = want.Size + 1
	} else if f.Content != nil {
		limit = 2*max(f.Size, f.Content.Size) + 1<<20
	}
	announced := length // -1 when the server did not say
	if length <= 0 {
		length = want.Size
	}

	h := sha256.New()
	var sink io.Writer = tmp
	var zw *gzip.Writer
	if src.compress {
		// gzip -9 -n like the staged copy; the bytes still differ from GNU gzip's, hence Content.
		zw, _ = gzip.NewWriterLevel(tmp, gzip.BestCompression)
		sink = zw
	}
	w := io.MultiWriter(sink, h)
	if opt.Progress != nil {
		bar := progressbar.NewOptions64(length,
			progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription(f.Path),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		defer bar.Clear()
		w = io.MultiWriter(w, bar)
	}
	n, err := io.Copy(w, io.LimitReader(body, limit))
	if err != nil {
		return err
	}
	if !src.local && n < announced && n < limit {
		return transient(fmt.Errorf("the connection closed after %d of %d bytes", n, length))
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != want.Size || got != want.SHA256 {
		mismatch := fmt.Errorf("got %d bytes with sha256 %s, want %d bytes with sha256 %s", n, got, want.Size, want.SHA256)
		if src.compress || f.Content == nil || n >= limit {
			return mismatch
		}
		c, cerr := contentOf(tmp.Name(), f.Content.Kind)
		if cerr != nil || c != *f.Content {
			return mismatch
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	return nil
}

// open starts reading src; length is the announced size, or -1.
func open(ctx context.Context, opt Options, src fetchSource) (io.ReadCloser, int64, error) {
	if src.local {
		fh, err := os.Open(src.url)
		if err != nil {
			return nil, 0, err
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, 0, err
		}
		return fh, st.Size(), nil
	}
	wd, ctx := newWatchdog(ctx, opt.IdleTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.url, nil)
	if err != nil {
		wd.stop()
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "gosru-data")
	// Asking for identity keeps net/http from transparently gunzipping a .gz served with
	// Content-Encoding: gzip, which would break the hash.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := opt.Client.Do(req)
	if err != nil {
		wd.stop()
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // fetch names the URL
		}
		if err = wd.explain(err, "response"); !isTransient(err) {
			err = transient(err)
		}
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		wd.stop()
		var err error = &httpStatusError{code: resp.StatusCode, status: resp.Status}
		switch c := resp.StatusCode; {
		case c >= 500, c == http.StatusRequestTimeout, c == http.StatusTooManyRequests:
			err = transient(err)
		}
		return nil, 0, err
	}
	return &watchedBody{body: resp.Body, w: wd}, resp.ContentLength, nil
}

// syncDir makes a rename durable; where directories cannot be synced the rename stands anyway.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// HumanSize formats a byte count for people: 1.2 MiB.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
