// Package nn holds tensors on a Device, the reverse-mode tape that records fused ops and runs
// their backward in reverse, the layers built from them, losses and optimizers.
//
// One training step is: build the forward pass through Graph methods (each records its op on
// the tape), call Backward on the scalar loss, step the optimizer, then Reset the graph. Reset
// keeps every buffer and op record for the next step, so a steady-state step allocates nothing.
//
// Shapes: a sequence batch is [L, B, D] (time-major, row-major), viewed as a [L·B, D] matrix by
// the ops that work on rows. The last axis is the feature axis.
package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gosru/gosru/kernels"
)

// Tensor is an n-dimensional array on a Device, with an optional gradient of the same shape.
type Tensor[T kernels.Float] struct {
	Data  kernels.Buf[T]
	Grad  kernels.Buf[T] // nil until a gradient flows into it
	Shape []int
	// NeedsGrad marks tensors that a gradient must reach (parameters and what depends on them).
	NeedsGrad bool
}

// Len is the number of elements.
func (t *Tensor[T]) Len() int { return t.Data.Len() }

// Cols is the size of the last axis; Rows the product of the others.
func (t *Tensor[T]) Cols() int { return t.Shape[len(t.Shape)-1] }
func (t *Tensor[T]) Rows() int { return t.Len() / t.Cols() }

func (t *Tensor[T]) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

// Op is one recorded operation: Backward moves gradients from its outputs to its inputs,
// accumulating into the inputs' Grad buffers (through Graph.Grad).
type Op[T kernels.Float] interface {
	Backward(g *Graph[T])
}

// Graph is the tape of one step plus the memory it reuses from step to step.
type Graph[T kernels.Float] struct {
	Dev kernels.Device[T]
	// Training turns dropout on. Evaluation graphs record nothing (see NoGrad).
	Training bool
	// NoGrad skips recording: forward only (evaluation, generation).
	NoGrad bool
	// RNG draws dropout masks; it belongs to the run (its state goes into checkpoints).
	RNG *rand.Rand

	tape  []Op[T]
	gen   uint64 // counts Resets; OpPool uses it to know when records are free again
	arena arena[T]
	ops   opPools[T]
	host  []T // scratch for masks made on the host
	// shapeBuf builds shapes without allocating (Result copies it).
	shapeBuf []int
}

// NewGraph makes an empty graph on dev.
func NewGraph[T kernels.Float](dev kernels.Device[T], rng *rand.Rand) *Graph[T] {
	return &Graph[T]{Dev: dev, RNG: rng, arena: newArena(dev)}
}

// Reset forgets the tape and hands every buffer back for reuse by the next step (see arena.go
// for how memory stays bounded when shapes change). Tensors made by this graph are invalid
// afterwards.
func (g *Graph[T]) Reset() {
	clear(g.tape)
	g.tape = g.tape[:0]
	g.gen++
	g.arena.reset()
	g.ops.reset()
}

// Release resets the graph and frees all the memory it holds, returning it to the device (an
// evaluation graph after use, a graph whose shapes will not come back). The graph stays usable;
// its next steps allocate afresh.
func (g *Graph[T]) Release() {
	g.Reset()
	g.arena.release()
}

// HeldBytes is the device memory the graph's arena holds: the buffers of the current step and
// those kept for the next ones.
func (g *Graph[T]) HeldBytes() int64 { return g.arena.heldBytes() }

// Record appends op to the tape (unless NoGrad). Layers with their own fused backward (SRU,
// LSTM) record themselves through it.
func (g *Graph[T]) Record(op Op[T]) {
	if !g.NoGrad {
		g.tape = append(g.tape, op)
	}
}

// New returns an uninitialised tensor of the given shape from the arena.
func (g *Graph[T]) New(shape ...int) *Tensor[T] {
	n := 1
	for _, s := range shape {
		n *= s
	}
	t := g.arena.tensor()
	t.Shape = append(t.Shape[:0], shape...)
	t.Data = g.arena.buf(n)
	t.Grad = kernels.Buf[T]{}
	t.NeedsGrad = false
	return t
}

// Zeros returns a zero-filled tensor.
func (g *Graph[T]) Zeros(shape ...int) *Tensor[T] {
	t := g.New(shape...)
	g.Dev.Fill(t.Data, 0)
	return t
}

// FromHost uploads data into a new tensor of the given shape.
func (g *Graph[T]) FromHost(data []T, shape ...int) *Tensor[T] {
	t := g.New(shape...)
	if len(data) != t.Len() {
		panic(fmt.Sprintf("nn: FromHost: %d values for shape %v", len(data), append([]int(nil), shape...)))
	}
	g.Dev.Upload(t.Data, data)
	return t
}

// Ints returns an int buffer of n elements from the arena, filled from data when non-nil.
func (g *Graph[T]) Ints(data []int32) kernels.Ints {
	b := g.arena.ints(len(data))
	g.Dev.UploadInts(b, data)
	return b
}

// Scratch returns an uninitialised buffer of n elements from the arena (workspace of fused ops).
func (g *Graph[T]) Scratch(n int) kernels.Buf[T] { return g.arena.buf(n) }

// HostScratch returns a host slice of n elements reused across steps (building masks).
func (g *Graph[T]) HostScratch(n int) []T {
	if cap(g.host) < n {
		g.host = make([]T, n)
	}
	return g.host[:n]
}

// Result makes the output tensor of an op: it needs a gradient when any input does and the
// graph records.
func (g *Graph[T]) Result(shape []int, inputs ...*Tensor[T]) *Tensor[T] {
	t := g.New(shape...)
	if !g.NoGrad {
		for _, in := range inputs {
			if in != nil && in.NeedsGrad {
				t.NeedsGrad = true
				break
			}
		}
	}
	return t
}

// Grad returns t's gradient buffer, allocating it zeroed on first use in this step.
func (g *Graph[T]) Grad(t *Tensor[T]) kernels.Buf[T] {
	if t.Grad.IsNil() {
		t.Grad = g.arena.buf(t.Len())
		g.Dev.Fill(t.Grad, 0)
	}
	return t.Grad
}

// GradInit returns t's gradient buffer for an op that will write all of it. fresh is true when
// the buffer was just allocated (its contents are garbage: the caller must overwrite every
// element); false when a gradient already accumulated there (the caller must add into it).
func (g *Graph[T]) GradInit(t *Tensor[T]) (grad kernels.Buf[T], fresh bool) {
	if t.Grad.IsNil() {
		t.Grad = g.arena.buf(t.Len())
		return t.Grad, true
	}
	return t.Grad, false
}

// Backward seeds dLoss/dLoss = 1 on the scalar loss and runs the tape in reverse.
func (g *Graph[T]) Backward(loss *Tensor[T]) {
	if loss.Len() != 1 {
		panic(fmt.Sprintf("nn: Backward of a non-scalar %v", loss.Shape))
	}
	if !loss.NeedsGrad {
		panic("nn: Backward of a loss that depends on no parameter")
	}
	g.Dev.Fill(g.Grad(loss), 1)
	g.BackwardFrom()
}

// BackwardFrom runs the tape in reverse with whatever output gradients have been seeded (for
// tests and for losses seeded by hand).
func (g *Graph[T]) BackwardFrom() {
	for i := len(g.tape) - 1; i >= 0; i-- {
		g.tape[i].Backward(g)
	}
}

// pool hands out op records of one kind, reused after Graph.Reset.
type pool[O any] struct {
	items []*O
	n     int
}

func (p *pool[O]) get() *O {
	if p.n == len(p.items) {
		p.items = append(p.items, new(O))
	}
	o := p.items[p.n]
	p.n++
	var zero O
	*o = zero
	return o
}

func (p *pool[O]) reset() { p.n = 0 }

// OpPool hands out op records for layers outside this package (SRU, LSTM) so that recording
// allocates nothing in steady state. Records are recycled when the graph that recorded them is
// Reset; a pool serves one recording graph at a time.
type OpPool[O any] struct {
	p     pool[O]
	graph any
	gen   uint64
}

// Get returns a zeroed record that stays valid until g's next Reset.
func Get[T kernels.Float, O any](p *OpPool[O], g *Graph[T]) *O {
	if p.graph != any(g) || p.gen != g.gen {
		p.graph, p.gen = g, g.gen
		p.p.reset()
	}
	return p.p.get()
}
