package encoder_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// decoderConfig is a decoder-sized stack: input and hidden width, layers.
func decoderConfig(kind string, width, layers int) encoder.Config {
	return encoder.Config{Kind: kind,
		SRU:  sru.Config{InputSize: width, HiddenSize: width, NumLayers: layers, HasSkipTerm: true, Dropout: 0.1, RNNDropout: 0.1},
		LSTM: lstm.Config{InputSize: width, HiddenSize: width, NumLayers: layers, Dropout: 0.1}}
}

func newStepper[T kernels.Float](tb testing.TB, dev kernels.Device[T], cfg encoder.Config) (nn.Encoder[T], nn.Stepper[T]) {
	enc, err := encoder.New(nn.NewParams[T](dev), "", cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		tb.Fatal(err)
	}
	st, err := enc.NewStepper(dev)
	if err != nil {
		tb.Fatal(err)
	}
	return enc, st
}

// TestStepAllocations checks that steady-state steps allocate nothing: off the tape (no
// graph, and a NoGrad graph reset at every step) and a whole sequence trained on the tape.
func TestStepAllocations(t *testing.T) {
	dev := kernels.MustCPU[float32]()
	const B, width, L = 4, 16, 3
	for _, kind := range encoder.Kinds {
		t.Run(kind, func(t *testing.T) {
			enc, st := newStepper(t, dev, decoderConfig(kind, width, 2))
			x := &nn.Tensor[float32]{Data: dev.Alloc(B * width), Shape: []int{B, width}}
			dev.Fill(x.Data, 0.5)
			st.Start(nil, B, nn.RecurrentState[float32]{})
			if n := testing.AllocsPerRun(20, func() { st.Step(nil, x) }); n != 0 {
				t.Errorf("a step with no graph: %v allocations", n)
			}
			g := nn.NewGraph[float32](dev, rand.New(rand.NewPCG(1, 1)))
			g.NoGrad = true
			st.Start(g, B, nn.RecurrentState[float32]{})
			if n := testing.AllocsPerRun(20, func() { g.Reset(); st.Step(g, x) }); n != 0 {
				t.Errorf("a step on a NoGrad graph: %v allocations", n)
			}

			train := nn.NewGraph[float32](dev, rand.New(rand.NewPCG(1, 1)))
			train.Training = true
			xs := &nn.Tensor[float32]{Data: dev.Alloc(B * enc.InputSize()), Shape: []int{B, enc.InputSize()}, NeedsGrad: true}
			dev.Fill(xs.Data, 0.25)
			sequence := func() {
				train.Reset()
				xs.Grad = kernels.Buf[float32]{}
				st.Start(train, B, nn.RecurrentState[float32]{})
				var h *nn.Tensor[float32]
				for range L {
					h = st.Step(train, xs)
				}
				dev.Fill(train.Grad(h), 1)
				train.BackwardFrom()
			}
			if n := testing.AllocsPerRun(10, sequence); n != 0 {
				t.Errorf("a sequence of %d steps on the tape, with its backward: %v allocations", L, n)
			}
		})
	}
}

// BenchmarkStep is one off-tape step of a decoder (B = 64, hidden 512, input 512) in float32:
// the inference step of greedy or beam search.
func BenchmarkStep(b *testing.B) {
	dev := kernels.MustCPU[float32]()
	const B, width = 64, 512
	for _, kind := range encoder.Kinds {
		for _, layers := range []int{1, 2} {
			b.Run(kind+"/layers="+string(rune('0'+layers)), func(b *testing.B) {
				_, st := newStepper(b, dev, decoderConfig(kind, width, layers))
				x := &nn.Tensor[float32]{Data: dev.Alloc(B * width), Shape: []int{B, width}}
				dev.Fill(x.Data, 0.5)
				st.Start(nil, B, nn.RecurrentState[float32]{})
				st.Step(nil, x)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					st.Step(nil, x)
				}
			})
		}
	}
}
