package train

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gosru/gosru/kernels"
)

// ErrNoPredictor is returned (wrapped) by Predict for a task that does not write predictions.
var ErrNoPredictor = errors.New("the task does not write predictions (it implements no train.Predictor)")

// evaluateSplit is the task's metrics on a split: Evaluate's, plus the scores of its own
// predictions when the task is a Scorer.
func evaluateSplit[T kernels.Float](task Task[T], split string) (Metrics, error) {
	m, err := task.Evaluate(split)
	if err != nil {
		return nil, err
	}
	sc, ok := task.(Scorer)
	if !ok {
		return m, nil
	}
	var buf bytes.Buffer
	if err := sc.Predict(split, &buf); err != nil {
		return nil, fmt.Errorf("train: predict %s: %w", split, err)
	}
	scores, err := sc.Score(split, &buf)
	if err != nil {
		return nil, fmt.Errorf("train: score %s: %w", split, err)
	}
	if m == nil {
		m = Metrics{}
	}
	for k, v := range scores {
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("train: the task's Evaluate and Score both give %q", k)
		}
		m[k] = v
	}
	return m, nil
}

// Predict loads a checkpoint's parameters into the task and writes its predictions for a split
// to w (`sru predict`).
func Predict[T kernels.Float](task Task[T], ck *Checkpoint, split string, w io.Writer) error {
	p, ok := task.(Predictor)
	if !ok {
		return fmt.Errorf("train: %w", ErrNoPredictor)
	}
	if split == "" { // the reported split: test, or valid where that is the reported set (SQuAD)
		split = "test"
		if !slices.Contains(task.Splits(), split) && slices.Contains(task.Splits(), "valid") {
			split = "valid"
		}
	}
	if !slices.Contains(task.Splits(), split) {
		return fmt.Errorf("train: the task has no %q split (it has %v)", split, task.Splits())
	}
	if err := restoreParams(task.Params(), ck.Params); err != nil {
		return err
	}
	if err := restoreTaskState(task, ck); err != nil {
		return err
	}
	return p.Predict(split, w)
}
