package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// ConvWidth is the filter width of the convolution baseline (the paper's conv2d, k = 3).
const ConvWidth = 3

// modelSpec names a model of the figure.
type modelSpec struct {
	name string
	// directional models are timed at bidirectional sizes; the others are not.
	directional bool
}

var modelSpecs = []modelSpec{{"sru", true}, {"lstm", true}, {"cnn", false}}

// Models are the model names Run knows, in table order: "sru" (sru.SRU with the official
// defaults), "lstm" (the fused lstm.LSTM) and "cnn" (a stack of nn.Conv1D of width ConvWidth
// with bias, D to D channels).
func Models() []string {
	names := make([]string, len(modelSpecs))
	for i, m := range modelSpecs {
		names[i] = m.name
	}
	return names
}

func resolveModels(names []string) ([]modelSpec, error) {
	if len(names) == 0 {
		return modelSpecs, nil
	}
	var out []modelSpec
	for _, n := range names {
		i := -1
		for j, m := range modelSpecs {
			if m.name == strings.ToLower(strings.TrimSpace(n)) {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("bench: unknown model %q (want %s)", n, strings.Join(Models(), ", "))
		}
		for _, m := range out {
			if m.name == modelSpecs[i].name {
				return nil, fmt.Errorf("bench: model %q named twice", n)
			}
		}
		out = append(out, modelSpecs[i])
	}
	return out, nil
}

// model is a built model: its forward pass from x [L, B, D] to [L, B, D], its hidden units per
// direction, and the elements its non-GEMM kernels move in one forward+backward step.
type model[T kernels.Float] struct {
	forward   func(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T]
	hidden    int
	restElems int64
}

// build creates spec's model at size s. Traffic counts are per layer with n = L·B rows, each
// operand of a non-GEMM kernel read or written once; the output-gradient seed (n·D writes) is
// common to all.
func build[T kernels.Float](spec modelSpec, ps *nn.Params[T], s Size, rng *rand.Rand) (model[T], error) {
	n := int64(s.L * s.B)
	hidden := s.D
	if s.Bidirectional {
		hidden = s.D / 2
	}
	m := model[T]{hidden: hidden, restElems: n * int64(s.D)}
	switch spec.name {
	case "sru":
		cfg := sru.DefaultConfig(s.D, hidden)
		cfg.NumLayers, cfg.Bidirectional = s.Layers, s.Bidirectional
		net, err := sru.New(ps, "", cfg, rng)
		if err != nil {
			return m, err
		}
		m.forward = func(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T] {
			h, _ := net.Forward(g, x, nil, kernels.Buf[T]{})
			return h
		}
		for _, l := range net.Layers {
			// Forward reads U (K blocks) and writes h and c; backward reads U, c and dh and
			// writes dU. With K = 3 the skip term reads x both ways and writes dx.
			k := int64(l.K)
			per := k + 2 + k + 2 + k
			if l.K == 3 && l.Skip {
				per += 3
			}
			m.restElems += per * n * int64(l.Out)
		}
	case "lstm":
		cfg := lstm.Config{InputSize: s.D, HiddenSize: hidden, NumLayers: s.Layers, Bidirectional: s.Bidirectional}
		net, err := lstm.New(ps, "", cfg, rng)
		if err != nil {
			return m, err
		}
		m.forward = func(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T] {
			y, _, _ := net.Forward(g, x, nil, nil, kernels.Buf[T]{})
			return y
		}
		// Per direction, in units of n·H: forward adds the bias to the gates (4 read, 4
		// written), the cell reads gates and c_prev (5) and writes gates, c, h and y (7);
		// backward, the cell reads gates, c_prev, c, dy, dh and dc (9) and writes dgates, dc
		// and dh (6), and the bias gradient reads dgates (4).
		m.restElems += 39 * n * int64(hidden*cfg.Dirs()*s.Layers)
	case "cnn":
		var ws, bs []*nn.Param[T]
		for i := range s.Layers {
			w := ps.Add(fmt.Sprintf("conv.%d.weight", i), ConvWidth*s.D, s.D)
			b := ps.Add(fmt.Sprintf("conv.%d.bias", i), s.D)
			uniform(ps.Dev, w, 1/math.Sqrt(float64(ConvWidth*s.D)), rng)
			uniform(ps.Dev, b, 1/math.Sqrt(float64(ConvWidth*s.D)), rng)
			ws, bs = append(ws, w), append(bs, b)
		}
		m.forward = func(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T] {
			for i := range ws {
				x = g.Conv1D(x, &ws[i].Tensor, &bs[i].Tensor)
			}
			return x
		}
		// In units of n·D: im2col reads x and writes the columns (2w), the bias is read and
		// added (2); backward sums dy for the bias (1), zeroes dx (1) and col2im reads the
		// column gradient and adds it to dx (3w).
		m.restElems += int64(5*ConvWidth+4) * n * int64(s.D*s.Layers)
	default:
		return m, fmt.Errorf("bench: no model %q", spec.name)
	}
	return m, nil
}

// uniform fills p with U(−r, r) draws.
func uniform[T kernels.Float](dev kernels.Device[T], p *nn.Param[T], r float64, rng *rand.Rand) {
	v := make([]T, p.Len())
	for i := range v {
		v[i] = T((rng.Float64()*2 - 1) * r)
	}
	dev.Upload(p.Data, v)
}
