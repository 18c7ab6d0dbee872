package sru_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
	"github.com/gosru/gosru/sru"
)

// TestInitialisation checks the official reset_parameters recipe through the range of each
// weight block: W ~ U(±sqrt(3/d)), gate blocks × sqrt(0.5) (not in v1), block 0 × sqrt(1−dropout),
// everything × sqrt(1−rnn_dropout), × 0.1 with layer norm, the K = 4 skip block × α with
// rescale; weight_c ~ U(±sqrt(3))·sqrt(0.5) (zero and frozen in v1); the highway half of the
// bias = highway_bias.
func TestInitialisation(t *testing.T) {
	type want struct {
		blocks []float64 // bound of each weight block, as a multiple of sqrt(3/d)
		wc     float64   // bound of weight_c (0: all zero)
	}
	alpha := math.Sqrt(1 + 2*math.Exp(-2))
	cases := []struct {
		name string
		cfg  sru.Config
		want want
	}{
		{"default k=4", sru.Config{InputSize: 64, HiddenSize: 48, NumLayers: 1, HasSkipTerm: true},
			want{[]float64{1, math.Sqrt(0.5), math.Sqrt(0.5), 1}, math.Sqrt(3) * math.Sqrt(0.5)}},
		{"dropout, rnn_dropout, rescale", sru.Config{InputSize: 64, HiddenSize: 48, NumLayers: 2, Dropout: 0.36,
			RNNDropout: 0.19, Rescale: true, HighwayBias: -2, HasSkipTerm: true},
			want{[]float64{0.8 * 0.9, math.Sqrt(0.5) * 0.9, math.Sqrt(0.5) * 0.9, alpha * 0.9}, math.Sqrt(1.5)}},
		{"dropout on the top layer too", sru.Config{InputSize: 64, HiddenSize: 48, NumLayers: 1, Dropout: 0.36,
			DropoutTop: true, HasSkipTerm: true},
			want{[]float64{0.8, math.Sqrt(0.5), math.Sqrt(0.5), 1}, math.Sqrt(1.5)}},
		{"rnn_dropout after the first layer only", sru.Config{InputSize: 64, HiddenSize: 48, NumLayers: 2,
			RNNDropout: 0.19, KeepFirstInput: true, HasSkipTerm: true},
			want{[]float64{1, math.Sqrt(0.5), math.Sqrt(0.5), 1}, math.Sqrt(1.5)}},
		{"v1 with layer norm", sru.Config{InputSize: 48, HiddenSize: 48, NumLayers: 1, V1: true, LayerNorm: true, HasSkipTerm: true},
			want{[]float64{0.1, 0.1, 0.1}, 0}},
		{"forget bias, bidirectional", sru.Config{InputSize: 64, HiddenSize: 48, NumLayers: 1, V1: true, UseTanh: true,
			HasSkipTerm: true, ForgetBias: 2, HighwayBias: -1, Bidirectional: true},
			want{[]float64{1, 1, 1, 1}, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := nn.NewParams[float64](kernels.MustCPU[float64]())
			m, err := sru.New(ps, "", c.cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			l := m.Layers[0]
			if len(c.want.blocks) != l.K {
				t.Fatalf("K = %d, want %d", l.K, len(c.want.blocks))
			}
			unit := math.Sqrt(3 / float64(l.Weight.Shape[0]))
			maxAbs := make([]float64, l.K)
			for i, v := range l.Weight.Data.Host() {
				maxAbs[i%l.K] = max(maxAbs[i%l.K], math.Abs(v))
			}
			for m, got := range maxAbs {
				bound := c.want.blocks[m] * unit
				// thousands of uniform draws reach within 2% of the bound
				if got > bound*(1+1e-12) || got < 0.98*bound {
					t.Errorf("block %d: max |w| %.4g, want just under %.4g", m, got, bound)
				}
			}
			wc := 0.0
			for _, v := range l.WeightC.Data.Host() {
				wc = max(wc, math.Abs(v))
			}
			if c.want.wc == 0 {
				if wc != 0 || l.WeightC.NeedsGrad {
					t.Errorf("v1: weight_c max %g, trainable %v; want zero and frozen", wc, l.WeightC.NeedsGrad)
				}
			} else if wc > c.want.wc || wc < 0.9*c.want.wc {
				t.Errorf("weight_c max %.4g, want just under %.4g", wc, c.want.wc)
			}
			b := l.Bias.Data.Host()
			for i, v := range b {
				want := c.cfg.ForgetBias
				if i >= l.Out {
					want = c.cfg.HighwayBias
				}
				if v != want {
					t.Fatalf("bias[%d] = %g, want %g", i, v, want)
				}
			}
			for i, l := range m.Layers {
				want := c.cfg.Dropout
				if i+1 == len(m.Layers) && !c.cfg.DropoutTop {
					want = 0
				}
				if l.Dropout != want {
					t.Errorf("layer %d has dropout %g, want %g", i, l.Dropout, want)
				}
				want = c.cfg.RNNDropout
				if i == 0 && c.cfg.KeepFirstInput {
					want = 0
				}
				if l.RNNDropout != want {
					t.Errorf("layer %d has rnn_dropout %g, want %g", i, l.RNNDropout, want)
				}
			}
		})
	}
}
