// Package experiments is the experiment schema of gosru (defaults in Go, TOML files override
// them) and the strict loader of the *.toml files beside it: unknown keys and wrong types are
// errors that name the file, the line and the key, and `-set section.key=value` overrides apply
// on top. It also builds the task an experiment names.
package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/tasks/lm"
	"github.com/gosru/gosru/train"
)

// Experiment is one experiment file, resolved.
type Experiment struct {
	// Name names the run directory runs/<name>/; it defaults to the file's base name.
	Name string `toml:"name"`
	// Task is the task to train: "classification" or "lm".
	Task string `toml:"task"`
	Seed uint64 `toml:"seed"`
	// Device is "cpu" (or "cuda" in a binary built with the cuda tag).
	Device string `toml:"device"`
	// Precision is "float32" (training) or "float64" (exact checks, slow).
	Precision string `toml:"precision"`
	// DataDir is the dataset directory; "" means $SRU_DATA, else ./data.
	DataDir string `toml:"data_dir"`
	// RunsDir is where run directories go.
	RunsDir string `toml:"runs_dir"`

	Train          train.Config          `toml:"train"`
	Classification classification.Config `toml:"classification"`
	LM             lm.Config             `toml:"lm"`
}

// Default is the experiment every file starts from.
func Default() Experiment {
	return Experiment{Task: "classification", Seed: 1, Device: "cpu", Precision: "float32",
		RunsDir: "runs", Train: train.DefaultConfig(), Classification: classification.DefaultConfig(),
		LM: lm.DefaultConfig()}
}

// Tasks lists the task names an experiment may name.
var Tasks = []string{"classification", "lm"}

// Load reads an experiment file and applies the -set overrides ("section.key=value").
func Load(path string, sets []string) (*Experiment, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	e, err := Parse(path, text, sets)
	if err != nil {
		return nil, err
	}
	if e.Name == "" {
		e.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return e, nil
}

// Parse decodes experiment text strictly over the defaults; file names the source in errors.
func Parse(file string, text []byte, sets []string) (*Experiment, error) {
	e := Default()
	if err := decodeStrict(file, string(text), &e); err != nil {
		return nil, err
	}
	for _, s := range sets {
		if err := applySet(&e, s); err != nil {
			return nil, err
		}
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", file, err)
	}
	return &e, nil
}

var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeStrict decodes text into e and turns unknown keys and type errors into errors that
// name the file, the line and the key.
func decodeStrict(file, text string, e *Experiment) error {
	md, err := toml.Decode(text, e)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.LastKey != "" {
				msg = fmt.Sprintf("key %s: %s", pe.LastKey, msg)
			}
			return fmt.Errorf("experiments: %s:%d: %s", file, pe.Position.Line, msg)
		}
		// Type mismatches come as plain errors: "toml: line N (last key "K"): message".
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("experiments: %s:%s: key %s: %s", file, m[1], m[2], m[3])
		}
		return fmt.Errorf("experiments: %s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0]
		return fmt.Errorf("experiments: %s:%d: unknown key %s", file, keyLine(text, key), key.String())
	}
	return nil
}

// keyLine finds the line that sets key (a dotted path) in TOML text: the line of the last
// part's assignment inside the table of the leading parts, or of the table header itself.
func keyLine(text string, key toml.Key) int {
	table := ""
	want := strings.Join(key[:len(key)-1], ".")
	last := key[len(key)-1]
	for i, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") {
			name := strings.Trim(l, "[] \t")
			if j := strings.Index(name, "]"); j >= 0 {
				name = name[:j]
			}
			table = strings.TrimSpace(name)
			if table == key.String() {
				return i + 1
			}
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		full := k
		if table != "" {
			full = table + "." + k
		}
		if full == key.String() || (table == want && k == last) {
			return i + 1
		}
	}
	return 0
}

// applySet applies one "section.key=value" override. The value is read as a TOML value
// (numbers, booleans, strings in quotes, arrays); anything that does not parse as one is taken
// as a bare string.
func applySet(e *Experiment, set string) error {
	path, value, ok := strings.Cut(set, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return fmt.Errorf("experiments: -set %q: want section.key=value", set)
	}
	parts := strings.Split(path, ".")
	doc := func(v string) string {
		var b strings.Builder
		if len(parts) > 1 {
			fmt.Fprintf(&b, "[%s]\n", strings.Join(parts[:len(parts)-1], "."))
		}
		fmt.Fprintf(&b, "%s = %s\n", parts[len(parts)-1], v)
		return b.String()
	}
	value = strings.TrimSpace(value)
	text := doc(value)
	var probe map[string]any
	if _, err := toml.Decode(text, &probe); err != nil {
		text = doc(fmt.Sprintf("%q", value))
	}
	md, err := toml.Decode(text, e)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("experiments: -set %s: %s", set, pe.Message)
		}
		return fmt.Errorf("experiments: -set %s: %w", set, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("experiments: -set %s: unknown key %s", set, und[0].String())
	}
	return nil
}

// Validate checks the experiment as a whole.
func (e *Experiment) Validate() error {
	known := false
	for _, t := range Tasks {
		known = known || t == e.Task
	}
	switch {
	case !known:
		return fmt.Errorf("task must be one of %v, got %q", Tasks, e.Task)
	case e.Device != "cpu" && e.Device != "cuda":
		return fmt.Errorf("device must be \"cpu\" or \"cuda\", got %q", e.Device)
	case e.Precision != "float32" && e.Precision != "float64":
		return fmt.Errorf("precision must be \"float32\" or \"float64\", got %q", e.Precision)
	}
	if err := e.Train.Validate(); err != nil {
		return err
	}
	switch e.Task {
	case "classification":
		return e.Classification.Validate()
	case "lm":
		return e.LM.Validate()
	}
	return nil
}

// TOML is the resolved experiment as TOML (written to the run directory as config.toml).
func (e *Experiment) TOML() (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(e); err != nil {
		return "", fmt.Errorf("experiments: encode: %w", err)
	}
	return b.String(), nil
}
