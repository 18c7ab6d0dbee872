// Package experiments is the experiment schema of gosru (defaults in Go, TOML files override
// them) and the strict loader of the *.toml files beside it: unknown keys and wrong types are
// errors that name the file, the line and the key, and `-set section.key=value` overrides apply
// on top. Tasks register themselves (Register, from their package's init) with their section
// of the file and their constructor; NewTask builds the task an experiment names.
package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gosru/gosru/train"
)

// Experiment is one experiment file, resolved: the keys common to every task, the [train]
// section, and the section of the task it names, decoded by that task's registration.
type Experiment struct {
	// Name names the run directory runs/<name>/; it defaults to the file's base name.
	Name string `toml:"name"`
	// Task is the task to train, one of Tasks() (the task packages register themselves).
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

	Train train.Config `toml:"train"`
	// Section is the task's [<task>] section: a *C of the config type C its TaskSpec
	// registered (read it with Section[C]).
	Section any `toml:"-"`
}

// Default is the experiment every file starts from, before its task is known.
func Default() Experiment {
	return Experiment{Seed: 1, Device: "cpu", Precision: "float32", RunsDir: "runs", Train: train.DefaultConfig()}
}

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
// The section of every registered task the text names is decoded (strictly) by that task's
// config type, so -set task=... may switch tasks; the experiment keeps the active task's.
func Parse(file string, text []byte, sets []string) (*Experiment, error) {
	e := Default()
	sections := map[string]any{}
	if err := decodeStrict(file, string(text), &e, sections); err != nil {
		return nil, err
	}
	for _, s := range sets {
		if err := applySet(&e, sections, s); err != nil {
			return nil, err
		}
	}
	r := lookup(e.Task)
	switch {
	case e.Task == "":
		return nil, fmt.Errorf("experiments: %s: no task: set task to one of %v", file, Tasks())
	case r == nil:
		return nil, fmt.Errorf("experiments: %s: task must be one of %v, got %q", file, Tasks(), e.Task)
	}
	for _, s := range sets {
		path, _, _ := strings.Cut(s, "=")
		if name, _, dotted := strings.Cut(strings.TrimSpace(path), "."); dotted && name != e.Task && lookup(name) != nil {
			return nil, fmt.Errorf("experiments: -set %s: the experiment trains task %q, not %s", s, e.Task, name)
		}
	}
	e.Section = sections[e.Task]
	if e.Section == nil {
		e.Section = r.newSection()
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", file, err)
	}
	return &e, nil
}

// CheckSections rejects, in an experiment file a user wrote, the section of a registered task
// other than the one the file trains: it would be silently ignored. (Parse accepts them: the
// config.toml of runs written before tasks registered themselves holds every task's section.)
func CheckSections(file string, text []byte) error {
	var head struct {
		Task string `toml:"task"`
	}
	md, err := toml.Decode(string(text), &head)
	if err != nil || head.Task == "" {
		return nil // Parse reports it
	}
	for _, name := range Tasks() {
		if name != head.Task && md.IsDefined(name) {
			return fmt.Errorf("experiments: %s:%d: a [%s] section in an experiment of task %q would be ignored (remove it, or set task = %q)",
				file, keyLine(string(text), toml.Key{name}), name, head.Task, name)
		}
	}
	return nil
}

// section returns the section of a registered task in sections, made from its defaults on
// first use.
func section(sections map[string]any, r *registered) any {
	if sections[r.name] == nil {
		sections[r.name] = r.newSection()
	}
	return sections[r.name]
}

var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// setTypeErr is the TOML decoder's message for a value of the wrong type.
var setTypeErr = regexp.MustCompile(`^incompatible types: TOML value has type (\w+); destination has type (\w+)$`)

// article puts "a" or "an" before a type name.
func article(typ string) string {
	switch typ {
	case "int64":
		typ = "integer"
	case "float64":
		typ = "float"
	}
	if strings.ContainsRune("aeiou", rune(typ[0])) {
		return "an " + typ
	}
	return "a " + typ
}

// decodeStrict decodes text into e and into the section of each registered task it names, and
// turns unknown keys and type errors into errors that name the file, the line and the key.
func decodeStrict(file, text string, e *Experiment, sections map[string]any) error {
	md, err := toml.Decode(text, e)
	if err != nil {
		return decodeError(file, err)
	}
	var unknown []toml.Key
	for _, key := range md.Undecoded() {
		if lookup(key[0]) == nil {
			unknown = append(unknown, key)
		}
	}
	for _, name := range Tasks() {
		if !md.IsDefined(name) {
			continue
		}
		smd, err := toml.Decode(text, sectionValue(name, section(sections, lookup(name))).Interface())
		if err != nil {
			return decodeError(file, err)
		}
		for _, key := range smd.Undecoded() {
			if key[0] == name {
				unknown = append(unknown, key)
			}
		}
	}
	if len(unknown) > 0 {
		first, line := unknown[0], keyLine(text, unknown[0])
		for _, key := range unknown[1:] {
			if l := keyLine(text, key); l < line {
				first, line = key, l
			}
		}
		return fmt.Errorf("experiments: %s:%d: unknown key %s", file, line, first.String())
	}
	return nil
}

// decodeError names the file, the line and the key of a TOML syntax or type error.
func decodeError(file string, err error) error {
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

// applySet applies one "section.key=value" override (the section may be a registered task's).
// The value is read as a TOML value (numbers, booleans, strings in quotes, arrays); anything
// that does not parse as one is taken as a bare string.
func applySet(e *Experiment, sections map[string]any, set string) error {
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
	var target any = e
	if r := lookup(parts[0]); r != nil && len(parts) > 1 {
		target = sectionValue(r.name, section(sections, r)).Interface()
	}
	md, err := toml.Decode(text, target)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("experiments: -set %s: %s", set, pe.Message)
		}
		// Type mismatches name the line of the little document made of the override.
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			msg := m[3]
			if t := setTypeErr.FindStringSubmatch(msg); t != nil {
				msg = fmt.Sprintf("%s takes %s, not %s", path, article(t[2]), article(t[1]))
			}
			return fmt.Errorf("experiments: -set %s: %s", set, msg)
		}
		return fmt.Errorf("experiments: -set %s: %w", set, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("experiments: -set %s: unknown key %s", set, und[0].String())
	}
	return nil
}

// Validate checks the experiment as a whole: the common keys, [train] and the task's section.
func (e *Experiment) Validate() error {
	r := lookup(e.Task)
	switch {
	case r == nil:
		return fmt.Errorf("task must be one of %v, got %q", Tasks(), e.Task)
	case reflect.TypeOf(e.Section) != r.typ:
		return fmt.Errorf("the [%s] section is a %T, want %v", e.Task, e.Section, r.typ)
	case e.Device != "cpu" && e.Device != "cuda":
		return fmt.Errorf("device must be \"cpu\" or \"cuda\", got %q", e.Device)
	case e.Precision != "float32" && e.Precision != "float64":
		return fmt.Errorf("precision must be \"float32\" or \"float64\", got %q", e.Precision)
	}
	if err := e.Train.Validate(); err != nil {
		return err
	}
	return r.validate(e.Section)
}

// TOML is the resolved experiment as TOML (written to the run directory as config.toml): the
// common keys, [train], and the active task's section.
func (e *Experiment) TOML() (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(e); err != nil {
		return "", fmt.Errorf("experiments: encode: %w", err)
	}
	if e.Section != nil {
		b.WriteString("\n")
		if err := toml.NewEncoder(&b).Encode(sectionValue(e.Task, e.Section).Interface()); err != nil {
			return "", fmt.Errorf("experiments: encode [%s]: %w", e.Task, err)
		}
	}
	return b.String(), nil
}
