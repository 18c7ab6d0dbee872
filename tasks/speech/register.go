package speech

import (
	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/train"
)

func init() {
	experiments.Register(experiments.TaskSpec[Config]{
		Name:     "speech",
		Summary:  "speech recognition with CTC (connected and isolated FSDD digits, Kaldi yesno): a substitute for the paper's Switchboard",
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
