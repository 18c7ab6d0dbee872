package main

import (
	"fmt"

	"github.com/gosru/gosru/report"
)

func init() {
	register(&command{
		name:    "report",
		summary: "draw learning curves of runs: validation metric against training time, training loss",
		run:     runReport,
	})
}

const reportUsage = `report --out DIR [flags] RUN_DIR_OR_GLOB...

Reads metrics.jsonl of each run (finished or not) and draws, one panel per dataset and one line
per run coloured by model (SRU, LSTM, CNN):
  DIR/valid_vs_time.{png,svg}  the validation metric against training time (evaluation
                               excluded), as in the paper's Figure 3 (or steps)
  DIR/loss.{png,svg}           the training loss against training time (or steps)
An argument is a run directory, a directory of runs or a glob. Flags may come before or after
the runs.`

func runReport(e *env, args []string) error {
	fs := newFlags(e, "report", reportUsage)
	out := fs.String("out", "", "write the figures into `DIR` (created when missing; required)")
	format := fs.String("format", "both", "figure format: png, svg or both")
	metric := fs.String("metric", "", "validation metric to draw (default: each run's selection metric)")
	lossX := fs.String("loss-x", "time", "x axis of the loss figure: time (training seconds) or steps")
	validX := fs.String("valid-x", "time", "x axis of the validation figure: time (training seconds) or steps (for runs that shared a machine)")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("name at least one run directory or glob")
	}
	if *out == "" {
		return usagef("--out DIR is required")
	}
	formats, err := report.Formats(*format)
	if err != nil {
		return usagef("--format %q: want png, svg or both", *format)
	}
	if *lossX != "time" && *lossX != "steps" {
		return usagef("--loss-x %q: want time or steps", *lossX)
	}
	if *validX != "time" && *validX != "steps" {
		return usagef("--valid-x %q: want time or steps", *validX)
	}
	dirs, err := report.FindRuns(paths)
	if err != nil {
		return err
	}
	runs, skipped, err := report.ReadAllCurves(dirs, *metric)
	if err != nil {
		return err
	}
	written, more, err := report.WriteFigures(runs, report.FigureOptions{Dir: *out, Formats: formats, LossBySteps: *lossX == "steps",
		ValidBySteps: *validX == "steps"})
	for _, c := range runs {
		if c.Warning != "" {
			fmt.Fprintf(e.stderr, "warning: %s\n", c.Warning)
		}
	}
	for _, s := range append(skipped, more...) {
		fmt.Fprintf(e.stderr, "skipped %s: %s\n", s.Dir, s.Reason)
	}
	for _, w := range written {
		fmt.Fprintf(e.stderr, "wrote %s\n", w)
	}
	return err
}
