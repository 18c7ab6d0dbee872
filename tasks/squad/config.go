package squad

import (
	"fmt"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/sru"
	"github.com/gosru/gosru/train"
)

// DevFile and TrainFile are the official dataset files in the data directory's squad/ folder.
// Where train-v1.1.json is absent, its accepted substitute registered in package datasets,
// train-v1.1.reconstructed.json.gz, is read in its place.
const (
	DevFile   = "dev-v1.1.json.zip"
	TrainFile = "train-v1.1.json"
)

// Config is the [squad] section of an experiment. Defaults (DefaultConfig) are the official
// SRU DrQA setup.
type Config struct {
	// TrainFile and DevFile name the dataset files, relative to the data directory's squad/
	// (absolute paths are kept). A registered official file that is absent is replaced by its
	// accepted substitute when that is present (TrainFile by the reconstruction); naming the
	// substitute itself pins it.
	TrainFile string `toml:"train_file"`
	DevFile   string `toml:"dev_file"`
	// CacheDir holds the preprocessing cache; "" is <data_dir>/squad/cache. "none" disables it.
	CacheDir string `toml:"cache_dir"`
	// Model is the encoder kind: "sru" or "lstm".
	Model     string `toml:"model"`
	BatchSize int    `toml:"batch_size"`
	// EvalBatchSize is the batch size of prediction on dev.
	EvalBatchSize int `toml:"eval_batch_size"`
	EmbeddingDim  int `toml:"embedding_dim"`
	// Embeddings is a pretrained vector file (GloVe text, word2vec text or binary; .gz
	// allowed); "" trains random vectors. With a file the vectors are fixed except those of
	// <unk> and of the TunePartial most frequent training question words, which are trained
	// (DrQA's tune_partial); dev words that have a vector join the vocabulary.
	Embeddings  string `toml:"embeddings"`
	TunePartial int    `toml:"tune_partial"`
	// EmbeddingStd is the standard deviation of the random vectors (of every word without a
	// pretrained one); 1 is nn.Embedding's N(0, 1), DrQA's init.
	EmbeddingStd float64 `toml:"embedding_std"`
	// MinCount keeps in the vocabulary the training words seen at least this often; others
	// (and unseen dev words) are <unk>.
	MinCount int `toml:"min_count"`
	// Hidden is the encoders' width per direction; DocLayers and QuestionLayers their depths.
	Hidden         int `toml:"hidden"`
	DocLayers      int `toml:"doc_layers"`
	QuestionLayers int `toml:"question_layers"`
	// ConcatLayers feeds every layer's output (not only the top one) to what follows (DrQA's
	// concat_rnn_layers).
	ConcatLayers bool `toml:"concat_layers"`
	// DropoutOutput drops, at dropout_rnn, what each encoder hands on (the top layer's output,
	// or every layer's joined): DrQA's dropout_rnn_output, on in both the official SRU DrQA
	// and DrQA's own LSTM reader. Off by default, so that runs made before it existed resume
	// unchanged.
	DropoutOutput bool `toml:"dropout_output"`
	// DropoutEmb is the dropout on word embeddings; DropoutRNN the dropout inside the
	// encoders: the LSTM's between layers, and both of the SRU's (its dropout on every layer's
	// output but the top one's and its rnn_dropout on every layer's input, as the official SRU
	// DrQA builds its cells) unless squad.sru.dropout or squad.sru.rnn_dropout says otherwise.
	DropoutEmb float64 `toml:"dropout_emb"`
	DropoutRNN float64 `toml:"dropout_rnn"`
	// Features turns DrQA's manual features on: exact match (cased, uncased, stem) and term
	// frequency. AlignedEmbedding adds the aligned question embedding.
	Features         bool `toml:"features"`
	AlignedEmbedding bool `toml:"aligned_embedding"`
	// POS and NER append to every passage word's input DrQA's one-hot part-of-speech tag
	// (NumPOS slots: prose's Penn Treebank tags and an unknown slot) and one-hot named-entity
	// type (NumNER slots: O, prose's entity types, unknown), tagged by prose in preprocessing
	// (see tags.go) and kept in the preprocessing cache. Off by default: the cache of a run
	// without them holds no tags.
	POS bool `toml:"pos"`
	NER bool `toml:"ner"`
	// MaxSpan is the longest answer decoded, in tokens (DrQA: 15).
	MaxSpan int `toml:"max_span"`
	// MaxTrainContext drops training questions whose context has more tokens (0: keep all);
	// a CPU-scale setting. Dev is never cut.
	MaxTrainContext int `toml:"max_train_context"`
	// TrainSubset keeps only the first N training questions (0: all); a CPU-scale setting.
	TrainSubset int `toml:"train_subset"`

	SRU  SRUOptions  `toml:"sru"`
	LSTM LSTMOptions `toml:"lstm"`
}

// SRUOptions are the SRU's options beyond the sizes and dropout above.
type SRUOptions struct {
	UseTanh     bool    `toml:"use_tanh"`
	V1          bool    `toml:"v1"`
	HighwayBias float64 `toml:"highway_bias"`
	ForgetBias  float64 `toml:"forget_bias"`
	Rescale     bool    `toml:"rescale"`
	HasSkipTerm bool    `toml:"has_skip_term"`
	LayerNorm   bool    `toml:"layer_norm"`
	// Dropout (on every layer's output h but the top one's, unless dropout_top) and
	// RNNDropout (variational, on every layer's input x, the first layer's included unless
	// keep_first_input), when set, replace dropout_rnn for that one of the SRU's two dropouts.
	// RNNDropout = 0 leaves one mask per layer boundary, on h, as the LSTM has one; Dropout = 0
	// with keep_first_input puts the masks where the LSTM's are.
	Dropout    *float64 `toml:"dropout"`
	RNNDropout *float64 `toml:"rnn_dropout"`
	// DropoutTop drops the top layer's h too, as the official SRU DrQA's cells do (each layer
	// there is its own SRUCell with the dropout). Off by default, so that runs made before it
	// existed resume unchanged.
	DropoutTop bool `toml:"dropout_top"`
	// KeepFirstInput leaves the first layer's input out of rnn_dropout. With dropout 0 and
	// rnn_dropout at dropout_rnn, the SRU's masks are where the LSTM reader's are: on the
	// input of every layer but the first, with every layer's output handed on unmasked.
	KeepFirstInput bool `toml:"keep_first_input"`
}

// sruDropouts returns the SRU's dropout and rnn_dropout under this config.
func (c Config) sruDropouts() (dropout, rnnDropout float64) {
	dropout, rnnDropout = c.DropoutRNN, c.DropoutRNN
	if c.SRU.Dropout != nil {
		dropout = *c.SRU.Dropout
	}
	if c.SRU.RNNDropout != nil {
		rnnDropout = *c.SRU.RNNDropout
	}
	return dropout, rnnDropout
}

// LSTMOptions are the LSTM's options beyond the sizes and dropout above.
type LSTMOptions struct {
	ForgetBias float64 `toml:"forget_bias"`
	// DropoutInput drops the first layer's input too, at dropout_rnn: DrQA's LSTM reader drops
	// every layer's input, where the LSTM's own dropout is between layers only.
	DropoutInput bool `toml:"dropout_input"`
}

// DefaultConfig is the SRU DrQA reader at the official size: 300-d word vectors (random and
// trained here: no GloVe), bidirectional SRU encoders of 128 units per direction, 5 layers for
// the document and the question, dropout 0.5 on embeddings and 0.2 inside the RNN, the manual
// features and the aligned question embedding, spans of at most 15 tokens, batches of 32. The
// SRU is the 2017 form (v1) with tanh, as the DrQA code of the SRU repository builds it. Three
// defaults differ from that code's: every layer's output is concatenated (DrQA's own default;
// the SRU code's is the top layer only), and dropout_output and sru.dropout_top are off
// (there, on), so that runs made before the keys existed resume unchanged;
// experiments/squad/squad_sru_paper.toml sets all three as the official code does.
func DefaultConfig() Config {
	return Config{
		TrainFile: TrainFile, DevFile: DevFile, Model: "sru", BatchSize: 32, EvalBatchSize: 64,
		EmbeddingDim: 300, TunePartial: 1000, EmbeddingStd: 1, MinCount: 1, Hidden: 128, DocLayers: 5, QuestionLayers: 5, ConcatLayers: true,
		DropoutEmb: 0.5, DropoutRNN: 0.2, Features: true, AlignedEmbedding: true, MaxSpan: 15,
		SRU: SRUOptions{UseTanh: true, V1: true, HasSkipTerm: true},
	}
}

// TrainConfig is DrQA's optimisation: Adamax (lr 0.002, PyTorch's betas), gradient norm
// clipped at 20.
func TrainConfig() train.Config {
	c := train.DefaultConfig()
	c.Optimizer, c.LR, c.ClipGradNorm = "adamax", 0.002, 20
	return c
}

// tagging is what preprocessing must tag for this config.
func (c Config) tagging() Tagging { return Tagging{POS: c.POS, NER: c.NER} }

// featureLayout is which features a passage word has beyond its vectors.
func (c Config) featureLayout() featureLayout {
	return featureLayout{manual: c.Features, pos: c.POS, ner: c.NER}
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch {
	case c.TrainFile == "" || c.DevFile == "":
		return fmt.Errorf("squad: train_file and dev_file must be set")
	case c.Model != "sru" && c.Model != "lstm":
		return fmt.Errorf("squad: model must be \"sru\" or \"lstm\", got %q", c.Model)
	case c.BatchSize <= 0 || c.EvalBatchSize <= 0:
		return fmt.Errorf("squad: batch_size and eval_batch_size must be positive")
	case c.EmbeddingDim <= 0 || c.Hidden <= 0:
		return fmt.Errorf("squad: embedding_dim and hidden must be positive")
	case c.DocLayers <= 0 || c.QuestionLayers <= 0:
		return fmt.Errorf("squad: doc_layers and question_layers must be positive")
	case c.EmbeddingStd <= 0:
		return fmt.Errorf("squad: embedding_std must be positive, got %g", c.EmbeddingStd)
	case c.TunePartial < 0:
		return fmt.Errorf("squad: tune_partial must be >= 0, got %d", c.TunePartial)
	case c.MinCount < 1:
		return fmt.Errorf("squad: min_count must be at least 1, got %d", c.MinCount)
	case c.DropoutEmb < 0 || c.DropoutEmb >= 1 || c.DropoutRNN < 0 || c.DropoutRNN >= 1:
		return fmt.Errorf("squad: dropout_emb and dropout_rnn must be in [0, 1)")
	case c.SRU.Dropout != nil && (*c.SRU.Dropout < 0 || *c.SRU.Dropout >= 1),
		c.SRU.RNNDropout != nil && (*c.SRU.RNNDropout < 0 || *c.SRU.RNNDropout >= 1):
		return fmt.Errorf("squad: sru.dropout and sru.rnn_dropout must be in [0, 1)")
	case c.MaxSpan < 1:
		return fmt.Errorf("squad: max_span must be at least 1, got %d", c.MaxSpan)
	case c.MaxTrainContext < 0 || c.TrainSubset < 0:
		return fmt.Errorf("squad: max_train_context and train_subset must be >= 0")
	}
	return nil
}

// encoderConfig is the bidirectional encoder of the given input width and depth.
func (c Config) encoderConfig(input, layers int) encoder.Config {
	dropout, rnnDropout := c.sruDropouts()
	s := sru.Config{InputSize: input, HiddenSize: c.Hidden, NumLayers: layers, Bidirectional: true,
		Dropout: dropout, DropoutTop: c.SRU.DropoutTop, RNNDropout: rnnDropout,
		KeepFirstInput: c.SRU.KeepFirstInput, UseTanh: c.SRU.UseTanh, V1: c.SRU.V1,
		HighwayBias: c.SRU.HighwayBias, ForgetBias: c.SRU.ForgetBias, Rescale: c.SRU.Rescale,
		HasSkipTerm: c.SRU.HasSkipTerm, LayerNorm: c.SRU.LayerNorm}
	l := lstm.Config{InputSize: input, HiddenSize: c.Hidden, NumLayers: layers, Bidirectional: true,
		Dropout: c.DropoutRNN, ForgetBias: c.LSTM.ForgetBias}
	return encoder.Config{Kind: c.Model, SRU: s, LSTM: l}
}
