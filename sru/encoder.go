package sru

import (
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// The SRU is an encoder: tasks hold it as an nn.Encoder (package encoder builds it).
var _ nn.Encoder[float32] = (*SRU[float32])(nil)

// Encode is Forward through the nn.Encoder interface: the state is C only.
func (s *SRU[T]) Encode(g *nn.Graph[T], x *nn.Tensor[T], pad kernels.Buf[T], init nn.RecurrentState[T], layers []*nn.Tensor[T]) (*nn.Tensor[T], nn.RecurrentState[T]) {
	if init.H != nil {
		panic("sru: the SRU's state has no H part")
	}
	h, c := s.ForwardLayers(g, x, init.C, pad, layers)
	return h, nn.RecurrentState[T]{C: c}
}

// InputSize is the width of x.
func (s *SRU[T]) InputSize() int { return s.Cfg.InputSize }

// OutputSize is the width of h: hidden_size × directions.
func (s *SRU[T]) OutputSize() int { return s.Cfg.OutputSize() }

// NumLayers is the number of layers.
func (s *SRU[T]) NumLayers() int { return len(s.Layers) }

// StateShape is the shape of c, [layers, B, out]; the SRU has no H.
func (s *SRU[T]) StateShape(B int) (shape [3]int, hasH bool) {
	return [3]int{len(s.Layers), B, s.Cfg.OutputSize()}, false
}
