package experiments

import "os"

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

// Folds lists the runs the experiment stands for when it stands for several (classification's
// fold = -1: all ten folds), as its task's registration says; nil means one run.
func (e *Experiment) Folds() []int {
	if r := lookup(e.Task); r != nil && r.folds != nil {
		return r.folds(e.Section)
	}
	return nil
}

// WithFold returns a copy of the experiment for fold k of Folds.
func (e *Experiment) WithFold(k int) *Experiment {
	c := *e
	if r := lookup(e.Task); r != nil && r.withFold != nil {
		c.Section = r.withFold(e.Section, k)
	}
	return &c
}
