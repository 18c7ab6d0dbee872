package squad

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// PreprocessVersion names the preprocessing (tokenizer, span alignment, the Prepared layout).
// Change it whenever any of them changes: cached files of another version are not read.
const PreprocessVersion = 1

// Prepared is a tokenised dataset: what training and prediction read, written once to the
// preprocessing cache.
type Prepared struct {
	Version    string
	Paragraphs []PreparedParagraph
	Questions  []PreparedQuestion
	// Unaligned counts the questions that have answers none of which starts and ends on token
	// boundaries: they have no training span (First = -1).
	Unaligned int
	// TagFailures counts the paragraphs prose failed on (their words have the unknown tags);
	// 0 when untagged.
	TagFailures int
}

// PreparedParagraph is a context and its tokens.
type PreparedParagraph struct {
	Article string
	Context string
	Tokens  []Token
	// POS and NER are the tags of the tokens (slots of POSTags and NERLabels, the last slot
	// unknown) when preprocessing computed them (Tagging), else nil.
	POS, NER []uint8
}

// PreparedQuestion is a question, its words and its answer span in its paragraph's tokens.
type PreparedQuestion struct {
	ID        string
	Paragraph int32
	Words     []string
	// First and Last are the token span of the first gold answer that lies on token
	// boundaries; -1 when none does.
	First, Last int32
	Answers     []string // every gold answer's text (for scoring)
}

// Prepare tokenises every context and question and aligns the answers.
func Prepare(ds *Dataset) *Prepared {
	p := &Prepared{Version: ds.Version}
	for pi := range ds.Paragraphs {
		par := &ds.Paragraphs[pi]
		toks := Tokenize(par.Context)
		p.Paragraphs = append(p.Paragraphs, PreparedParagraph{Article: par.Article, Context: par.Context, Tokens: toks})
		for _, q := range par.Questions {
			pq := PreparedQuestion{ID: q.ID, Paragraph: int32(pi), First: -1, Last: -1}
			for _, t := range Tokenize(q.Text) {
				pq.Words = append(pq.Words, t.Text)
			}
			for _, a := range q.Answers {
				pq.Answers = append(pq.Answers, a.Text)
				if pq.First >= 0 {
					continue
				}
				if first, last, ok := alignSpan(toks, a.Start, a.End); ok {
					pq.First, pq.Last = int32(first), int32(last)
				}
			}
			if pq.First < 0 && len(q.Answers) > 0 {
				p.Unaligned++
			}
			p.Questions = append(p.Questions, pq)
		}
	}
	return p
}

// LoadPrepared returns the prepared form of the dataset file at path, without tags. It is
// read from cacheDir when a file there matches the input's SHA-256 and PreprocessVersion;
// otherwise the dataset is read and tokenised and the result written there (atomically) for
// later runs. cacheDir "" disables the cache. A cache that cannot be written is a warning on
// stderr, not an error. fromCache says which happened.
func LoadPrepared(path, cacheDir string) (p *Prepared, fromCache bool, err error) {
	return LoadPreparedTagged(path, cacheDir, Tagging{})
}

// LoadPreparedTagged is LoadPrepared with the POS and NER tags that tagging asks for. The
// cache file's name says which tags it holds (Tagging.cacheSuffix, with TaggerVersion): a
// file without tags keeps the name <base>.<sha256[:16]>.v<PreprocessVersion>.gob of untagged
// runs; tagged files add .pos.t<TaggerVersion> or .posner.t<TaggerVersion>.
func LoadPreparedTagged(path, cacheDir string, tagging Tagging) (p *Prepared, fromCache bool, err error) {
	var cachePath string
	if cacheDir != "" {
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, false, err
		}
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		cachePath = filepath.Join(cacheDir, fmt.Sprintf("%s.%s.v%d%s.gob", base, sum[:16], PreprocessVersion, tagging.cacheSuffix()))
		if f, err := os.Open(cachePath); err == nil {
			defer f.Close()
			var cached Prepared
			if err := gob.NewDecoder(f).Decode(&cached); err != nil {
				return nil, false, fmt.Errorf("squad: preprocessing cache %s: %w (delete it to rebuild)", cachePath, err)
			}
			return &cached, true, nil
		}
	}
	ds, err := OpenDataset(path)
	if err != nil {
		return nil, false, err
	}
	p = Prepare(ds)
	if tagging.POS || tagging.NER {
		fmt.Fprintf(os.Stderr, "squad: tagging the %d contexts of %s with prose (%s); the tags are cached\n",
			len(p.Paragraphs), filepath.Base(path), strings.TrimPrefix(tagging.cacheSuffix(), "."))
	}
	if p.TagFailures, err = tagParagraphs(p, tagging); err != nil {
		return nil, false, err
	}
	if cachePath != "" {
		if err := writeGobAtomic(cachePath, p); err != nil {
			// A read-only data directory is common (a shared mount): the run goes on, and
			// says how to keep the preprocessing for next time.
			fmt.Fprintf(os.Stderr, "squad: warning: cannot write the preprocessing cache (%v); "+
				"set squad.cache_dir to a writable directory to skip preprocessing next time\n", err)
		}
	}
	return p, false, nil
}

// checkTags reports a paragraph without the tags that tagging asks for, or with tags of
// another length than its tokens or outside the slots (a cache file not written by
// LoadPreparedTagged).
func (p *Prepared) checkTags(tagging Tagging) error {
	for pi := range p.Paragraphs {
		par := &p.Paragraphs[pi]
		for _, tags := range []struct {
			want  bool
			name  string
			slots []uint8
			n     int
		}{{tagging.POS, "POS", par.POS, NumPOS}, {tagging.NER, "NER", par.NER, NumNER}} {
			if !tags.want {
				continue
			}
			if len(tags.slots) != len(par.Tokens) {
				return fmt.Errorf("paragraph %d has %d %s tags for %d tokens", pi, len(tags.slots), tags.name, len(par.Tokens))
			}
			for _, s := range tags.slots {
				if int(s) >= tags.n {
					return fmt.Errorf("paragraph %d has %s slot %d of %d", pi, tags.name, s, tags.n)
				}
			}
		}
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("squad: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("squad: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeGobAtomic(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := gob.NewEncoder(tmp).Encode(v); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
