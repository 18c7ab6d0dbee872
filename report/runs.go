// Package report turns finished and running experiments into the paper's results: a comparison
// table of test metrics and training speed (Tables 1–4 style) from the runs' summary.json, and
// learning curves against training time (Figure 3 style) from their metrics.jsonl.
//
// Runs are identified by their labels (dataset, model) as the training loop wrote them into
// summary.json; runs without a dataset label fall back to their experiment's name without its model
// token ("trec_sru" and "trec_lstm" are dataset trec).
package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gosru/gosru/train"
)

// Skipped is a run directory left out of a table or figure, and why.
type Skipped struct {
	Dir    string `json:"dir"`
	Reason string `json:"reason"`
}

// FindRuns expands command-line arguments into run directories, in argument order, each once.
// A run directory (one holding summary.json, metrics.jsonl or config.toml) stands for itself;
// any other directory for all the run directories below it (runs/, runs/trec_sru/); a glob for
// what it matches; a summary.json or metrics.jsonl file for its directory. An argument that
// yields no run is an error: it is almost always a typo.
func FindRuns(args []string) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	for _, arg := range args {
		paths := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("report: %s: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("report: %s matches nothing", arg)
			}
			paths = m
		}
		found := 0
		for _, p := range paths {
			under, err := runsUnder(p)
			if err != nil {
				return nil, err
			}
			found += len(under)
			for _, d := range under {
				if !seen[d] {
					seen[d] = true
					dirs = append(dirs, d)
				}
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("report: no run directories in %s", arg)
		}
	}
	return dirs, nil
}

// runsUnder lists the run directories at or below path.
func runsUnder(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !st.IsDir() {
		if b := filepath.Base(path); b == train.SummaryFile || b == train.MetricsFile {
			return []string{filepath.Dir(filepath.Clean(path))}, nil
		}
		return nil, fmt.Errorf("report: %s is not a run directory", path)
	}
	var dirs []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if isRunDir(p) {
			dirs = append(dirs, filepath.Clean(p))
			return filepath.SkipDir // checkpoints and the like, no nested runs
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return dirs, nil
}

func isRunDir(dir string) bool {
	for _, f := range []string{train.SummaryFile, train.MetricsFile, train.ConfigFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// readSummary reads dir's summary.json; a missing one is (nil, nil): the run is unfinished.
func readSummary(dir string) (*train.Summary, error) {
	s, err := train.ReadSummary(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return s, nil
}

// identify names a run's dataset and model from its labels, else from its experiment's name:
// "trec_sru" is dataset trec, model sru, as is "trec_sru_cpu" (a paper model's token anywhere
// in the name, else the last token); a name with no separator is both.
func identify(experiment string, labels map[string]string) (dataset, model string) {
	dataset, model = labels["dataset"], strings.ToLower(labels["model"])
	if model == "" {
		tokens := strings.FieldsFunc(strings.ToLower(experiment), func(r rune) bool { return r == '_' || r == '-' })
		model = strings.ToLower(experiment)
		if i := slices.IndexFunc(tokens, func(t string) bool { return t == "sru" || t == "lstm" || t == "cnn" }); i >= 0 {
			model = tokens[i]
		} else if i := strings.LastIndexAny(experiment, "_-"); i > 0 && i < len(experiment)-1 {
			model = strings.ToLower(experiment[i+1:])
		}
	}
	if dataset == "" {
		dataset = withoutToken(experiment, model)
	}
	return dataset, model
}

// withoutToken is name without its "_" or "-" separated tokens equal to token (any case), so
// that "trec_sru" and "connected_lstm_bi" name the datasets trec and connected_bi; a name that
// is nothing but the token is kept.
func withoutToken(name, token string) string {
	var kept []string
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '_' && name[i] != '-' {
			continue
		}
		if part := name[start:i]; !strings.EqualFold(part, token) {
			if len(kept) > 0 {
				kept = append(kept, name[start-1:start])
			}
			kept = append(kept, part)
		}
		start = i + 1
	}
	if len(kept) == 0 {
		return name
	}
	return strings.TrimLeft(strings.Join(kept, ""), "_-")
}

// experimentOf is the experiment of a run without summary.json: runs/<experiment>/<run-id>.
func experimentOf(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(filepath.Dir(abs))
}

// modelOrder puts the paper's models first (SRU, LSTM, CNN), the others after by name.
func modelOrder(a, b string) int {
	rank := func(m string) int {
		if i := slices.Index([]string{"sru", "lstm", "cnn"}, m); i >= 0 {
			return i
		}
		return 3
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// displayName is a model's name in tables and legends.
func displayName(model string) string {
	switch model {
	case "sru", "lstm", "cnn":
		return strings.ToUpper(model)
	}
	return model
}
