package main

import (
	"fmt"
	"slices"

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
the runs.

With --panel all every run goes in one panel, its legend entry named by its experiment. In
either layout, runs of one model that share a panel get their own legend entries (experiment
names) and are told apart by dash pattern and marker shape; the colour stays the model's.

Runs that shared a machine have training times that cannot be compared: draw them by steps
(--valid-x steps, --loss-x steps), or give each run's step time measured alone (by a benchmark,
say), and every time axis becomes steps × that time:
  --step-seconds multi30k_sru_cpu=0.21,multi30k_lstm_cpu=0.57
NAME is a run's experiment name (summary.json's, else the run directory's parent); every run
drawn on a time axis needs an entry.`

func runReport(e *env, args []string) error {
	fs := newFlags(e, "report", reportUsage)
	out := fs.String("out", "", "write the figures into `DIR` (created when missing; required)")
	format := fs.String("format", "both", "figure format: png, svg or both")
	metric := fs.String("metric", "", "validation metric to draw (default: each run's selection metric)")
	lossX := fs.String("loss-x", "time", "x axis of the loss figure: time (training seconds) or steps")
	validX := fs.String("valid-x", "time", "x axis of the validation figure: time (training seconds) or steps (for runs that shared a machine)")
	panel := fs.String("panel", report.PanelByDataset, "panel layout: dataset (one panel per dataset) or all (every run in one panel)")
	stepSeconds := fs.String("step-seconds", "", "draw time axes as steps × measured step time: `NAME=S[,NAME=S...]`, S seconds per step of experiment NAME")
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
	if *panel != report.PanelByDataset && *panel != report.PanelAll {
		return usagef("--panel %q: want dataset or all", *panel)
	}
	var perStep map[string]float64
	if *stepSeconds != "" {
		if perStep, err = report.ParseStepSeconds(*stepSeconds); err != nil {
			return usagef("%v", err)
		}
	}
	dirs, err := report.FindRuns(paths)
	if err != nil {
		return err
	}
	runs, skipped, err := report.ReadAllCurves(dirs, *metric)
	if err != nil {
		return err
	}
	if len(perStep) > 0 && *lossX == "steps" && *validX == "steps" {
		fmt.Fprintf(e.stderr, "warning: --step-seconds has no effect: both figures are drawn against steps\n")
	}
	for _, name := range unusedStepSeconds(perStep, runs) {
		fmt.Fprintf(e.stderr, "warning: --step-seconds entry %s names no run drawn\n", name)
	}
	written, more, err := report.WriteFigures(runs, report.FigureOptions{Dir: *out, Formats: formats, LossBySteps: *lossX == "steps",
		ValidBySteps: *validX == "steps", Panel: *panel, StepSeconds: perStep})
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

// unusedStepSeconds lists, sorted, the --step-seconds names that are no run's experiment.
func unusedStepSeconds(perStep map[string]float64, runs []*report.Curves) []string {
	var unused []string
	for name := range perStep {
		if !slices.ContainsFunc(runs, func(c *report.Curves) bool { return c.Experiment == name }) {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	return unused
}
