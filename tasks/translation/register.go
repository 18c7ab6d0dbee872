package translation

import (
	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

func init() {
	experiments.Register(experiments.TaskSpec[Config]{
		Name:     "translation",
		Summary:  "machine translation (Multi30K En→De, newstest2014), BLEU",
		Default:  DefaultConfig,
		Validate: Config.Validate,
		New32:    newTask[float32],
		New64:    newTask[float64],
	})
}

func newTask[T kernels.Float](c Config, env experiments.Env, dev kernels.Device[T]) (train.Task[T], error) {
	t, err := New(c, env.DataDir, dev, env.Seed)
	if err != nil {
		return nil, err
	}
	return t, nil
}
