package lstm

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Stepper advances a unidirectional LSTM one time step at a time (nn.Stepper, for decoders).
// A step is every layer's Forward with L = 1 from the carried h and c, so L steps give
// Forward's numbers. The dropout between layers is drawn afresh at every step in training, as
// nn.LSTM draws it per element.
type Stepper[T kernels.Float] struct {
	m      *LSTM[T]
	dev    kernels.Device[T]
	B      int
	onTape bool
	h, c   *nn.Tensor[T] // the state entering the next step; nil = zeros

	// Off the tape: h and c double-buffered ([layers, B, H] each) and the graph that serves
	// Step(nil, x).
	own      [2][2]nn.Tensor[T] // [h or c][buffer]
	ownShape [3]int
	cur      int
	graph    *nn.Graph[T]
}

// NewStepper returns a Stepper on dev, or an error for a bidirectional LSTM (its reverse
// direction needs the whole sequence).
func (m *LSTM[T]) NewStepper(dev kernels.Device[T]) (nn.Stepper[T], error) {
	if m.Cfg.Bidirectional {
		return nil, fmt.Errorf("lstm: a bidirectional LSTM cannot step: its reverse direction needs the whole sequence")
	}
	return &Stepper[T]{m: m, dev: dev}, nil
}

// Start begins B sequences from init ([layers, B, H] each; nil parts: zeros). On the tape the
// parts of init may need a gradient: they receive one.
func (st *Stepper[T]) Start(g *nn.Graph[T], B int, init nn.RecurrentState[T]) {
	m := st.m
	n := len(m.Layers) * B * m.Cfg.HiddenSize
	for _, s := range []*nn.Tensor[T]{init.H, init.C} {
		if s != nil && s.Len() != n {
			panic(fmt.Sprintf("lstm: Start: state %v, want [%d, %d, %d]", s.Shape, len(m.Layers), B, m.Cfg.HiddenSize))
		}
	}
	st.B = B
	st.onTape = g != nil && !g.NoGrad
	if st.onTape {
		st.h, st.c = init.H, init.C
		return
	}
	shape := [3]int{len(m.Layers), B, m.Cfg.HiddenSize}
	if st.own[0][0].Data.IsNil() || st.ownShape != shape {
		st.ownShape = shape
		for p := range st.own {
			for k := range st.own[p] {
				st.own[p][k] = nn.Tensor[T]{Data: st.dev.Alloc(n), Shape: st.ownShape[:]}
			}
		}
		st.cur = 0
	}
	st.h, st.c = &st.own[0][st.cur], &st.own[1][st.cur]
	for p, s := range [2]*nn.Tensor[T]{init.H, init.C} {
		dst := st.own[p][st.cur].Data
		if s != nil {
			st.dev.Copy(dst, s.Data)
		} else {
			st.dev.Fill(dst, 0)
		}
	}
}

// Step reads x [B, InputSize] and returns h [B, H] of the last layer.
func (st *Stepper[T]) Step(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	m := st.m
	B, in, H := st.B, m.Cfg.InputSize, m.Cfg.HiddenSize
	if x.Len() != B*in || x.Cols() != in {
		panic(fmt.Sprintf("lstm: Step input %v, want [%d, %d]", x.Shape, B, in))
	}
	if (g != nil && !g.NoGrad) != st.onTape {
		panic("lstm: Step on and off the tape in one sequence (Start decides)")
	}
	if g == nil {
		if st.graph == nil {
			st.graph = nn.NewGraph[T](st.dev, nil)
			st.graph.NoGrad = true
		}
		g = st.graph
		g.Reset()
	}
	var hNew, cNew *nn.Tensor[T]
	if st.onTape {
		hNew, cNew = g.New(len(m.Layers), B, H), g.New(len(m.Layers), B, H)
	} else {
		hNew, cNew = &st.own[0][1-st.cur], &st.own[1][1-st.cur]
	}
	y := g.Reshape(x, 1, B, in)
	for i, l := range m.Layers {
		if i > 0 {
			y = g.Dropout(y, m.Layers[i-1].Dropout)
		}
		y = l.Forward(g, y, st.h, st.c, hNew, cNew, i, kernels.Buf[T]{})
	}
	if st.onTape {
		hNew.NeedsGrad, cNew.NeedsGrad = y.NeedsGrad, y.NeedsGrad
	} else {
		st.cur = 1 - st.cur
	}
	st.h, st.c = hNew, cNew
	return g.Reshape(y, B, H)
}

// State is the state after the last step: H and C [layers, B, H] (nil: zeros).
func (st *Stepper[T]) State() nn.RecurrentState[T] { return nn.RecurrentState[T]{H: st.h, C: st.c} }
