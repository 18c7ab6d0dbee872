package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

func init() {
	register(&command{name: "predict", summary: "write a run's predictions for a split (tasks that predict)", run: runPredict})
}

const predictUsage = `predict RUN_DIR [-split valid|test] [-checkpoint best|latest|FILE] [-out FILE] [-beam N] [-length-penalty none|average|gnmt] [-alpha F] [-set section.key=value]...

Loads the run's config.toml and a checkpoint (best, else the latest), and writes the task's
predictions for the split in its own format: SQuAD answers as the official JSON object,
translations and transcripts one per line. A task that does not predict (classification,
language modelling) says so; 'sru eval' gives its metrics. -set changes a setting of the
run's config for this prediction only (decoding options, e.g. -set translation.beam=5
-set translation.length_penalty=gnmt -set translation.alpha=0.6, or the same as -beam 5
-length-penalty gnmt -alpha 0.6).`

func runPredict(e *env, args []string) error {
	dir, rest := splitPositional(args)
	fs := newFlags(e, "predict", predictUsage)
	split := fs.String("split", "", "split to predict: valid or test (default: test, or valid for a task whose reported set is valid, as SQuAD's dev)")
	which := fs.String("checkpoint", "best", "best, latest, or a checkpoint file")
	out := fs.String("out", "", "write the predictions to this file (default: stdout)")
	var sets setFlags
	fs.Var(&sets, "set", "override a setting for this prediction, e.g. -set translation.beam=5 (repeatable)")
	beam := fs.String("beam", "", "beam size (1: greedy) of a task that decodes with a beam; short for -set <task>.beam=N")
	penalty := fs.String("length-penalty", "", "length penalty of the beam (translation: none, average, gnmt); short for -set <task>.length_penalty=S")
	alpha := fs.String("alpha", "", "α of the GNMT length penalty; short for -set <task>.alpha=F")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return usagef("which run directory? (e.g. sru predict runs/<experiment>/<run-id>)")
	}
	config := filepath.Join(dir, train.ConfigFile)
	exp, err := experiments.Load(config, sets)
	if err != nil {
		return err
	}
	// The decoding shorthands are settings of the run's own task section.
	short := append(setFlags{}, sets...)
	for _, f := range []struct{ flag, key, value string }{{"beam", "beam", *beam}, {"length-penalty", "length_penalty", *penalty}, {"alpha", "alpha", *alpha}} {
		if f.value == "" {
			continue
		}
		short = append(short, exp.Task+"."+f.key+"="+f.value)
		if _, err := experiments.Load(config, short); err != nil {
			return fmt.Errorf("-%s: %w", f.flag, err)
		}
	}
	if len(short) > len(sets) {
		if exp, err = experiments.Load(config, short); err != nil {
			return err
		}
	}
	path, ck, err := readRunCheckpoint(dir, *which)
	if err != nil {
		return err
	}
	name := *split
	if name == "" {
		name = "the reported split"
	}
	fmt.Fprintf(e.stderr, "predicting %s with %s (epoch %d, step %d)\n", name, path, ck.Epoch, ck.Step)
	if exp.Precision == "float64" {
		return predictOn[float64](e, exp, ck, *split, *out)
	}
	return predictOn[float32](e, exp, ck, *split, *out)
}

func predictOn[T kernels.Float](e *env, exp *experiments.Experiment, ck *train.Checkpoint, split, out string) (err error) {
	dev, err := openDevice[T](exp.Device)
	if err != nil {
		return err
	}
	defer closeDevice(dev, &err)
	fmt.Fprintf(e.stderr, "device: %s\n", dev.Name())
	task, _, err := experiments.NewTask(exp, dev)
	if err != nil {
		return err
	}
	if _, ok := task.(train.Predictor); !ok {
		return fmt.Errorf("task %q does not write predictions ('sru eval' gives its metrics)", exp.Task)
	}
	if out == "" {
		err = train.Predict(task, ck, split, e.stdout)
	} else {
		err = writeFileAtomic(out, func(w io.Writer) error { return train.Predict(task, ck, split, w) })
	}
	if d, ok := task.(decodeTimer); ok && err == nil {
		if n, s := d.DecodeTiming(); n > 0 && s > 0 {
			fmt.Fprintf(e.stderr, "decoded %d sentences in %.2f s (%.1f sentences/s)\n", n, s, float64(n)/s)
		}
	}
	return err
}

// decodeTimer is a task that times its decoding (translation): the model's time alone.
type decodeTimer interface {
	DecodeTiming() (sentences int, seconds float64)
}

// writeFileAtomic writes a file through write into a temporary file beside it, renamed over
// path only when write succeeds.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
