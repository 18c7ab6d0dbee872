package experiments

import (
	"fmt"
	"os"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/tasks/lm"
	"github.com/gosru/gosru/train"
)

// DataPath is the dataset directory of the experiment: data_dir, else $SRU_DATA, else ./data.
func (e *Experiment) DataPath() string {
	if e.DataDir != "" {
		return e.DataDir
	}
	if d := os.Getenv("SRU_DATA"); d != "" {
		return d
	}
	return "data"
}

// Folds lists the cross-validation folds the experiment asks for: all ten when a
// classification experiment on a cross-validated dataset says fold = -1, else its one fold.
func (e *Experiment) Folds() []int {
	if e.Task == "classification" && e.Classification.Fold == -1 {
		folds := make([]int, classification.NumFolds)
		for i := range folds {
			folds[i] = i
		}
		return folds
	}
	return []int{e.Classification.Fold}
}

// WithFold returns a copy of the experiment for one fold.
func (e *Experiment) WithFold(k int) *Experiment {
	c := *e
	c.Classification.Fold = k
	return &c
}

// NewTask builds the experiment's task on dev, with labels describing the run.
func NewTask[T kernels.Float](e *Experiment, dev kernels.Device[T]) (train.Task[T], map[string]string, error) {
	switch e.Task {
	case "lm":
		t, err := lm.New(e.LM, e.DataPath(), dev, e.Seed)
		if err != nil {
			return nil, nil, err
		}
		return t, t.Labels(), nil
	case "classification":
		t, err := classification.New(e.Classification, e.DataPath(), dev, e.Seed)
		if err != nil {
			return nil, nil, err
		}
		return t, t.Labels(), nil
	}
	return nil, nil, fmt.Errorf("experiments: unknown task %q", e.Task)
}
