package nn

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// RecurrentState is what a recurrent encoder carries from one call to the next. C is the cell
// state of every layer and H (LSTM only; nil for the SRU) the hidden state; a nil part is
// zeros. Shapes are the encoder's StateShape: [layers, B, hidden·dirs] for the SRU,
// [layers·dirs, B, hidden] for the LSTM.
type RecurrentState[T kernels.Float] struct {
	H, C *Tensor[T]
}

// Encoder is a recurrent stack that reads a padded batch of sequences: the SRU (sru.SRU) and
// the LSTM (lstm.LSTM) implement it, and package encoder builds the one a config names.
type Encoder[T kernels.Float] interface {
	// Encode runs the stack on x [L, B, InputSize] from init (the zero value: zeros). pad
	// ([L, B], 1 = padding, nil = none) marks right padding (PadMask makes it from lengths):
	// there the state carries over and the output is 0, so the final state is each sequence's
	// state after its last real step. When layers is non-nil it must hold NumLayers entries and
	// receives every layer's output [L, B, OutputSize], the input of the next layer (DrQA
	// concatenates them). It returns the top layer's output [L, B, OutputSize] and the final
	// state.
	Encode(g *Graph[T], x *Tensor[T], pad kernels.Buf[T], init RecurrentState[T], layers []*Tensor[T]) (out *Tensor[T], final RecurrentState[T])
	InputSize() int
	OutputSize() int
	NumLayers() int
	// StateShape is the shape of each part of the state for B sequences, and whether the state
	// has an H part.
	StateShape(B int) (shape [3]int, hasH bool)
	// NewStepper returns a Stepper for this stack on dev, or an error when the stack cannot
	// advance one step at a time (a bidirectional layer needs the whole sequence).
	NewStepper(dev kernels.Device[T]) (Stepper[T], error)
}

// Stepper advances a unidirectional recurrent stack one time step at a time, for decoders.
//
// On the tape (g records: g != nil and !g.NoGrad) the state is a chain of tensors in g, so
// gradients flow through the carried state across steps back into init (training with input
// feeding); call Start after g.Reset and run the Backward before the next Reset.
//
// Off the tape (g.NoGrad, or g nil) the state lives in buffers of the Stepper and steps
// allocate nothing in steady state (inference, beam search). With g nil the output comes from
// the Stepper's own graph and is valid until the next Step.
//
// Variational dropout masks (the SRU's) are drawn once by Start when g.Training, and every
// step of the sequence reuses them.
type Stepper[T kernels.Float] interface {
	// Start begins B new sequences from init (the zero value: zeros) and draws the masks.
	Start(g *Graph[T], B int, init RecurrentState[T])
	// Step reads x [B, InputSize] and returns the top layer's output [B, OutputSize].
	Step(g *Graph[T], x *Tensor[T]) *Tensor[T]
	// State is the state after the last step (before any step: init). Off the tape its
	// tensors are valid until the next Step.
	State() RecurrentState[T]
}

// PadMask returns the [L, B] padding mask (1 = padding) of B right-padded sequences of the
// given lengths, in g's arena; nil when no sequence is padded.
func PadMask[T kernels.Float](g *Graph[T], lengths []int, L int) kernels.Buf[T] {
	B := len(lengths)
	host := g.HostScratch(L * B)
	padded := false
	for b, n := range lengths {
		if n < 0 || n > L {
			panic(fmt.Sprintf("nn: PadMask: length %d outside [0, %d]", n, L))
		}
		for t := 0; t < L; t++ {
			v := T(0)
			if t >= n {
				v, padded = 1, true
			}
			host[t*B+b] = v
		}
	}
	if !padded {
		return kernels.Buf[T]{}
	}
	mask := g.Scratch(L * B)
	g.Dev.Upload(mask, host)
	return mask
}
