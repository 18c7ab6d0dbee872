// Package train is the one training loop of gosru: every task (classification, language
// modelling, SQuAD, speech, translation) supplies batches, a model, a loss and its metrics
// through Task, and this package runs the steps, evaluation, model selection, early stopping,
// learning-rate schedule, clipping, checkpoints, resume, the metrics log and the progress bar.
package train

import (
	"io"
	"math/rand/v2"

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

// The optional capabilities below are interfaces a task may implement besides Task; the loop
// detects them with type assertions.

// Stateful is implemented by tasks that carry state from one batch to the next (the hidden
// state of a language model across truncated back-propagation windows). The state is saved in
// checkpoints so that resuming inside an epoch continues exactly.
type Stateful interface {
	// StartEpoch resets the carried state at the start of an epoch.
	StartEpoch()
	SaveState() ([]byte, error)
	LoadState([]byte) error
}

// EpochBeginner is implemented by tasks that redo part of their data at the start of every
// epoch with the run's RNG: re-bucketing examples into batches by a token budget, say.
// BeginEpoch runs before the loop draws the epoch's batch order, and NumBatches may change in
// it. It must depend only on the task's data, epoch (0-based) and what it draws from rng.
//
// Resume: checkpoints hold the RNG state from just before BeginEpoch. A run resumed inside an
// epoch calls BeginEpoch again for that epoch with an RNG restored to that state (a copy: the
// run's RNG continues where it stopped), so the task rebuilds exactly the batches the
// checkpoint's batch order and cursor refer to. A run resumed at an epoch boundary calls it
// once, as an uninterrupted run does.
type EpochBeginner interface {
	BeginEpoch(epoch int, rng *rand.Rand) error
}

// Predictor is implemented by tasks that write their predictions for a split ("valid" or
// "test") with the current parameters, in the task's output format: SQuAD answers as the
// official JSON object (question id → answer text), translations or transcripts one per line
// in the order of the split's examples. Like Evaluate it must not use the run's RNG. `sru
// predict` runs it on a checkpoint (see Predict).
type Predictor interface {
	Predict(split string, w io.Writer) error
}

// Scorer is implemented by predicting tasks whose official metric is computed from their
// predictions (SQuAD exact match and F1, BLEU, word error rate). Wherever a split is
// evaluated (validation during training, the final test, `sru eval`), the loop calls Evaluate,
// then Predict into memory and Score on what it wrote, and merges the scores into the split's
// Metrics: they are logged in metrics.jsonl, written to summary.json, and may be the
// selection metric. Score and Evaluate must not give a metric of the same name.
//
// A task may as well compute the metric inside Evaluate; Scorer ties it to exactly the text
// `sru predict` writes, so that the official evaluation script run on that file agrees.
type Scorer interface {
	Predictor
	Score(split string, predictions io.Reader) (Metrics, error)
}

// BatchLoader is implemented by tasks whose training batches do not fit the upload-once
// pattern and are prepared on the host every step (tokenising, padding, masks). The loop calls
// LoadBatch from a goroutine, Config.Prefetch batches ahead of the step that uses them (0:
// synchronously, in the step), and passes its result to BatchLoss instead of calling Loss.
// The result is the same either way, so:
//   - LoadBatch(i) must depend only on i and the task's data (and on what BeginEpoch set,
//     which runs before loading starts for an epoch); it must not touch the device, a graph
//     or the run's RNG, and it runs concurrently with BatchLoss and Evaluate of other batches.
//   - At most Prefetch+2 loaded batches exist at once (one in a step, the rest queued or being
//     loaded), so a loader may reuse a ring of that many host buffers.
//
// An error from LoadBatch stops the run (with the batch, epoch and step named); an
// interruption stops the loading goroutine before Train returns.
type BatchLoader[T kernels.Float] interface {
	LoadBatch(i int) (batch any, err error)
	BatchLoss(g *nn.Graph[T], i int, batch any) (loss *nn.Tensor[T], items int, err error)
}

// DataFiles is an optional capability: a task that reads files of the data directory lists
// them (paths relative to the data directory, slash-separated), and the run records their
// sha256 in data.json. Without it, the run records the files that the dataset registry lists
// for the task's dataset label.
type DataFiles interface {
	DataFiles() []string
}
