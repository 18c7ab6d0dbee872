package train

import "fmt"

// Config is the [train] section of an experiment. Defaults live in DefaultConfig; a TOML file
// overrides only what it names.
type Config struct {
	Epochs int `toml:"epochs"`
	// MaxSteps stops after this many optimizer steps in all (0: no limit).
	MaxSteps int `toml:"max_steps"`
	// Optimizer is "adam", "sgd" or "adamax" (torch.optim.Adamax, DrQA's optimizer; it takes
	// beta1, beta2, adam_eps and weight_decay like Adam).
	Optimizer   string  `toml:"optimizer"`
	LR          float64 `toml:"lr"`
	Momentum    float64 `toml:"momentum"`
	Nesterov    bool    `toml:"nesterov"`
	WeightDecay float64 `toml:"weight_decay"`
	Beta1       float64 `toml:"beta1"`
	Beta2       float64 `toml:"beta2"`
	AdamEps     float64 `toml:"adam_eps"`
	// ClipGradNorm clips the global gradient norm (0: off).
	ClipGradNorm float64 `toml:"clip_grad_norm"`
	// LRSchedule is how the learning rate changes (see schedule.go):
	//   - "epoch_decay" (default; "" means it too): lr *= lr_decay at the end of every epoch once lr_decay_start
	//     epochs are done (lr_decay 1: constant);
	//   - "plateau" (OpenNMT-py's classic SGD schedule): decay starts at the end of the first
	//     epoch whose validation metric (the task's Selection, in its direction) is not better
	//     than the previous epoch's, or once lr_decay_start epochs are done when lr_decay_start
	//     > 0; from then on lr *= lr_decay at the end of every epoch. Needs lr_decay < 1;
	//   - "warmup_rsqrt" (Noam): before optimizer step s (counting from 1),
	//     lr = lr_base·min(s/lr_warmup_steps, sqrt(lr_warmup_steps/s)): a linear warm-up to
	//     lr_base at step lr_warmup_steps, then inverse square-root decay. Needs lr_decay = 1.
	LRSchedule string `toml:"lr_schedule"`
	// LRDecay is the factor of the epoch_decay and plateau schedules (1: constant).
	LRDecay float64 `toml:"lr_decay"`
	// LRDecayStart is the number of epochs after which decay begins (epoch_decay), or after
	// which it begins even without a plateau (plateau; 0: only on a plateau).
	LRDecayStart int `toml:"lr_decay_start"`
	// LRWarmupSteps is the warm-up length of the warmup_rsqrt schedule.
	LRWarmupSteps int `toml:"lr_warmup_steps"`
	// EvalEverySteps evaluates on the validation split every N steps as well as at the end of
	// each epoch (0: per epoch only).
	EvalEverySteps int `toml:"eval_every_steps"`
	// Patience stops after this many evaluations without a better validation metric (0: off).
	Patience int `toml:"patience"`
	// CheckpointEverySteps also writes a checkpoint inside epochs (0: at epoch ends only).
	CheckpointEverySteps int `toml:"checkpoint_every_steps"`
	// KeepLast is how many recent checkpoints to keep besides the best one.
	KeepLast int `toml:"keep_last"`
	// LogEverySteps writes a training event to metrics.jsonl every N steps.
	LogEverySteps int `toml:"log_every_steps"`
	// Prefetch is how many batches ahead a task that loads its batches on the host
	// (BatchLoader) has them loaded, in a goroutine beside the steps (0: in the step itself).
	Prefetch int `toml:"prefetch"`
}

// DefaultConfig is the loop's defaults: Adam 1e-3 (PyTorch's betas and eps), 10 epochs.
func DefaultConfig() Config {
	return Config{Epochs: 10, Optimizer: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999,
		AdamEps: 1e-8, LRSchedule: "epoch_decay", LRDecay: 1, KeepLast: 2, LogEverySteps: 50, Prefetch: 2}
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.Epochs <= 0 && c.MaxSteps <= 0:
		return fmt.Errorf("train: epochs or max_steps must be positive")
	case c.Optimizer != "adam" && c.Optimizer != "sgd" && c.Optimizer != "adamax":
		return fmt.Errorf("train: optimizer must be \"adam\", \"sgd\" or \"adamax\", got %q", c.Optimizer)
	case c.LR <= 0:
		return fmt.Errorf("train: lr must be positive, got %g", c.LR)
	case c.LRDecay <= 0:
		return fmt.Errorf("train: lr_decay must be positive, got %g", c.LRDecay)
	case c.LRSchedule != "" && c.LRSchedule != "epoch_decay" && c.LRSchedule != "plateau" && c.LRSchedule != "warmup_rsqrt":
		return fmt.Errorf("train: lr_schedule must be \"epoch_decay\", \"plateau\" or \"warmup_rsqrt\", got %q", c.LRSchedule)
	case c.LRSchedule == "plateau" && c.LRDecay >= 1:
		return fmt.Errorf("train: lr_schedule \"plateau\" needs lr_decay < 1, got %g", c.LRDecay)
	case c.LRSchedule == "warmup_rsqrt" && c.LRWarmupSteps < 1:
		return fmt.Errorf("train: lr_schedule \"warmup_rsqrt\" needs lr_warmup_steps >= 1, got %d", c.LRWarmupSteps)
	case c.LRSchedule == "warmup_rsqrt" && c.LRDecay != 1:
		return fmt.Errorf("train: lr_schedule \"warmup_rsqrt\" takes no lr_decay, got %g", c.LRDecay)
	case c.LRDecayStart < 0 || c.LRWarmupSteps < 0:
		return fmt.Errorf("train: lr_decay_start and lr_warmup_steps must be >= 0")
	case c.ClipGradNorm < 0:
		return fmt.Errorf("train: clip_grad_norm must be >= 0, got %g", c.ClipGradNorm)
	case c.KeepLast < 1:
		return fmt.Errorf("train: keep_last must be at least 1, got %d", c.KeepLast)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("train: momentum must be in [0, 1), got %g", c.Momentum)
	case c.Prefetch < 0:
		return fmt.Errorf("train: prefetch must be >= 0, got %d", c.Prefetch)
	case c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("train: beta1 and beta2 must be in [0, 1)")
	}
	return nil
}
