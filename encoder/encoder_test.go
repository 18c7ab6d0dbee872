package encoder_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gosru/gosru/encoder"
	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/lstm"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// layerCases are stacks of several layers, both directions.
func layerCases() []namedConfig {
	return []namedConfig{
		{"sru", encoder.Config{Kind: "sru", SRU: sru.Config{InputSize: 5, HiddenSize: 3, NumLayers: 3, HasSkipTerm: true, UseTanh: true}}},
		{"sru bidirectional, layer norm", encoder.Config{Kind: "sru", SRU: sru.Config{InputSize: 5, HiddenSize: 3, NumLayers: 2, Bidirectional: true, HasSkipTerm: true, LayerNorm: true}}},
		{"sru bidirectional, projection, rescale", encoder.Config{Kind: "sru", SRU: sru.Config{InputSize: 7, HiddenSize: 4, NumLayers: 2, Bidirectional: true, HasSkipTerm: true, ProjectionSize: 3, Rescale: true}}},
		{"lstm", encoder.Config{Kind: "lstm", LSTM: lstm.Config{InputSize: 5, HiddenSize: 3, NumLayers: 3}}},
		{"lstm bidirectional", encoder.Config{Kind: "lstm", LSTM: lstm.Config{InputSize: 5, HiddenSize: 3, NumLayers: 2, Bidirectional: true}}},
	}
}

// single is the config of a one-layer stack equal to layer i of cfg, and the name a
// parameter of layer i has in it ("" for the parameters of other layers).
func single(cfg encoder.Config, i int) (encoder.Config, func(string) string) {
	out := cfg
	var from, to string
	switch cfg.Kind {
	case "sru":
		out.SRU.NumLayers = 1
		if i > 0 {
			out.SRU.InputSize = cfg.SRU.OutputSize()
		}
		from, to = fmt.Sprintf("rnn_lst.%d.", i), "rnn_lst.0."
	default: // weight_ih_l1_reverse → weight_ih_l0_reverse
		out.LSTM.NumLayers = 1
		if i > 0 {
			out.LSTM.InputSize = cfg.LSTM.OutputSize()
		}
		from, to = fmt.Sprintf("_l%d", i), "_l0"
	}
	return out, func(n string) string {
		if !strings.Contains(n, from) {
			return ""
		}
		return strings.Replace(n, from, to, 1)
	}
}

// TestEveryLayerOutput checks that the outputs Encode gives for every layer (and their
// concatenation) are what running one-layer stacks with the same parameters one after the
// other gives, and that the final state holds each layer's.
func TestEveryLayerOutput(t *testing.T) {
	const L, B = 4, 3
	for _, c := range layerCases() {
		t.Run(c.name, func(t *testing.T) {
			f := newStepFixture(t, c.cfg, L, B)
			g := nn.NewGraph[float64](cpu64, nil)
			g.NoGrad = true
			n := f.enc.NumLayers()
			layers := make([]*nn.Tensor[float64], n)
			top, final := f.enc.Encode(g, f.x, kernels.Buf[float64]{}, nn.RecurrentState[float64]{}, layers)
			if layers[n-1] != top {
				t.Errorf("the last layer's output is not the top output")
			}
			all := encoder.ConcatLayers(g, layers).Data.Host()
			width := n * f.enc.OutputSize()

			x := f.x
			for i := 0; i < n; i++ {
				cfg, rename := single(c.cfg, i)
				ps := nn.NewParams[float64](cpu64)
				one, err := encoder.New(ps, "", cfg, rand.New(rand.NewPCG(9, 9)))
				if err != nil {
					t.Fatal(err)
				}
				copied := 0
				for _, p := range f.ps.List() {
					if q := ps.Get(rename(p.Name)); q != nil {
						copy(q.Data.Host(), p.Data.Host())
						copied++
					}
				}
				if copied != len(ps.List()) {
					t.Fatalf("layer %d: %d of the %d parameters found in the stack", i, copied, len(ps.List()))
				}
				y, fin := one.Encode(g, x, kernels.Buf[float64]{}, nn.RecurrentState[float64]{}, nil)
				if d := maxDiff(layers[i].Data.Host(), y.Data.Host()); d > 1e-12 {
					t.Errorf("layer %d: output differs from a one-layer stack by %.3g", i, d)
				}
				// column block i of the concatenation
				out := f.enc.OutputSize()
				for r := 0; r < L*B; r++ {
					if d := maxDiff(all[r*width+i*out:r*width+(i+1)*out], y.Data.Host()[r*out:(r+1)*out]); d > 1e-12 {
						t.Fatalf("layer %d: block of the concatenation differs by %.3g", i, d)
					}
				}
				k := fin.C.Len()
				if d := maxDiff(final.C.Data.Host()[i*k:(i+1)*k], fin.C.Data.Host()); d > 1e-12 {
					t.Errorf("layer %d: final c differs by %.3g", i, d)
				}
				if fin.H != nil {
					if d := maxDiff(final.H.Data.Host()[i*k:(i+1)*k], fin.H.Data.Host()); d > 1e-12 {
						t.Errorf("layer %d: final h differs by %.3g", i, d)
					}
				}
				x = y
			}
		})
	}
}

// TestLengthsAndMask checks that a padded batch whose mask PadMask made from the lengths
// gives every sequence what it gets alone, unpadded: the outputs at its real steps, zeros
// after, and the state after its last real step (for the reverse direction, the state after
// reading back to its first step).
func TestLengthsAndMask(t *testing.T) {
	lengths := []int{5, 3, 1, 4}
	L, B := 5, len(lengths)
	for _, c := range layerCases() {
		t.Run(c.name, func(t *testing.T) {
			f := newStepFixture(t, c.cfg, L, B)
			g := nn.NewGraph[float64](cpu64, nil)
			g.NoGrad = true
			pad := nn.PadMask(g, lengths, L)
			y, final := f.enc.Encode(g, f.x, pad, nn.RecurrentState[float64]{}, nil)
			in, out := f.enc.InputSize(), f.enc.OutputSize()
			xs, ys := f.x.Data.Host(), y.Data.Host()
			shape, _ := f.enc.StateShape(B)
			for b, n := range lengths {
				alone := make([]float64, n*in)
				for s := 0; s < n; s++ {
					copy(alone[s*in:(s+1)*in], xs[(s*B+b)*in:(s*B+b+1)*in])
				}
				ya, fa := f.enc.Encode(g, g.FromHost(alone, n, 1, in), kernels.Buf[float64]{}, nn.RecurrentState[float64]{}, nil)
				for s := 0; s < L; s++ {
					got := ys[(s*B+b)*out : (s*B+b+1)*out]
					want := make([]float64, out)
					if s < n {
						want = ya.Data.Host()[s*out : (s+1)*out]
					}
					if d := maxDiff(got, want); d > 1e-12 {
						t.Errorf("sequence %d (length %d), step %d: output differs by %.3g", b, n, s, d)
					}
				}
				w := shape[2]
				for part, pair := range [][2]*nn.Tensor[float64]{{final.C, fa.C}, {final.H, fa.H}} {
					if pair[0] == nil {
						continue
					}
					for k := 0; k < shape[0]; k++ {
						got := pair[0].Data.Host()[(k*B+b)*w : (k*B+b+1)*w]
						want := pair[1].Data.Host()[k*w : (k+1)*w]
						if d := maxDiff(got, want); d > 1e-12 {
							t.Errorf("sequence %d: final state part %d, slice %d differs by %.3g", b, part, k, d)
						}
					}
				}
			}
		})
	}
}
