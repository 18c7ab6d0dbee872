package sru

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// Stepper advances a unidirectional SRU one time step at a time (nn.Stepper, for decoders).
// A step is every layer's recurrence with L = 1 from the carried c: the same fused kernel and
// the same tape record as Forward, so L steps give Forward's numbers. The variational dropout
// masks (each layer's input mask and h mask) are drawn by Start, in Forward's order, and kept
// for every step of the sequence.
type Stepper[T kernels.Float] struct {
	s      *SRU[T]
	dev    kernels.Device[T]
	B      int
	onTape bool
	c      *nn.Tensor[T] // the state entering the next step; nil = zeros

	inMask, hMask []kernels.Buf[T] // per layer; nil = no dropout

	// Off the tape: the state double-buffered ([layers, B, out] each), persistent copies of
	// the masks, and the graph that serves Step(nil, x).
	own      [2]nn.Tensor[T]
	ownShape [3]int
	cur      int
	inKeep   []kernels.Buf[T]
	hKeep    []kernels.Buf[T]
	graph    *nn.Graph[T]
}

// NewStepper returns a Stepper on dev, or an error for a bidirectional SRU (its reverse
// direction needs the whole sequence).
func (s *SRU[T]) NewStepper(dev kernels.Device[T]) (nn.Stepper[T], error) {
	if s.Cfg.Bidirectional {
		return nil, fmt.Errorf("sru: a bidirectional SRU cannot step: its reverse direction needs the whole sequence")
	}
	n := len(s.Layers)
	return &Stepper[T]{s: s, dev: dev, inMask: make([]kernels.Buf[T], n), hMask: make([]kernels.Buf[T], n),
		inKeep: make([]kernels.Buf[T], n), hKeep: make([]kernels.Buf[T], n)}, nil
}

// Start begins B sequences from init.C ([layers, B, out]; nil: zeros). It draws the dropout
// masks from g when g.Training. On the tape, init.C may need a gradient: it receives one.
func (st *Stepper[T]) Start(g *nn.Graph[T], B int, init nn.RecurrentState[T]) {
	s := st.s
	out := s.Cfg.OutputSize()
	if init.H != nil {
		panic("sru: the SRU's state has no H part")
	}
	if init.C != nil && init.C.Len() != len(s.Layers)*B*out {
		panic(fmt.Sprintf("sru: Start: state %v, want [%d, %d, %d]", init.C.Shape, len(s.Layers), B, out))
	}
	st.B = B
	st.onTape = g != nil && !g.NoGrad
	if st.onTape {
		st.c = init.C
	} else {
		st.ensureOwn(B)
		st.c = &st.own[st.cur]
		if init.C != nil {
			st.dev.Copy(st.c.Data, init.C.Data)
		} else {
			st.dev.Fill(st.c.Data, 0)
		}
	}
	for i, l := range s.Layers {
		st.inMask[i], st.hMask[i] = kernels.Buf[T]{}, kernels.Buf[T]{}
		if g == nil || !g.Training {
			continue
		}
		st.inMask[i] = nn.DropoutMask(g, B*l.In, l.RNNDropout)
		st.hMask[i] = nn.DropoutMask(g, B*l.Out, l.Dropout)
		if !st.onTape { // the graph may be reset between steps: keep copies
			st.inMask[i] = keep(st.dev, &st.inKeep[i], st.inMask[i])
			st.hMask[i] = keep(st.dev, &st.hKeep[i], st.hMask[i])
		}
	}
}

// keep copies mask into *dst (reallocated when its size changes) and returns *dst; a nil mask
// stays nil.
func keep[T kernels.Float](dev kernels.Device[T], dst *kernels.Buf[T], mask kernels.Buf[T]) kernels.Buf[T] {
	if mask.IsNil() {
		return mask
	}
	if dst.Len() != mask.Len() {
		*dst = dev.Alloc(mask.Len())
	}
	dev.Copy(*dst, mask)
	return *dst
}

// ensureOwn sizes the off-tape state buffers for B sequences.
func (st *Stepper[T]) ensureOwn(B int) {
	shape := [3]int{len(st.s.Layers), B, st.s.Cfg.OutputSize()}
	if st.own[0].Data.IsNil() || st.ownShape != shape {
		st.ownShape = shape
		for k := range st.own {
			st.own[k] = nn.Tensor[T]{Data: st.dev.Alloc(shape[0] * shape[1] * shape[2]), Shape: st.ownShape[:]}
		}
		st.cur = 0
	}
}

// Step reads x [B, InputSize] and returns h [B, out] of the last layer.
func (st *Stepper[T]) Step(g *nn.Graph[T], x *nn.Tensor[T]) *nn.Tensor[T] {
	s := st.s
	B, in, out := st.B, s.Cfg.InputSize, s.Cfg.OutputSize()
	if x.Len() != B*in || x.Cols() != in {
		panic(fmt.Sprintf("sru: Step input %v, want [%d, %d]", x.Shape, B, in))
	}
	if (g != nil && !g.NoGrad) != st.onTape {
		panic("sru: Step on and off the tape in one sequence (Start decides)")
	}
	if g == nil {
		if st.graph == nil {
			st.graph = nn.NewGraph[T](st.dev, nil)
			st.graph.NoGrad = true
		}
		g = st.graph
		g.Reset()
	}
	var cNew *nn.Tensor[T]
	if st.onTape {
		cNew = g.New(len(s.Layers), B, out)
	} else {
		cNew = &st.own[1-st.cur]
	}
	h := g.Reshape(x, 1, B, in)
	for i, l := range s.Layers {
		h = l.forward(g, h, st.c, cNew, i, kernels.Buf[T]{}, st.inMask[i], st.hMask[i])
	}
	if st.onTape {
		cNew.NeedsGrad = h.NeedsGrad
	} else {
		st.cur = 1 - st.cur
	}
	st.c = cNew
	return g.Reshape(h, B, out)
}

// State is the state after the last step: C [layers, B, out] (nil: zeros).
func (st *Stepper[T]) State() nn.RecurrentState[T] { return nn.RecurrentState[T]{C: st.c} }
