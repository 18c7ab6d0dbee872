package classification

import (
	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

func init() {
	experiments.Register(experiments.TaskSpec[Config]{
		Name:     "classification",
		Summary:  "sentence classification (MR, SUBJ, CR, MPQA, TREC, SST): the paper's Table 1",
		Default:  DefaultConfig,
		Validate: Config.Validate,
		Folds:    folds,
		WithFold: func(c Config, k int) Config { c.Fold = k; return c },
		New32:    newTask[float32],
		New64:    newTask[float64],
	})
}

// folds is all ten folds when the section asks for them (fold = -1), else one run.
func folds(c Config) []int {
	if c.Fold != -1 {
		return nil
	}
	all := make([]int, NumFolds)
	for i := range all {
		all[i] = i
	}
	return all
}

func newTask[T kernels.Float](c Config, env experiments.Env, dev kernels.Device[T]) (train.Task[T], error) {
	t, err := New(c, env.DataDir, dev, env.Seed)
	if err != nil {
		return nil, err
	}
	return t, nil
}
