package translation

import (
	"fmt"
	"slices"

	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/sru"
)

// Models lists the recurrent layers of the encoder and decoder.
var Models = []string{"sru", "lstm"}

// LengthPenalties lists the beam search length penalties: none (sum of log-probabilities),
// average (divided by the length) and gnmt ((5+|y|)^α / 6^α, Wu et al. 2016).
var LengthPenalties = []string{"none", "average", "gnmt"}

// Config is the [translation] section of an experiment. Defaults live in DefaultConfig.
type Config struct {
	// Source and Target are the languages of the pair ("en", "de"; Multi30K also has the
	// reverse direction).
	Source string `toml:"source"`
	Target string `toml:"target"`
	// ExtraSplits are evaluation splits besides valid and test that `sru eval` and `sru
	// predict` can name: test_2017_flickr, test_2017_mscoco, newstest2014 (en→de only).
	ExtraSplits []string `toml:"extra_splits"`
	// MaxTrainPairs keeps the first n training pairs (0: all).
	MaxTrainPairs int `toml:"max_train_pairs"`

	// BPEMerges is the number of merges of the joint source–target BPE vocabulary.
	BPEMerges int `toml:"bpe_merges"`
	// BPEMinFrequency is the least count of a character to get its own id (rarer ones are
	// spelled in bytes).
	BPEMinFrequency int `toml:"bpe_min_frequency"`
	// MaxLength drops training pairs with more subword tokens on either side (0: none).
	MaxLength int `toml:"max_length"`

	// Model is "sru" or "lstm" (encoder and decoder alike).
	Model string `toml:"model"`
	// InputFeed feeds the previous attentional state into the decoder's input (OpenNMT's
	// default for the LSTM). The decoder then runs one step at a time in training too; the
	// SRU model keeps it off so that the decoder runs as one sequence.
	InputFeed      bool    `toml:"input_feed"`
	EmbeddingDim   int     `toml:"embedding_dim"`
	Hidden         int     `toml:"hidden"`
	EncoderLayers  int     `toml:"encoder_layers"`
	DecoderLayers  int     `toml:"decoder_layers"`
	Dropout        float64 `toml:"dropout"`
	LabelSmoothing float64 `toml:"label_smoothing"`
	// TieEmbeddings makes the output projection the target embedding table (embedding_dim
	// must equal hidden).
	TieEmbeddings bool `toml:"tie_embeddings"`
	// HighwayBias is the SRU's highway gate bias.
	HighwayBias float64 `toml:"highway_bias"`

	// BatchTokens is the token budget of a training batch: sentences × the longest side
	// (padding included).
	BatchTokens int `toml:"batch_tokens"`
	// EvalBatchSize is the number of sentences decoded together.
	EvalBatchSize int `toml:"eval_batch_size"`
	// Beam is the beam size of predictions (1: greedy); LengthPenalty and Alpha choose the
	// ranking of finished hypotheses.
	Beam          int     `toml:"beam"`
	LengthPenalty string  `toml:"length_penalty"`
	Alpha         float64 `toml:"alpha"`
}

// DefaultConfig is OpenNMT-py's default attentional model at the paper's size: 2-layer
// bidirectional encoder and 2-layer decoder of 500 units, 500-d embeddings, dropout 0.3,
// label smoothing 0.1; greedy decoding for validation BLEU.
func DefaultConfig() Config {
	return Config{
		Source: "en", Target: "de", ExtraSplits: []string{"test_2017_flickr", "test_2017_mscoco", "newstest2014"},
		BPEMerges: 8000, BPEMinFrequency: 1, MaxLength: 100,
		Model: "sru", EmbeddingDim: 500, Hidden: 500, EncoderLayers: 2, DecoderLayers: 2,
		Dropout: 0.3, LabelSmoothing: 0.1,
		BatchTokens: 4096, EvalBatchSize: 64, Beam: 1, LengthPenalty: "none",
	}
}

var knownSplits = []string{"test_2017_flickr", "test_2017_mscoco", "newstest2014"}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.Source == "" || c.Target == "" || c.Source == c.Target:
		return fmt.Errorf("translation: source and target languages %q and %q", c.Source, c.Target)
	case !slices.Contains(Models, c.Model):
		return fmt.Errorf("translation: model must be one of %v, got %q", Models, c.Model)
	case c.BPEMerges < 0 || c.BPEMinFrequency < 1:
		return fmt.Errorf("translation: bpe_merges must be ≥ 0 and bpe_min_frequency ≥ 1")
	case c.EmbeddingDim <= 0 || c.Hidden <= 0 || c.EncoderLayers <= 0 || c.DecoderLayers <= 0:
		return fmt.Errorf("translation: embedding_dim, hidden, encoder_layers and decoder_layers must be positive")
	case c.Hidden%2 != 0:
		return fmt.Errorf("translation: hidden must be even (the bidirectional encoder gives hidden/2 per direction), got %d", c.Hidden)
	case c.TieEmbeddings && c.EmbeddingDim != c.Hidden:
		return fmt.Errorf("translation: tie_embeddings needs embedding_dim == hidden, got %d and %d", c.EmbeddingDim, c.Hidden)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("translation: dropout must be in [0, 1), got %g", c.Dropout)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("translation: label_smoothing must be in [0, 1), got %g", c.LabelSmoothing)
	case c.BatchTokens <= 0 || c.EvalBatchSize <= 0 || c.MaxTrainPairs < 0 || c.MaxLength < 0:
		return fmt.Errorf("translation: batch_tokens and eval_batch_size must be positive, max_train_pairs and max_length ≥ 0")
	case c.Beam < 1:
		return fmt.Errorf("translation: beam must be ≥ 1, got %d", c.Beam)
	case !slices.Contains(LengthPenalties, c.LengthPenalty):
		return fmt.Errorf("translation: length_penalty must be one of %v, got %q", LengthPenalties, c.LengthPenalty)
	case c.Alpha < 0:
		return fmt.Errorf("translation: alpha must be ≥ 0, got %g", c.Alpha)
	}
	for _, s := range c.ExtraSplits {
		if !slices.Contains(knownSplits, s) {
			return fmt.Errorf("translation: extra split %q is not one of %v", s, knownSplits)
		}
		if s == "newstest2014" && (c.Source != "en" || c.Target != "de") {
			return fmt.Errorf("translation: newstest2014 is staged for en→de only")
		}
	}
	for _, e := range []interface{ Validate() error }{c.encoderSRU(), c.decoderSRU(), c.encoderLSTM(), c.decoderLSTM()} {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("translation: %w", err)
		}
	}
	return nil
}

// decoderInput is the width of the decoder's input: the embedding, and with input feeding
// the previous attentional state.
func (c Config) decoderInput() int {
	if c.InputFeed {
		return c.EmbeddingDim + c.Hidden
	}
	return c.EmbeddingDim
}

func (c Config) encoderSRU() sru.Config {
	s := sru.DefaultConfig(c.EmbeddingDim, c.Hidden/2)
	s.NumLayers, s.Bidirectional, s.Dropout, s.HighwayBias = c.EncoderLayers, true, c.Dropout, c.HighwayBias
	return s
}

func (c Config) decoderSRU() sru.Config {
	s := sru.DefaultConfig(c.decoderInput(), c.Hidden)
	s.NumLayers, s.Dropout, s.HighwayBias = c.DecoderLayers, c.Dropout, c.HighwayBias
	return s
}

func (c Config) encoderLSTM() lstm.Config {
	return lstm.Config{InputSize: c.EmbeddingDim, HiddenSize: c.Hidden / 2, NumLayers: c.EncoderLayers,
		Dropout: c.Dropout, Bidirectional: true}
}

func (c Config) decoderLSTM() lstm.Config {
	return lstm.Config{InputSize: c.decoderInput(), HiddenSize: c.Hidden, NumLayers: c.DecoderLayers, Dropout: c.Dropout}
}
