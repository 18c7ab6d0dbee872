package lm

import (
	"fmt"
	"slices"

	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/sru"
)

// Datasets lists the corpora: Mikolov's word-level Penn Treebank.
var Datasets = []string{"ptb"}

// Models lists the recurrent layers.
var Models = []string{"sru", "lstm"}

// Config is the [lm] section of an experiment. Defaults live in DefaultConfig.
type Config struct {
	// Dataset is one of Datasets.
	Dataset string `toml:"dataset"`
	// Model is "sru" or "lstm".
	Model string `toml:"model"`
	// BatchSize is the number of parallel streams the training corpus is cut into.
	BatchSize int `toml:"batch_size"`
	// EvalBatchSize is the number of streams of the valid and test splits (the paper: 1).
	EvalBatchSize int `toml:"eval_batch_size"`
	// Unroll is the length of a truncated back-propagation window.
	Unroll       int `toml:"unroll"`
	EmbeddingDim int `toml:"embedding_dim"`
	Hidden       int `toml:"hidden"`
	Layers       int `toml:"layers"`
	// TieWeights makes the softmax weight the embedding table (embedding_dim must equal hidden).
	TieWeights bool `toml:"tie_weights"`
	// Dropout is applied to the embeddings and to the softmax input.
	Dropout float64 `toml:"dropout"`
	// RNNDropout is the recurrent layer's own dropout: for the SRU both its dropout (on h
	// between layers) and its rnn_dropout (on each layer's input), as train_lm.py sets them; for
	// the LSTM the dropout between layers.
	RNNDropout float64 `toml:"rnn_dropout"`
	// SumOverTime scales the gradient to that of the official loss, the NLL summed over the
	// window and averaged over the streams (train_lm.py), which lr = 1 is tuned for; false
	// gives the per-token mean's gradient. The logged training loss is the per-token mean
	// either way.
	SumOverTime bool `toml:"sum_over_time"`

	SRU SRUOptions `toml:"sru"`
}

// SRUOptions are the SRU's options beyond sizes and dropout (see sru.Config).
type SRUOptions struct {
	UseTanh     bool    `toml:"use_tanh"`
	HighwayBias float64 `toml:"highway_bias"`
	V1          bool    `toml:"v1"`
	Rescale     bool    `toml:"rescale"`
	LayerNorm   bool    `toml:"layer_norm"`
}

// DefaultConfig is the paper's PTB setup (asappresearch/sru language_model/train_lm.py): 6 SRU
// layers of 910 units in the 2017 form with identity activation and highway bias −3, tied
// embeddings, dropout 0.7 on embeddings and softmax input and 0.2 inside the SRU, batches of 32
// streams unrolled 35 steps. Evaluation runs 10 streams, which is faster; the paper's protocol
// is one (eval_batch_size = 1, as the experiment files set it).
func DefaultConfig() Config {
	return Config{
		Dataset: "ptb", Model: "sru", BatchSize: 32, EvalBatchSize: 10, Unroll: 35,
		EmbeddingDim: 910, Hidden: 910, Layers: 6, TieWeights: true,
		Dropout: 0.7, RNNDropout: 0.2, SumOverTime: true,
		SRU: SRUOptions{HighwayBias: -3, V1: true},
	}
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(Datasets, c.Dataset):
		return fmt.Errorf("lm: dataset must be one of %v, got %q", Datasets, c.Dataset)
	case !slices.Contains(Models, c.Model):
		return fmt.Errorf("lm: model must be one of %v, got %q", Models, c.Model)
	case c.BatchSize <= 0 || c.EvalBatchSize <= 0:
		return fmt.Errorf("lm: batch_size and eval_batch_size must be positive, got %d and %d", c.BatchSize, c.EvalBatchSize)
	case c.Unroll <= 0:
		return fmt.Errorf("lm: unroll must be positive, got %d", c.Unroll)
	case c.EmbeddingDim <= 0 || c.Hidden <= 0 || c.Layers <= 0:
		return fmt.Errorf("lm: embedding_dim, hidden and layers must be positive")
	case c.TieWeights && c.EmbeddingDim != c.Hidden:
		return fmt.Errorf("lm: tie_weights needs embedding_dim == hidden, got %d and %d", c.EmbeddingDim, c.Hidden)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("lm: dropout must be in [0, 1), got %g", c.Dropout)
	case c.RNNDropout < 0 || c.RNNDropout >= 1:
		return fmt.Errorf("lm: rnn_dropout must be in [0, 1), got %g", c.RNNDropout)
	}
	var err error
	if c.Model == "sru" {
		err = c.sruConfig().Validate()
	} else {
		err = c.lstmConfig().Validate()
	}
	if err != nil {
		return fmt.Errorf("lm: %w", err)
	}
	return nil
}

func (c Config) sruConfig() sru.Config {
	o := c.SRU
	return sru.Config{
		InputSize: c.EmbeddingDim, HiddenSize: c.Hidden, NumLayers: c.Layers,
		Dropout: c.RNNDropout, RNNDropout: c.RNNDropout, UseTanh: o.UseTanh, HighwayBias: o.HighwayBias,
		HasSkipTerm: true, Rescale: o.Rescale, V1: o.V1, LayerNorm: o.LayerNorm,
	}
}

func (c Config) lstmConfig() lstm.Config {
	return lstm.Config{InputSize: c.EmbeddingDim, HiddenSize: c.Hidden, NumLayers: c.Layers, Dropout: c.RNNDropout}
}
