package report

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/gosru/gosru/train"
)

// Curves are one run's learning curves, read from its metrics.jsonl.
type Curves struct {
	Dir, Dataset, Model string
	// Experiment is the run's experiment: summary.json's, else the name of the run
	// directory's parent (runs/<experiment>/<run-id>).
	Experiment string
	// Metric is the validation metric in Valid: the run's selection metric unless asked for
	// another.
	Metric string
	// Valid holds the validation evaluations; Loss the training loss events (each the mean
	// loss since the one before).
	Valid, Loss []Point
	// Warning is set when metrics.jsonl ended in a torn line (left out).
	Warning string
}

// Point is one event: its step, its training time (evaluation excluded) and its value.
type Point struct {
	Step    int
	Seconds float64
	Value   float64
}

// ReadAllCurves reads the curves of each run directory; runs without metrics.jsonl (not
// started, or not runs of this program) are returned as skipped.
func ReadAllCurves(dirs []string, metric string) ([]*Curves, []Skipped, error) {
	var runs []*Curves
	var skipped []Skipped
	for _, d := range dirs {
		c, err := ReadCurves(d, metric)
		if errors.Is(err, fs.ErrNotExist) {
			skipped = append(skipped, Skipped{Dir: d, Reason: "no " + train.MetricsFile})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, c)
	}
	return runs, skipped, nil
}

// ReadCurves reads a run's curves; metric "" takes the run's selection metric from
// summary.json, or for an unfinished run guesses it from the validation events.
func ReadCurves(dir, metric string) (*Curves, error) {
	events, warning, err := train.ReadEventsWarn(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: %s: no %s: %w", dir, train.MetricsFile, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	s, err := readSummary(dir)
	if err != nil {
		return nil, err
	}
	c := &Curves{Dir: dir, Metric: metric, Warning: warning, Experiment: experimentOf(dir)}
	if s != nil {
		if s.Experiment != "" {
			c.Experiment = s.Experiment
		}
		c.Dataset, c.Model = identify(s.Experiment, s.Labels)
		if c.Metric == "" {
			c.Metric = s.Selection
		}
	} else {
		c.Dataset, c.Model = identify(c.Experiment, nil)
	}
	if c.Metric == "" {
		c.Metric = guessMetric(events)
	}
	for _, e := range events {
		switch {
		case e.Event == "train":
			c.Loss = append(c.Loss, Point{Step: e.Step, Seconds: e.TrainSeconds, Value: e.Loss})
		case e.Event == "eval" && e.Split == "valid":
			if v, ok := e.Metrics[c.Metric]; ok {
				c.Valid = append(c.Valid, Point{Step: e.Step, Seconds: e.TrainSeconds, Value: v})
			}
		}
	}
	return c, nil
}

// guessMetric picks the validation metric of a run that has not said (no summary yet): the one
// metric besides the loss, else a usual selection metric, else the first by name.
func guessMetric(events []train.Event) string {
	var names []string
	for _, e := range events {
		if e.Event != "eval" || e.Split != "valid" {
			continue
		}
		for k := range e.Metrics {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "loss" })
	if len(others) == 1 {
		return others[0]
	}
	for _, usual := range []string{"accuracy", "perplexity", "f1", "bleu", "wer"} {
		if slices.Contains(others, usual) {
			return usual
		}
	}
	if len(others) > 0 {
		return others[0]
	}
	if len(names) > 0 {
		return names[0] // the loss alone
	}
	return ""
}
