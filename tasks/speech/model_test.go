package speech

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gosru/gosru/kernels"
	"github.com/gosru/gosru/nn"
)

// forwardHost runs the model on the utterances and returns the log-probabilities [L, B, C]
// on the host with L and the lengths.
func forwardHost(m *AcousticModel[float64], dev kernels.Device[float64], feats []*Features) ([]float64, int, []int) {
	g := nn.NewGraph[float64](dev, nil)
	x, L, lengths := m.BatchInput(feats)
	out := m.Forward(g, g.FromHost(x, L+m.cfg.Delay, len(feats), m.inputDim), lengths)
	if want := []int{L, len(feats), m.classes}; fmt.Sprint(out.Shape) != fmt.Sprint(want) {
		panic(fmt.Sprintf("output %v, want %v", out.Shape, want))
	}
	return out.Data.Host(), L, lengths
}

// TestAcousticModelForward: for the SRU and the LSTM, bidirectional and unidirectional with a
// label delay, the output is a log-softmax per frame of shape [L, B, classes]; an utterance's
// rows do not depend on the other utterances of the batch or on the padding; and a delayed
// unidirectional model's output for frame t depends on the frames up to t+Delay only.
func TestAcousticModelForward(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	const dim, classes = 6, 5
	rng := rand.New(rand.NewPCG(5, 6))
	feats := []*Features{randomFeatures(rng, 9, dim, 0), randomFeatures(rng, 4, dim, 0), randomFeatures(rng, 7, dim, 0)}
	for _, kind := range []string{"sru", "lstm"} {
		for _, bidir := range []bool{true, false} {
			cfg := ModelConfig{Encoder: kind, Hidden: 4, Layers: 2, Bidirectional: bidir}
			if !bidir {
				cfg.Delay = 2
			}
			name := fmt.Sprintf("%s/bidirectional=%v", kind, bidir)
			m, err := NewAcousticModel(nn.NewParams(dev), dim, classes, cfg, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			lp, L, lengths := forwardHost(m, dev, feats)
			B := len(feats)
			for tt := range L {
				for b := range B {
					sum := 0.0
					for _, v := range lp[(tt*B+b)*classes : (tt*B+b+1)*classes] {
						sum += math.Exp(v)
					}
					if math.Abs(sum-1) > 1e-12 {
						t.Fatalf("%s: row (%d, %d) sums to %g", name, tt, b, sum)
					}
				}
			}
			// Each utterance alone gives the same rows as in the batch.
			for b, f := range feats {
				alone, _, _ := forwardHost(m, dev, []*Features{f})
				for tt := range lengths[b] {
					for c := range classes {
						if d := math.Abs(alone[tt*classes+c] - lp[(tt*B+b)*classes+c]); d > 1e-12 {
							t.Fatalf("%s: utterance %d frame %d differs by %g alone and in the batch", name, b, tt, d)
						}
					}
				}
			}
			if got := Transcribe(lp, L, B, classes, lengths, 1); len(got) != B {
				t.Errorf("%s: %d transcripts", name, len(got))
			}
			if got := Transcribe(lp, L, B, classes, lengths, 4); len(got) != B {
				t.Errorf("%s: %d beam transcripts", name, len(got))
			}
			if bidir {
				continue
			}
			// Delay 2: changing frame 5 leaves the outputs for frames 0..2 and changes frame 3's.
			changed := &Features{Frames: 9, Bins: dim, Data: append([]float64(nil), feats[0].Data...)}
			for i := range changed.Row(5) {
				changed.Row(5)[i] += 1
			}
			before, _, _ := forwardHost(m, dev, feats[:1])
			after, _, _ := forwardHost(m, dev, []*Features{changed})
			for tt := range 4 {
				d := 0.0
				for c := range classes {
					d = max(d, math.Abs(before[tt*classes+c]-after[tt*classes+c]))
				}
				if (tt < 3) != (d == 0) {
					t.Errorf("%s: frame %d's output moved by %g when frame 5 changed (delay 2)", name, tt, d)
				}
			}
		}
	}
	bad := ModelConfig{Encoder: "gru", Hidden: 4, Layers: 1}
	if _, err := NewAcousticModel(nn.NewParams(dev), dim, classes, bad, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("unknown encoder: no error")
	}
	bad = ModelConfig{Encoder: "sru", Hidden: 4, Layers: 1, Delay: -1}
	if err := bad.Validate(dim); err == nil {
		t.Error("negative delay: no error")
	}
}

// TestAcousticModelGradients checks the backward of the whole acoustic model (encoder, output
// layer, the delay's row selection, log-softmax) against float64 central differences, through
// a frame-level cross entropy over the real frames (padding rows ignored). The CTC loss will
// take its place in training; this test holds the model's own gradients.
func TestAcousticModelGradients(t *testing.T) {
	dev := kernels.MustCPU[float64]()
	const dim, classes = 3, 4
	rng := rand.New(rand.NewPCG(8, 9))
	feats := []*Features{randomFeatures(rng, 5, dim, 0), randomFeatures(rng, 3, dim, 0)}
	for _, cfg := range []ModelConfig{
		{Encoder: "sru", Hidden: 3, Layers: 2, Delay: 2},
		{Encoder: "sru", Hidden: 2, Layers: 2, Bidirectional: true},
		{Encoder: "lstm", Hidden: 3, Layers: 1, Delay: 1},
		{Encoder: "lstm", Hidden: 2, Layers: 2, Bidirectional: true},
	} {
		name := fmt.Sprintf("%s/bidirectional=%v/delay=%d", cfg.Encoder, cfg.Bidirectional, cfg.Delay)
		ps := nn.NewParams(dev)
		m, err := NewAcousticModel(ps, dim, classes, cfg, rand.New(rand.NewPCG(2, 3)))
		if err != nil {
			t.Fatal(err)
		}
		x, L, lengths := m.BatchInput(feats)
		B := len(feats)
		targets := make([]int32, L*B)
		for tt := range L {
			for b := range B {
				targets[tt*B+b] = int32(rng.IntN(classes))
				if tt >= lengths[b] {
					targets[tt*B+b] = -1
				}
			}
		}
		g := nn.NewGraph[float64](dev, rand.New(rand.NewPCG(1, 1)))
		g.Training = true
		loss := func() *nn.Tensor[float64] {
			g.Reset()
			lp := m.Forward(g, g.FromHost(x, L+cfg.Delay, B, dim), lengths)
			return g.CrossEntropy(g.Reshape(lp, L*B, classes), targets, nil, -1)
		}
		ps.ZeroGrad()
		g.Backward(loss())
		const h = 1e-6
		checked := 0
		for _, p := range ps.List() {
			data, grad := p.Data.Host(), append([]float64(nil), p.Grad.Host()...)
			for i := range data {
				v := data[i]
				data[i] = v + h
				up := loss().Data.Host()[0]
				data[i] = v - h
				down := loss().Data.Host()[0]
				data[i] = v
				num := (up - down) / (2 * h)
				if d := math.Abs(num - grad[i]); d > 1e-7+1e-5*math.Abs(num) {
					t.Fatalf("%s: d/d %s[%d]: analytic %.9g, numeric %.9g", name, p.Name, i, grad[i], num)
				}
				checked++
			}
		}
		if checked < 50 {
			t.Fatalf("%s: only %d derivatives checked", name, checked)
		}
	}
}

func TestBatchesByLength(t *testing.T) {
	lengths := []int{5, 1, 9, 3, 3, 7, 2, 30}
	got := BatchesByLength(lengths, 3, 20, nil)
	want := "[[1 6 3] [4 0] [5 2] [7]]"
	if fmt.Sprint(got) != want {
		t.Errorf("batches %v, want %s", got, want)
	}
	a := BatchesByLength(lengths, 3, 20, rand.New(rand.NewPCG(1, 1)))
	b := BatchesByLength(lengths, 3, 20, rand.New(rand.NewPCG(1, 1)))
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 4 {
		t.Errorf("shuffled batches %v and %v", a, b)
	}
}

// TestTranscribeSetSmoke runs the pipeline end to end on the shipped recordings: features,
// an untrained model, batched decoding (the same transcripts as one utterance at a time),
// and scoring.
func TestTranscribeSetSmoke(t *testing.T) {
	recs := shippedRecordings(t)
	recs[0].Take = 3
	c, err := IsolatedDigits(recs, "")
	if err != nil {
		t.Fatal(err)
	}
	fcfg := DefaultFeatureConfig()
	p, err := PrepareFeatures(c, fcfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	feats := append(p.Train, p.Test...)
	refs := []string{}
	for _, u := range append(c.Train, c.Test...) {
		refs = append(refs, u.Transcript)
	}
	dev := kernels.MustCPU[float32]()
	for _, cfg := range []ModelConfig{
		{Encoder: "sru", Hidden: 8, Layers: 2, Delay: 2},
		{Encoder: "lstm", Hidden: 8, Layers: 1, Bidirectional: true},
	} {
		m, err := NewAcousticModel(nn.NewParams(dev), fcfg.Dim(), DigitWords.NumClasses(), cfg, rand.New(rand.NewPCG(4, 4)))
		if err != nil {
			t.Fatal(err)
		}
		g := nn.NewGraph[float32](dev, nil)
		lengths := make([]int, len(feats))
		for i, f := range feats {
			lengths[i] = f.Frames
		}
		for _, beam := range []int{1, 3} {
			all := m.TranscribeSet(g, feats, BatchesByLength(lengths, 8, 1000, nil), DigitWords, beam)
			single := m.TranscribeSet(g, feats, BatchesByLength(lengths, 1, 1000, nil), DigitWords, beam)
			if fmt.Sprint(all) != fmt.Sprint(single) || len(all) != len(refs) {
				t.Errorf("%s beam %d: batched %q, one by one %q", cfg.Encoder, beam, all, single)
			}
			if _, err := SentenceAccuracy(refs, all); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestForgetBiasReachesEncoder: the [speech.model] forget_bias setting is the encoder's, for
// both kinds.
func TestForgetBiasReachesEncoder(t *testing.T) {
	for _, kind := range []string{"sru", "lstm"} {
		c := ModelConfig{Encoder: kind, Hidden: 4, Layers: 2, ForgetBias: 1.5}
		ec := c.encoderConfig(6)
		if ec.SRU.ForgetBias != 1.5 || ec.LSTM.ForgetBias != 1.5 {
			t.Errorf("%s: encoder forget bias sru %g lstm %g, want 1.5", kind, ec.SRU.ForgetBias, ec.LSTM.ForgetBias)
		}
		if err := c.Validate(6); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
}
