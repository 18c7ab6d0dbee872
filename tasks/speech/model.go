package speech

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// ModelConfig is the acoustic model: an SRU or LSTM stack over the feature frames, then a
// linear layer to the labels plus the blank, then log-softmax.
type ModelConfig struct {
	// Encoder is "sru" or "lstm".
	Encoder string `toml:"encoder"`
	// Hidden is the width of each direction; Layers the depth.
	Hidden int `toml:"hidden"`
	Layers int `toml:"layers"`
	// Bidirectional reads each utterance both ways; a unidirectional model (the paper's SRU)
	// should delay its labels.
	Bidirectional bool `toml:"bidirectional"`
	// Delay is the label delay of a unidirectional model, in (stacked) frames: the output for
	// frame t is read after frame t+Delay, so the model hears that much of the future (the
	// paper's SRU delays by 5). The input is extended by Delay frames of zeros (the mean after
	// CMVN).
	Delay int `toml:"delay"`
	// Dropout is the encoder's dropout between layers (variational inside the SRU recurrence,
	// per element on the LSTM's outputs); RNNDropout the SRU's dropout on each layer's input.
	Dropout    float64 `toml:"dropout"`
	RNNDropout float64 `toml:"rnn_dropout"`
	// SRU options.
	HighwayBias    float64 `toml:"highway_bias"`
	Rescale        bool    `toml:"rescale"`
	ProjectionSize int     `toml:"projection_size"`
	LayerNorm      bool    `toml:"layer_norm"`
	// ForgetBias is added to the forget gate's initial bias (LSTM, and the SRU's forget gate:
	// an extension of the official SRU); 0 keeps PyTorch's and the official SRU's init.
	ForgetBias float64 `toml:"forget_bias"`
}

// encoderConfig is the encoder.Config of the model for inputs of inputDim values.
func (c ModelConfig) encoderConfig(inputDim int) encoder.Config {
	return encoder.Config{
		Kind: c.Encoder,
		SRU: sru.Config{InputSize: inputDim, HiddenSize: c.Hidden, NumLayers: c.Layers, Dropout: c.Dropout,
			RNNDropout: c.RNNDropout, Bidirectional: c.Bidirectional, ProjectionSize: c.ProjectionSize,
			LayerNorm: c.LayerNorm, HighwayBias: c.HighwayBias, HasSkipTerm: true, Rescale: c.Rescale,
			ForgetBias: c.ForgetBias},
		LSTM: lstm.Config{InputSize: inputDim, HiddenSize: c.Hidden, NumLayers: c.Layers, Dropout: c.Dropout,
			Bidirectional: c.Bidirectional, ForgetBias: c.ForgetBias},
	}
}

// Validate reports the first impossible setting for inputs of inputDim values.
func (c ModelConfig) Validate(inputDim int) error {
	if c.Delay < 0 {
		return fmt.Errorf("speech: model: delay %d < 0", c.Delay)
	}
	if err := c.encoderConfig(inputDim).Validate(); err != nil {
		return fmt.Errorf("speech: model: %w", err)
	}
	return nil
}

// AcousticModel maps feature frames to per-frame log-probabilities of the labels and the
// blank; Task trains it with the CTC loss.
type AcousticModel[T kernels.Float] struct {
	cfg      ModelConfig
	inputDim int
	classes  int
	enc      nn.Encoder[T]
	outW     *nn.Param[T] // [hidden·dirs, classes]
	outB     *nn.Param[T] // [classes]

	rows    []int32 // the output time steps SelectRows keeps (Delay..Delay+L-1)
	lengths []int   // the encoder's input lengths (frames + Delay)
}

// NewAcousticModel creates the model's parameters in ps: the encoder (named "encoder.",
// initialised by its own constructor) and the output layer ("output.weight" U(±1/√fan_in),
// "output.bias" 0), for frames of inputDim values and classes outputs (Inventory.NumClasses).
func NewAcousticModel[T kernels.Float](ps *nn.Params[T], inputDim, classes int, cfg ModelConfig, rng *rand.Rand) (*AcousticModel[T], error) {
	if err := cfg.Validate(inputDim); err != nil {
		return nil, err
	}
	if classes < 2 {
		return nil, fmt.Errorf("speech: model: %d classes (the blank and at least one label)", classes)
	}
	enc, err := encoder.New(ps, "encoder.", cfg.encoderConfig(inputDim), rng)
	if err != nil {
		return nil, fmt.Errorf("speech: model: %w", err)
	}
	m := &AcousticModel[T]{cfg: cfg, inputDim: inputDim, classes: classes, enc: enc}
	m.outW = ps.Add("output.weight", enc.OutputSize(), classes)
	m.outB = ps.Add("output.bias", classes)
	w := make([]T, m.outW.Len())
	r := 1 / math.Sqrt(float64(enc.OutputSize()))
	for i := range w {
		w[i] = T((2*rng.Float64() - 1) * r)
	}
	ps.Dev.Upload(m.outW.Data, w)
	ps.Dev.Upload(m.outB.Data, make([]T, classes))
	return m, nil
}

// Encoder is the model's recurrent stack.
func (m *AcousticModel[T]) Encoder() nn.Encoder[T] { return m.enc }

// NumClasses is the width of the output: labels plus the blank.
func (m *AcousticModel[T]) NumClasses() int { return m.classes }

// BatchInput lays out utterances' features as the model's time-major input: x [L+Delay, B,
// inputDim] on the host, zeros past each utterance's end (its Delay frames, then padding),
// with L the longest utterance; lengths are the utterances' frame counts.
func (m *AcousticModel[T]) BatchInput(feats []*Features) (x []T, L int, lengths []int) {
	B := len(feats)
	for _, f := range feats {
		if f.Bins != m.inputDim {
			panic(fmt.Sprintf("speech: model for %d-value frames given %d", m.inputDim, f.Bins))
		}
		L = max(L, f.Frames)
	}
	D := m.inputDim
	x = make([]T, (L+m.cfg.Delay)*B*D)
	lengths = make([]int, B)
	for b, f := range feats {
		lengths[b] = f.Frames
		for t := range f.Frames {
			dst := x[(t*B+b)*D : (t*B+b+1)*D]
			for i, v := range f.Row(t) {
				dst[i] = T(v)
			}
		}
	}
	return x, L, lengths
}

// Forward runs the model on x [L+Delay, B, inputDim] (BatchInput's layout) for utterances of
// the given frame counts (each ≤ L) and returns the log-probabilities [L, B, classes]: row
// (t, b) is the distribution for frame t of utterance b, read Delay steps later. Rows at
// t ≥ lengths[b] are padding, to be ignored (the CTC loss and the decoders take the lengths).
func (m *AcousticModel[T]) Forward(g *nn.Graph[T], x *nn.Tensor[T], lengths []int) *nn.Tensor[T] {
	return g.LogSoftmax(m.Logits(g, x, lengths))
}

// Logits is Forward before the log-softmax: the unnormalised scores [L, B, classes] that
// nn's CTCLoss takes (it applies the log-softmax itself, fused with the loss).
func (m *AcousticModel[T]) Logits(g *nn.Graph[T], x *nn.Tensor[T], lengths []int) *nn.Tensor[T] {
	B, delay := len(lengths), m.cfg.Delay
	if len(x.Shape) != 3 || x.Shape[1] != B || x.Shape[2] != m.inputDim || x.Shape[0] < delay {
		panic(fmt.Sprintf("speech: model input %v for %d utterances of %d-value frames with delay %d", x.Shape, B, m.inputDim, delay))
	}
	L := x.Shape[0] - delay
	m.lengths = m.lengths[:0]
	for _, n := range lengths {
		if n < 0 || n > L {
			panic(fmt.Sprintf("speech: model: length %d outside [0, %d]", n, L))
		}
		m.lengths = append(m.lengths, n+delay)
	}
	pad := nn.PadMask(g, m.lengths, L+delay)
	h, _ := m.enc.Encode(g, x, pad, nn.RecurrentState[T]{}, nil)
	logits := g.Linear(h, &m.outW.Tensor, &m.outB.Tensor)
	if delay > 0 {
		m.rows = m.rows[:0]
		for t := range L {
			m.rows = append(m.rows, int32(t+delay))
		}
		logits = g.SelectRows(logits, m.rows)
	}
	return logits
}

// Transcribe decodes the log-probabilities [L, B, classes] of a batch (Forward's output,
// on the host) utterance by utterance, each over its own frames: greedy when beam ≤ 1, else
// prefix beam search with that beam. It returns the label sequences.
func Transcribe[T realNumber](logProbs []T, L, B, classes int, lengths []int, beam int) [][]int {
	if len(logProbs) != L*B*classes || len(lengths) != B {
		panic(fmt.Sprintf("speech: transcribe: %d values, %d lengths for [%d, %d, %d]", len(logProbs), len(lengths), L, B, classes))
	}
	out := make([][]int, B)
	rows := make([]T, 0, L*classes)
	for b, n := range lengths {
		rows = rows[:0]
		for t := range n {
			rows = append(rows, logProbs[(t*B+b)*classes:(t*B+b+1)*classes]...)
		}
		if beam <= 1 {
			out[b] = GreedyCTC(rows, n, classes, Blank)
		} else {
			out[b] = []int{}
			if hyps := PrefixBeamSearch(rows, n, classes, Blank, beam); len(hyps) > 0 {
				out[b] = hyps[0].Labels
			}
		}
	}
	return out
}
