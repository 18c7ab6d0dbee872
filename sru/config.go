// Package sru is the Simple Recurrent Unit layer (Lei et al. 2017/2018) with every option of the
// official `SRU(...)` module and its exact semantics, on any kernels.Device.
//
// Per layer: U = X'·W for all L·B rows in one matrix product (X' = the layer input after the
// optional pre layer norm, variational input dropout and projection), then one fused recurrence
// kernel over every direction and column (kernels.SRUKernels). The backward is the fused reverse
// recurrence, then the matrix products. Shapes: x is [L, B, D_in] (time-major), h is
// [L, B, out] with out = hidden·directions, c is [layers, B, out].
package sru

import (
	"fmt"
	"math"
)

// Config mirrors the keyword arguments of the official SRU module.
type Config struct {
	InputSize  int `toml:"input_size"`
	HiddenSize int `toml:"hidden_size"` // per direction
	NumLayers  int `toml:"num_layers"`
	// Dropout is the variational dropout on h of every layer but the last (unless DropoutTop),
	// applied inside the recurrence: h = x' + (g(c) − x')·mask·r.
	Dropout float64 `toml:"dropout"`
	// DropoutTop applies Dropout to the last layer's h too (an extension: the official module
	// never drops it, but a stack of official SRUCell modules, each given the dropout, does, as
	// the SRU repository's DrQA builds its encoders).
	DropoutTop bool `toml:"dropout_top"`
	// RNNDropout is a variational dropout mask on each layer's input to the matrix product.
	RNNDropout float64 `toml:"rnn_dropout"`
	// KeepFirstInput leaves the first layer's input out of RNNDropout (an extension: the
	// official module drops every layer's input). With Dropout 0 the masks are then between
	// layers only, where an LSTM's dropout is, and every layer's h is handed on unmasked.
	KeepFirstInput bool `toml:"keep_first_input"`
	Bidirectional  bool `toml:"bidirectional"`
	// ProjectionSize factorises W = W_proj·W with this inner width, on the layers where it is
	// smaller than both the layer's input and output widths (as the official module does).
	ProjectionSize int  `toml:"projection_size"`
	UseTanh        bool `toml:"use_tanh"`
	// LayerNorm normalises each layer's input (pre-norm), or its output h with NormalizeAfter.
	LayerNorm      bool    `toml:"layer_norm"`
	NormalizeAfter bool    `toml:"normalize_after"`
	HighwayBias    float64 `toml:"highway_bias"`
	// ForgetBias initialises the forget gate's bias b_f (an extension: the official module
	// always starts it at 0). A positive value makes every cell start out keeping most of its
	// state (f ≈ σ(b_f)), as the forget-bias trick of LSTMs does.
	ForgetBias  float64 `toml:"forget_bias"`
	HasSkipTerm bool    `toml:"has_skip_term"`
	// Rescale scales the skip term by α = sqrt(1 + 2·e^highway_bias).
	Rescale bool `toml:"rescale"`
	// V1 is the 2017 form: no c_{t-1} terms in the gates (weight_c fixed at zero).
	V1 bool `toml:"v1"`
}

// DefaultConfig returns the official module's defaults for the given sizes.
func DefaultConfig(inputSize, hiddenSize int) Config {
	return Config{InputSize: inputSize, HiddenSize: hiddenSize, NumLayers: 2, HasSkipTerm: true}
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.InputSize <= 0:
		return fmt.Errorf("sru: input_size must be positive, got %d", c.InputSize)
	case c.HiddenSize <= 0:
		return fmt.Errorf("sru: hidden_size must be positive, got %d", c.HiddenSize)
	case c.NumLayers <= 0:
		return fmt.Errorf("sru: num_layers must be positive, got %d", c.NumLayers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("sru: dropout must be in [0, 1), got %g", c.Dropout)
	case c.RNNDropout < 0 || c.RNNDropout >= 1:
		return fmt.Errorf("sru: rnn_dropout must be in [0, 1), got %g", c.RNNDropout)
	case c.ProjectionSize < 0:
		return fmt.Errorf("sru: projection_size must be >= 0, got %d", c.ProjectionSize)
	case c.NormalizeAfter && !c.LayerNorm:
		return fmt.Errorf("sru: normalize_after needs layer_norm")
	}
	return nil
}

// Dirs is 2 when bidirectional, else 1.
func (c Config) Dirs() int {
	if c.Bidirectional {
		return 2
	}
	return 1
}

// OutputSize is the width of h: hidden_size × directions.
func (c Config) OutputSize() int { return c.HiddenSize * c.Dirs() }

// Alpha is the skip-term scale of the official scale_x buffer: sqrt(1 + 2·e^highway_bias) when
// rescale is on (with a skip term), else 1. The official buffer is single precision in every
// mode, so the value is rounded to float32 as there (it matters at float64 accuracy).
func (c Config) Alpha() float64 {
	if c.Rescale && c.HasSkipTerm {
		return float64(float32(math.Sqrt(1 + 2*math.Exp(c.HighwayBias))))
	}
	return 1
}
