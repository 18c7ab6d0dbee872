// Package encoder builds the recurrent encoder a task's config names: "sru" (sru.SRU) or
// "lstm" (lstm.LSTM), both nn.Encoder. Tasks hold an nn.Encoder and never switch on the kind
// themselves; a task that also offers a non-recurrent encoder (the Kim CNN of classification)
// handles that kind before calling New.
package encoder

import (
	"fmt"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// Kinds lists the encoders New builds.
var Kinds = []string{"sru", "lstm"}

// Config names the encoder and holds the options of each kind; only the named kind's are
// read.
type Config struct {
	Kind string
	SRU  sru.Config
	LSTM lstm.Config
}

// Validate reports the first impossible setting of the named kind.
func (c Config) Validate() error {
	switch c.Kind {
	case "sru":
		return c.SRU.Validate()
	case "lstm":
		return c.LSTM.Validate()
	}
	return fmt.Errorf("encoder: unknown kind %q (want one of %v)", c.Kind, Kinds)
}

// New creates the encoder's parameters in ps (named with prefix) and initialises them from
// rng as the kind's own constructor does.
func New[T kernels.Float](ps *nn.Params[T], prefix string, cfg Config, rng *rand.Rand) (nn.Encoder[T], error) {
	switch cfg.Kind {
	case "sru":
		s, err := sru.New(ps, prefix, cfg.SRU, rng)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "lstm":
		l, err := lstm.New(ps, prefix, cfg.LSTM, rng)
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	return nil, fmt.Errorf("encoder: unknown kind %q (want one of %v)", cfg.Kind, Kinds)
}

// ConcatLayers returns the outputs of every layer joined along the feature axis, [L, B,
// layers·OutputSize] (DrQA's concat_layers); layers is the slice Encode filled.
func ConcatLayers[T kernels.Float](g *nn.Graph[T], layers []*nn.Tensor[T]) *nn.Tensor[T] {
	if len(layers) == 1 {
		return layers[0]
	}
	return g.Concat(layers...)
}
