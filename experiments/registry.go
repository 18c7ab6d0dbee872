package experiments

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"sync"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

// TaskSpec is what a task package registers (from its init, with Register): its name, its
// section of the experiment file (the config type C and its defaults), how to check it, how
// one experiment stands for several runs (folds), and how to build the task on a device.
type TaskSpec[C any] struct {
	// Name is the task's name: the value of `task = "..."` and the name of its [section].
	// Lower case letters, digits and underscores.
	Name string
	// Summary is one line for listings.
	Summary string
	// Default returns the section's defaults; a file (and -set) overrides only what it names.
	// C is a struct with toml tags: unknown keys and wrong types in the section are errors that
	// name the file, the line and the key, as for the common keys.
	Default func() C
	// Validate reports the first impossible setting of the section.
	Validate func(C) error
	// Folds, when set, lists the runs an experiment stands for (classification's fold = -1:
	// all ten folds); nil or empty means one run. WithFold returns the section of fold k.
	// Both or neither are set.
	Folds    func(C) []int
	WithFold func(c C, k int) C
	// New32 and New64 build the task on a device of each precision. They are usually one
	// generic function instantiated twice: New32: newTask[float32], New64: newTask[float64].
	New32 func(c C, env Env, dev kernels.Device[float32]) (train.Task[float32], error)
	New64 func(c C, env Env, dev kernels.Device[float64]) (train.Task[float64], error)
	// Labels describe a run for comparisons (copied into summary.json). When nil, a task that
	// has a method Labels() map[string]string gives them. "task" is always set to Name.
	Labels func(C) map[string]string
}

// Env is what a task's constructor gets from the experiment besides its own section.
type Env struct {
	// DataDir is the dataset directory: data_dir, else $SRU_DATA, else ./data.
	DataDir string
	// Seed seeds the model's initialisation (the loop seeds its own RNG from it too).
	Seed uint64
}

// registered is a TaskSpec with its config type erased: sections are held as *C in an any.
type registered struct {
	name, summary string
	typ           reflect.Type // *C
	newSection    func() any
	validate      func(any) error
	folds         func(any) []int
	withFold      func(any, int) any
	new32         func(any, Env, kernels.Device[float32]) (train.Task[float32], error)
	new64         func(any, Env, kernels.Device[float64]) (train.Task[float64], error)
	labels        func(any) map[string]string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*registered{}
	taskName   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// commonKeys are the top-level keys of Experiment; no task may take their names.
	commonKeys = map[string]bool{"name": true, "task": true, "seed": true, "device": true,
		"precision": true, "data_dir": true, "runs_dir": true, "train": true}
)

// Register adds a task. It panics on a programmer error: a bad or duplicate name, a missing
// function, or a section type that is not a struct.
func Register[C any](s TaskSpec[C]) {
	switch {
	case !taskName.MatchString(s.Name) || commonKeys[s.Name]:
		panic(fmt.Sprintf("experiments: Register: bad task name %q", s.Name))
	case s.Default == nil || s.Validate == nil || s.New32 == nil || s.New64 == nil:
		panic(fmt.Sprintf("experiments: Register %s: Default, Validate, New32 and New64 are required", s.Name))
	case (s.Folds == nil) != (s.WithFold == nil):
		panic(fmt.Sprintf("experiments: Register %s: Folds and WithFold go together", s.Name))
	case reflect.TypeFor[C]().Kind() != reflect.Struct:
		panic(fmt.Sprintf("experiments: Register %s: the section type %v is not a struct", s.Name, reflect.TypeFor[C]()))
	}
	r := &registered{
		name: s.Name, summary: s.Summary, typ: reflect.TypeFor[*C](),
		newSection: func() any { c := s.Default(); return &c },
		validate:   func(a any) error { return s.Validate(*a.(*C)) },
		new32: func(a any, env Env, dev kernels.Device[float32]) (train.Task[float32], error) {
			return s.New32(*a.(*C), env, dev)
		},
		new64: func(a any, env Env, dev kernels.Device[float64]) (train.Task[float64], error) {
			return s.New64(*a.(*C), env, dev)
		},
	}
	if s.Folds != nil {
		r.folds = func(a any) []int { return s.Folds(*a.(*C)) }
		r.withFold = func(a any, k int) any { c := s.WithFold(*a.(*C), k); return &c }
	}
	if s.Labels != nil {
		r.labels = func(a any) map[string]string { return s.Labels(*a.(*C)) }
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[s.Name]; dup {
		panic("experiments: task " + s.Name + " registered twice")
	}
	registry[s.Name] = r
}

// Tasks lists the registered task names, sorted.
func Tasks() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TaskSummary is the one-line summary a registered task gave, and whether it is registered.
func TaskSummary(name string) (string, bool) {
	r := lookup(name)
	if r == nil {
		return "", false
	}
	return r.summary, true
}

func lookup(name string) *registered {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return registry[name]
}

// Section returns the active task's section of e as its config type C (false when the
// experiment's task has another type).
func Section[C any](e *Experiment) (C, bool) {
	p, ok := e.Section.(*C)
	if !ok || p == nil {
		var zero C
		return zero, false
	}
	return *p, true
}

// sectionValue wraps a section *C in a one-field struct whose toml tag is the task's name, so
// that the TOML package decodes and encodes [name] with it (and reports lines and keys).
func sectionValue(name string, section any) reflect.Value {
	typ := reflect.StructOf([]reflect.StructField{{Name: "Section", Type: reflect.TypeOf(section),
		Tag: reflect.StructTag(`toml:"` + name + `"`)}})
	w := reflect.New(typ)
	w.Elem().Field(0).Set(reflect.ValueOf(section))
	return w
}

// NewTask builds the experiment's task on dev, with labels describing the run.
func NewTask[T kernels.Float](e *Experiment, dev kernels.Device[T]) (train.Task[T], map[string]string, error) {
	r := lookup(e.Task)
	if r == nil {
		return nil, nil, fmt.Errorf("experiments: unknown task %q (registered: %v)", e.Task, Tasks())
	}
	if reflect.TypeOf(e.Section) != r.typ {
		return nil, nil, fmt.Errorf("experiments: the [%s] section is a %T, want %v", e.Task, e.Section, r.typ)
	}
	env := Env{DataDir: e.DataPath(), Seed: e.Seed}
	var task train.Task[T]
	switch d := any(dev).(type) {
	case kernels.Device[float32]:
		t, err := r.new32(e.Section, env, d)
		if err != nil {
			return nil, nil, err
		}
		task = any(t).(train.Task[T])
	case kernels.Device[float64]:
		t, err := r.new64(e.Section, env, d)
		if err != nil {
			return nil, nil, err
		}
		task = any(t).(train.Task[T])
	}
	labels := map[string]string{}
	var given map[string]string
	if r.labels != nil {
		given = r.labels(e.Section)
	} else if l, ok := task.(interface{ Labels() map[string]string }); ok {
		given = l.Labels()
	}
	for k, v := range given {
		labels[k] = v
	}
	labels["task"] = e.Task
	return task, labels, nil
}
