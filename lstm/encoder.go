package lstm

import (
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// The LSTM is an encoder: tasks hold it as an nn.Encoder (package encoder builds it).
var _ nn.Encoder[float32] = (*LSTM[float32])(nil)

// Encode is Forward through the nn.Encoder interface.
func (m *LSTM[T]) Encode(g *nn.Graph[T], x *nn.Tensor[T], pad kernels.Buf[T], init nn.RecurrentState[T], layers []*nn.Tensor[T]) (*nn.Tensor[T], nn.RecurrentState[T]) {
	y, hn, cn := m.ForwardLayers(g, x, init.H, init.C, pad, layers)
	return y, nn.RecurrentState[T]{H: hn, C: cn}
}

// InputSize is the width of x.
func (m *LSTM[T]) InputSize() int { return m.Cfg.InputSize }

// OutputSize is the width of y: hidden_size × directions.
func (m *LSTM[T]) OutputSize() int { return m.Cfg.OutputSize() }

// NumLayers is the number of layers.
func (m *LSTM[T]) NumLayers() int { return len(m.Layers) }

// StateShape is the shape of h and of c, [layers·dirs, B, H].
func (m *LSTM[T]) StateShape(B int) (shape [3]int, hasH bool) {
	return [3]int{len(m.Layers) * m.Cfg.Dirs(), B, m.Cfg.HiddenSize}, true
}
