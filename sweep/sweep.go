// Package sweep expands a sweep file (TOML: experiment files and the axes to cross: folds,
// seeds and any `-set` key with a list of values) into a deterministic list of runs, each with
// a stable id and its own run directory under one sweep directory. It also reads the state of
// those run directories (pending, running, done, failed) and writes the Slurm job-array script
// that runs them; the command line (sru sweep) launches them.
//
// A sweep file:
//
//	name = "table1_cv"                     # default: the file's base name
//	dir = "runs/sweeps/table1_cv"          # default: runs/sweeps/<name>
//	experiments = ["experiments/classification/mr_*.toml"]  # globs, relative to the working directory
//	folds = "all"                          # or [0, 1, 2]; default: the experiment's own
//	seeds = [1, 2, 3]                      # default: the experiment's seed
//	set = ["train.epochs=2"]               # overrides applied to every run
//
//	[axes]                                 # any -set key with a list of values
//	"train.lr" = [0.001, 0.0005]
//
//	[slurm]                                # defaults of sru sweep -slurm (flags override)
//	time = "04:00:00"
//	mem = "4G"
//	cpus_per_task = 2
//	parallel = 20                          # at most this many array tasks at once (%P)
//	partition = ""
//	account = ""
//	extra = ["--qos=normal"]               # more #SBATCH options, verbatim
//
// Expansion order (the task index of a run): experiments in the order listed (a glob's matches
// sorted), then folds, then seeds, then the axes sorted by key, the last key varying fastest;
// the values of an axis keep the order listed. Reordering the keys of [axes] therefore changes
// nothing; reordering experiments or the values of an axis changes task indices but not ids.
// The id of a run is a hash of the experiment path as written and the run's overrides (sorted),
// so the same file gives the same ids, in any order, on any machine.
package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gosru/gosru/experiments"
)

// Sweep is a sweep file, decoded.
type Sweep struct {
	// File is the path the sweep was read from.
	File        string
	Name        string         `toml:"name"`
	Dir         string         `toml:"dir"`
	Experiments []string       `toml:"experiments"`
	Folds       any            `toml:"folds"`
	Seeds       []int64        `toml:"seeds"`
	Set         []string       `toml:"set"`
	Axes        map[string]any `toml:"axes"`
	Slurm       Slurm          `toml:"slurm"`

	text string
}

// Slurm holds the job-array settings of a sweep file.
type Slurm struct {
	Time        string   `toml:"time"`
	Mem         string   `toml:"mem"`
	CPUsPerTask int      `toml:"cpus_per_task"`
	Parallel    int      `toml:"parallel"`
	Partition   string   `toml:"partition"`
	Account     string   `toml:"account"`
	Extra       []string `toml:"extra"`
}

// Run is one expanded run of a sweep.
type Run struct {
	// Index is the run's task index (0-based, the Slurm array index).
	Index int
	// ID is the stable id: 8 hex digits of a hash of Experiment and Sets (and Fold).
	ID string
	// Name is readable: the experiment's name, fold, seed and axis values, then the id.
	Name string
	// Dir is the run directory, under the sweep directory.
	Dir string
	// Experiment is the experiment file as listed (after glob expansion).
	Experiment string
	// Sets are the -set overrides of the run: the sweep's set, then seed and the axes.
	Sets []string
	// Fold is the fold of the run, or -1 when the experiment has no folds.
	Fold int
}

// Load reads and checks a sweep file.
func Load(path string) (*Sweep, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return Parse(path, text)
}

// Parse decodes sweep text strictly; file names the source in errors.
func Parse(file string, text []byte) (*Sweep, error) {
	s := &Sweep{File: file, text: string(text)}
	md, err := toml.Decode(s.text, s)
	if err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		if k[0] == "axes" && len(k) > 1 { // a dotted key under [axes] without quotes
			return nil, s.errorf(strings.Join(k[1:], "."), "axis %s: quote a dotted key (\"%s\" = [...])", k.String(), strings.Join(k[1:], "."))
		}
		return nil, s.errorf(k[len(k)-1], "unknown key %s", k.String())
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if s.Dir == "" {
		s.Dir = filepath.Join("runs", "sweeps", s.Name)
	}
	if len(s.Experiments) == 0 {
		return nil, s.errorf("experiments", "experiments: name at least one experiment file")
	}
	for _, seed := range s.Seeds {
		if seed < 0 {
			return nil, s.errorf("seeds", "seeds: want seeds of 0 or more, got %d", seed)
		}
	}
	if _, _, err := s.folds(); err != nil {
		return nil, err
	}
	for _, k := range s.axisKeys() {
		if k == "seed" {
			return nil, s.errorf(k, "axis seed: use seeds = [...]")
		}
		if _, err := axisValues(s.Axes[k]); err != nil {
			return nil, s.errorf(k, "axis %s: %v", k, err)
		}
	}
	if s.Slurm.Parallel < 0 || s.Slurm.CPUsPerTask < 0 {
		return nil, s.errorf("slurm", "slurm: parallel and cpus_per_task must not be negative")
	}
	return s, nil
}

// errorf makes an error that names the file and the line of key.
func (s *Sweep) errorf(key, format string, args ...any) error {
	return fmt.Errorf("sweep: %s:%d: %s", s.File, keyLine(s.text, key), fmt.Sprintf(format, args...))
}

// keyLine is the first line that sets key (bare or quoted), else the first line.
func keyLine(text, key string) int {
	for i, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		for _, k := range []string{key, strconv.Quote(key), "[" + key + "]"} {
			if rest, ok := strings.CutPrefix(l, k); ok {
				rest = strings.TrimSpace(rest)
				if rest == "" || strings.HasPrefix(rest, "=") {
					return i + 1
				}
			}
		}
	}
	return 1
}

// folds returns the sweep's folds: all (every fold the task declares), a list, or neither.
func (s *Sweep) folds() (all bool, list []int, err error) {
	switch v := s.Folds.(type) {
	case nil:
		return false, nil, nil
	case string:
		if v == "all" {
			return true, nil, nil
		}
	case []any:
		for _, x := range v {
			k, ok := x.(int64)
			if !ok || k < 0 {
				return false, nil, s.errorf("folds", "folds: want \"all\" or a list of fold numbers, got %v", s.Folds)
			}
			list = append(list, int(k))
		}
		if len(list) == 0 {
			break
		}
		return false, list, nil
	}
	return false, nil, s.errorf("folds", "folds: want \"all\" or a list of fold numbers, got %v", s.Folds)
}

func (s *Sweep) axisKeys() []string {
	keys := make([]string, 0, len(s.Axes))
	for k := range s.Axes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// axisValues turns an axis's list into -set values (TOML literals).
func axisValues(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("want a non-empty list of values, got %v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		lit, err := literal(x)
		if err != nil {
			return nil, err
		}
		out[i] = lit
	}
	return out, nil
}

// literal writes a decoded TOML value back as TOML.
func literal(x any) (string, error) {
	switch v := x.(type) {
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		f := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eIN") {
			f += ".0"
		}
		return f, nil
	case bool:
		return strconv.FormatBool(v), nil
	case string:
		return strconv.Quote(v), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			p, err := literal(e)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("unsupported value %v (%T)", x, x)
}

// experimentFiles expands the globs of experiments, in order, each glob's matches sorted.
func (s *Sweep) experimentFiles() ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, pat := range s.Experiments {
		matches := []string{pat}
		if strings.ContainsAny(pat, "*?[") {
			m, err := filepath.Glob(pat)
			if err != nil {
				return nil, s.errorf("experiments", "experiments: %s: %v", pat, err)
			}
			if len(m) == 0 {
				return nil, s.errorf("experiments", "experiments: %s matches no file", pat)
			}
			sort.Strings(m)
			matches = m
		}
		for _, f := range matches {
			f = filepath.ToSlash(filepath.Clean(f))
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

// Expand lists the runs of the sweep, in task order. Every run's experiment is loaded with its
// overrides and checked, so a bad axis or fold is reported here, naming it.
func (s *Sweep) Expand() ([]Run, error) {
	files, err := s.experimentFiles()
	if err != nil {
		return nil, err
	}
	allFolds, foldList, err := s.folds()
	if err != nil {
		return nil, err
	}
	keys := s.axisKeys()
	values := make([][]string, len(keys))
	for i, k := range keys {
		values[i], _ = axisValues(s.Axes[k]) // checked by Parse
	}
	var runs []Run
	ids := map[string]string{}
	for _, file := range files {
		base, err := experiments.Load(file, s.Set)
		if err != nil {
			return nil, s.errorf("set", "%v", err)
		}
		for i, k := range keys { // a bad axis, named before the runs are crossed
			if _, err := experiments.Load(file, append(append([]string{}, s.Set...), k+"="+values[i][0])); err != nil {
				return nil, s.errorf(k, "axis %s: %v", k, err)
			}
		}
		folds := base.Folds()
		switch {
		case allFolds:
			folds = base.WithFold(-1).Folds()
			if len(folds) == 0 {
				return nil, s.errorf("folds", "folds = \"all\": %s (task %s) declares no folds", file, base.Task)
			}
		case foldList != nil:
			folds = foldList
		}
		seeds := s.Seeds
		if len(seeds) == 0 {
			seeds = []int64{-1}
		}
		for _, fold := range orNone(folds) {
			for _, seed := range seeds {
				sets := append([]string{}, s.Set...)
				if seed >= 0 {
					sets = append(sets, fmt.Sprintf("seed=%d", seed))
				}
				err := cross(keys, values, func(axis []string) error {
					r := Run{Index: len(runs), Experiment: file, Sets: append(append([]string{}, sets...), axis...), Fold: fold}
					exp, err := r.Load()
					if err != nil {
						return s.errorf("experiments", "%s: %v", r.describe(), err)
					}
					r.ID = runID(file, r.Sets, fold)
					if prev, dup := ids[r.ID]; dup {
						return s.errorf("experiments", "%s and %s are the same run", prev, r.describe())
					}
					ids[r.ID] = r.describe()
					r.Name = runName(exp.Name, fold, seed, keys, axis, r.ID)
					r.Dir = filepath.Join(s.Dir, r.Name)
					runs = append(runs, r)
					return nil
				})
				if err != nil {
					return nil, err
				}
			}
		}
	}
	return runs, nil
}

func orNone(folds []int) []int {
	if len(folds) == 0 {
		return []int{-1}
	}
	return folds
}

// cross calls f with every combination of the axes' "key=value" overrides, the last key fastest.
func cross(keys []string, values [][]string, f func([]string) error) error {
	axis := make([]string, len(keys))
	var rec func(i int) error
	rec = func(i int) error {
		if i == len(keys) {
			return f(append([]string{}, axis...))
		}
		for _, v := range values[i] {
			axis[i] = keys[i] + "=" + v
			if err := rec(i + 1); err != nil {
				return err
			}
		}
		return nil
	}
	return rec(0)
}

// Load resolves the run's experiment: the file, its overrides and its fold.
func (r *Run) Load() (*experiments.Experiment, error) {
	exp, err := experiments.Load(r.Experiment, r.Sets)
	if err != nil {
		return nil, err
	}
	if r.Fold >= 0 {
		exp = exp.WithFold(r.Fold)
		if err := exp.Validate(); err != nil {
			return nil, fmt.Errorf("fold %d: %w", r.Fold, err)
		}
	}
	return exp, nil
}

func (r *Run) describe() string {
	d := r.Experiment
	if r.Fold >= 0 {
		d += fmt.Sprintf(" fold %d", r.Fold)
	}
	if len(r.Sets) > 0 {
		d += " -set " + strings.Join(r.Sets, " -set ")
	}
	return d
}

// runID hashes the experiment path and the sorted overrides (the fold among them).
func runID(file string, sets []string, fold int) string {
	keys := append([]string{}, sets...)
	if fold >= 0 {
		keys = append(keys, fmt.Sprintf("fold=%d", fold))
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", file)
	for _, k := range keys {
		fmt.Fprintf(h, "%s\n", k)
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// runName is <experiment>[_f<fold>][_s<seed>][_<key>=<value>]..._<id>, safe as a file name.
func runName(exp string, fold int, seed int64, keys, axis []string, id string) string {
	var b strings.Builder
	b.WriteString(exp)
	if fold >= 0 {
		fmt.Fprintf(&b, "_f%d", fold)
	}
	if seed >= 0 {
		fmt.Fprintf(&b, "_s%d", seed)
	}
	for i, kv := range axis {
		k := keys[i]
		if j := strings.LastIndex(k, "."); j >= 0 {
			k = k[j+1:]
		}
		_, v, _ := strings.Cut(kv, "=")
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		fmt.Fprintf(&b, "_%s=%s", k, v)
	}
	b.WriteString("_" + id)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._-=+", r):
			return r
		}
		return '-'
	}, b.String())
}
