package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/tasks/lm"
	"github.com/gosru/gosru/train"
)

func init() {
	register(&command{name: "generate", summary: "sample text from a trained language model run", run: runGenerate})
}

const generateUsage = `generate RUN_DIR [--words N] [--temperature T] [--seed S] [--prime "text"]

Loads the run's config.toml and its best checkpoint (else the latest), then samples words from
the language model, feeding each back with the recurrent state carried, and prints the text on
stdout (<eos> is a line break). The training data is read for the vocabulary.`

func runGenerate(e *env, args []string) error {
	dir, rest := splitPositional(args)
	fs := newFlags(e, "generate", generateUsage)
	words := fs.Int("words", 100, "number of words to sample")
	temperature := fs.Float64("temperature", 1, "softmax temperature (0: always the most likely word)")
	seed := fs.Uint64("seed", 1, "seed of the sampler")
	prime := fs.String("prime", "", "text the model reads before sampling (default: the start of a sentence)")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return usagef("which run directory? (e.g. sru generate runs/ptb_sru_cpu/<run-id>)")
	}
	if *words < 0 || *temperature < 0 {
		return usagef("--words and --temperature must be >= 0")
	}
	exp, err := experiments.Load(filepath.Join(dir, train.ConfigFile), nil)
	if err != nil {
		return err
	}
	path := train.BestCheckpoint(dir)
	if _, err := os.Stat(path); err != nil {
		if path, err = train.LatestCheckpoint(dir); err != nil {
			return err
		}
	}
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "sampling from %s (epoch %d, step %d)\n", path, ck.Epoch, ck.Step)
	opts := lm.SampleOptions{Words: *words, Temperature: *temperature, Seed: *seed, Prime: *prime}
	if exp.Precision == "float64" {
		return generateOn[float64](e, exp, ck, opts)
	}
	return generateOn[float32](e, exp, ck, opts)
}

// sampler is a task that samples text (the language model).
type sampler interface {
	Generate(w io.Writer, opts lm.SampleOptions) error
}

func generateOn[T kernels.Float](e *env, exp *experiments.Experiment, ck *train.Checkpoint, opts lm.SampleOptions) (err error) {
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
	gen, ok := task.(sampler)
	if !ok {
		return fmt.Errorf("the run trains task %q, which does not sample text (a language model does)", exp.Task)
	}
	if err := train.LoadParams(task.Params(), ck); err != nil {
		return err
	}
	return gen.Generate(e.stdout, opts)
}
