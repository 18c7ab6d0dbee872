package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/gosru/gosru/report"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "tabulate finished runs: test metric mean ± std and time per epoch, per dataset, model and settings",
		run:     runCompare,
	})
}

const compareUsage = `compare [flags] RUN_DIR_OR_GLOB...

Reads summary.json of each run and prints one table: a row per dataset, per model (SRU, LSTM,
CNN, others) its test selection metric as mean ± sample std over the runs (folds, seeds; n),
its median seconds per epoch and its time per epoch over SRU's on the same dataset.
An argument is a run directory, a directory of runs (runs/, runs/trec_sru/) or a glob.
Runs are grouped by their dataset and model labels (else by the experiment's name without
its model token: connected_sru_bi and connected_lstm_bi are dataset connected_bi), then by their settings (config.toml) without seed and fold: runs that
differ in another setting (e.g. train.epochs) get a row each, named by it, and a note on
stderr; so does a seed (and fold) that appears in more than one run of a group. Unfinished
runs (no summary.json) are listed on stderr as skipped.
Flags may come before or after the runs.`

func runCompare(e *env, args []string) error {
	fs := newFlags(e, "compare", compareUsage)
	markdown := fs.Bool("markdown", false, "print a GitHub markdown table (for docs/results/*.md) instead of aligned text")
	jsonOut := fs.String("json", "", "also write one JSON object per dataset and model to `FILE` (- for stdout; the table then goes to stderr)")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("name at least one run directory or glob")
	}
	dirs, err := report.FindRuns(paths)
	if err != nil {
		return err
	}
	t, err := report.Compare(dirs)
	if err != nil {
		return err
	}
	for _, s := range t.Skipped {
		fmt.Fprintf(e.stderr, "skipped %s: %s\n", s.Dir, s.Reason)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(e.stderr, "note: %s\n", n)
	}
	if len(t.Groups) == 0 {
		return fmt.Errorf("no finished runs among the %d found", len(dirs))
	}
	table := e.stdout
	switch *jsonOut {
	case "":
	case "-":
		table = e.stderr
		if err := t.WriteJSON(e.stdout); err != nil {
			return err
		}
	default:
		if err := writeFile(*jsonOut, t.WriteJSON); err != nil {
			return err
		}
	}
	if *markdown {
		return t.WriteMarkdown(table)
	}
	return t.WriteText(table)
}

// parseInterspersed parses flags placed anywhere among the positional arguments (sru compare
// runs/* --markdown) and returns the positional ones; after "--" all are positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errFlagParse
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
