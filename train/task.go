// Package train is the one training loop of gosru: every task (classification, language
// modelling, SQuAD, speech, translation) supplies batches, a model, a loss and its metrics
// through Task, and this package runs the steps, evaluation, model selection, early stopping,
// learning-rate schedule, clipping, checkpoints, resume, the metrics log and the progress bar.
package train

import (
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Metrics are the named results of one evaluation (e.g. "accuracy", "loss", "ppl").
type Metrics map[string]float64

// Task is what a task gives the loop. The loop owns the order of batches, the RNG, the
// optimizer and the graph; the task owns its data and model.
type Task[T kernels.Float] interface {
	// Params are the model's parameters (the checkpointed and optimized set).
	Params() *nn.Params[T]
	// NumBatches is the number of training batches in one epoch.
	NumBatches() int
	// Shuffle says whether the loop permutes the batch order every epoch (with the run's RNG).
	// A task that streams (language modelling) returns false.
	Shuffle() bool
	// Loss builds the forward pass of training batch i (0 ≤ i < NumBatches) on g, whose
	// Training flag is set and whose RNG is the run's, and returns the scalar loss and how
	// many items (examples or tokens) the batch holds, for throughput.
	Loss(g *nn.Graph[T], i int) (loss *nn.Tensor[T], items int, err error)
	// Evaluate computes metrics on a split ("valid" or "test") with the current parameters.
	// It must not use the run's RNG (evaluation is deterministic).
	Evaluate(split string) (Metrics, error)
	// Selection names the validation metric that picks the best model and early-stops, and
	// whether higher is better (accuracy) or lower (perplexity).
	Selection() (metric string, higherIsBetter bool)
	// Splits lists the evaluation splits the task has: "valid" for selection (when absent the
	// last epoch's model is kept) and "test" for the final result.
	Splits() []string
}

// Stateful is implemented by tasks that carry state from one batch to the next (the hidden
// state of a language model across truncated back-propagation windows). The state is saved in
// checkpoints so that resuming inside an epoch continues exactly.
type Stateful interface {
	// StartEpoch resets the carried state at the start of an epoch.
	StartEpoch()
	SaveState() ([]byte, error)
	LoadState([]byte) error
}
