package speech

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomFeatures is a frames × bins matrix of values with a per-bin offset and scale.
func randomFeatures(rng *rand.Rand, frames, bins int, offset float64) *Features {
	x := &Features{Frames: frames, Bins: bins, Data: make([]float64, frames*bins)}
	for f := range frames {
		for b, row := 0, x.Row(f); b < bins; b++ {
			row[b] = offset + float64(b) + float64(b+1)*rng.NormFloat64()
		}
	}
	return x
}

func cloneFeatures(x *Features) *Features {
	return &Features{Frames: x.Frames, Bins: x.Bins, Data: slices.Clone(x.Data)}
}

// meanVar is the per-bin mean and variance over a set of matrices.
func meanVar(xs []*Features) (mean, variance []float64) {
	bins := xs[0].Bins
	m := newMoments(bins)
	for _, x := range xs {
		m.add(x)
	}
	mean, variance = make([]float64, bins), make([]float64, bins)
	for b := range bins {
		mean[b] = m.sum[b] / float64(m.n)
		variance[b] = m.sumSq[b]/float64(m.n) - mean[b]*mean[b]
	}
	return mean, variance
}

func TestCMVN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var train []*Features
	var speakers []string
	for i := range 12 {
		speaker := []string{"a", "b", "c"}[i%3]
		train = append(train, randomFeatures(rng, 5+i, 4, float64(10*(i%3))))
		speakers = append(speakers, speaker)
	}
	test := randomFeatures(rng, 30, 4, 100)
	testCopy := cloneFeatures(test)

	// Global: zero mean and unit variance over the training set.
	c, err := FitCMVN(train, speakers, false, true)
	if err != nil {
		t.Fatal(err)
	}
	var normed []*Features
	for i, x := range train {
		y := cloneFeatures(x)
		c.Apply(y, speakers[i])
		normed = append(normed, y)
	}
	mean, variance := meanVar(normed)
	for b := range mean {
		if math.Abs(mean[b]) > 1e-12 || math.Abs(variance[b]-1) > 1e-12 {
			t.Errorf("global: bin %d mean %g variance %g", b, mean[b], variance[b])
		}
	}
	// The test set is normalised with the training statistics, not its own.
	c.Apply(test, "a")
	for i, v := range test.Data {
		b := i % 4
		if want := (testCopy.Data[i] - c.Mean[b]) * c.InvStd[b]; math.Abs(v-want) > 1e-12 {
			t.Fatalf("test value %d: %g, want %g", i, v, want)
		}
	}

	// Per speaker: each training speaker's frames have zero mean and unit variance.
	cs, err := FitCMVN(train, speakers, true, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a", "b", "c"} {
		var own []*Features
		for i, x := range train {
			if speakers[i] == s {
				y := cloneFeatures(x)
				cs.Apply(y, s)
				own = append(own, y)
			}
		}
		mean, variance := meanVar(own)
		for b := range mean {
			if math.Abs(mean[b]) > 1e-12 || math.Abs(variance[b]-1) > 1e-12 {
				t.Errorf("speaker %s: bin %d mean %g variance %g", s, b, mean[b], variance[b])
			}
		}
	}
	// An unseen speaker gets the global statistics.
	unseen, global := cloneFeatures(testCopy), cloneFeatures(testCopy)
	cs.Apply(unseen, "held-out")
	c.Apply(global, "")
	if !slices.Equal(unseen.Data, global.Data) {
		t.Error("an unseen speaker is not normalised with the global statistics")
	}
	// Mean only.
	cm, _ := FitCMVN(train, speakers, false, false)
	var centred []*Features
	for _, x := range train {
		y := cloneFeatures(x)
		cm.Apply(y, "")
		centred = append(centred, y)
	}
	mean, variance = meanVar(centred)
	_, rawVar := meanVar(train)
	for b := range mean {
		if math.Abs(mean[b]) > 1e-12 || math.Abs(variance[b]-rawVar[b]) > 1e-9 {
			t.Errorf("mean only: bin %d mean %g variance %g (raw %g)", b, mean[b], variance[b], rawVar[b])
		}
	}
	if _, err := FitCMVN([]*Features{{Bins: 4}}, nil, false, true); err == nil {
		t.Error("no frames: no error")
	}
}

func TestStackFrames(t *testing.T) {
	// 7 frames of 2 bins: frame f is (f, 10f).
	x := &Features{Frames: 7, Bins: 2}
	for f := range 7 {
		x.Data = append(x.Data, float64(f), float64(10*f))
	}
	y := StackFrames(x, 3, 3)
	if y.Frames != 3 || y.Bins != 6 {
		t.Fatalf("%d × %d, want 3 × 6", y.Frames, y.Bins)
	}
	want := []float64{
		0, 0, 1, 10, 2, 20,
		3, 30, 4, 40, 5, 50,
		6, 60, 6, 60, 6, 60, // past the end: the last frame repeated
	}
	if !slices.Equal(y.Data, want) {
		t.Errorf("stacked %v, want %v", y.Data, want)
	}
	// Overlapping stacks: 4 frames every 2.
	z := StackFrames(x, 4, 2)
	if z.Frames != 4 || z.Bins != 8 || z.Row(1)[0] != 2 || z.Row(1)[6] != 5 || z.Row(3)[0] != 6 || z.Row(3)[2] != 6 {
		t.Errorf("stack 4 stride 2: %d × %d %v", z.Frames, z.Bins, z.Data)
	}
	if e := StackFrames(&Features{Bins: 2}, 3, 3); e.Frames != 0 || e.Bins != 6 {
		t.Errorf("empty input: %d × %d", e.Frames, e.Bins)
	}
	if same := StackFrames(x, 1, 1); !slices.Equal(same.Data, x.Data) {
		t.Error("stack 1 stride 1 changed the features")
	}
}

func TestSpecAugment(t *testing.T) {
	s := SpecAugment{FreqMasks: 2, MaxFreqWidth: 5, TimeMasks: 3, MaxTimeWidth: 20, MaxTimeFraction: 0.2, Value: -7}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	base := randomFeatures(rand.New(rand.NewPCG(3, 4)), 60, 23, 0)
	apply := func(seed uint64) *Features {
		x := cloneFeatures(base)
		s.Apply(x, rand.New(rand.NewPCG(seed, 0)))
		return x
	}
	a, b, c := apply(1), apply(1), apply(2)
	if !slices.Equal(a.Data, b.Data) {
		t.Error("the same seed gave different masks")
	}
	if slices.Equal(a.Data, c.Data) {
		t.Error("seeds 1 and 2 gave the same masks")
	}
	for seed := range uint64(200) {
		x := apply(seed)
		// A masked bin is masked in every frame; a masked frame in every bin.
		var bins, frames int
		for f := range x.Bins {
			all := true
			for t := range x.Frames {
				all = all && x.Row(t)[f] == s.Value
			}
			if all {
				bins++
			}
		}
		for t := range x.Frames {
			if !slices.ContainsFunc(x.Row(t), func(v float64) bool { return v != s.Value }) {
				frames++
			}
		}
		maxFrames := s.TimeMasks * min(s.MaxTimeWidth, int(s.MaxTimeFraction*60))
		if bins > s.FreqMasks*s.MaxFreqWidth || frames > maxFrames {
			t.Fatalf("seed %d: %d bins and %d frames masked, at most %d and %d", seed, bins, frames, s.FreqMasks*s.MaxFreqWidth, maxFrames)
		}
		// Every other entry is unchanged.
		for i, v := range x.Data {
			if v != s.Value && v != base.Data[i] {
				t.Fatalf("seed %d: entry %d changed to %g", seed, i, v)
			}
		}
	}
	// Widths larger than the matrix are capped.
	big := SpecAugment{FreqMasks: 1, MaxFreqWidth: 100, TimeMasks: 1, MaxTimeWidth: 100}
	for seed := range uint64(50) {
		x := &Features{Frames: 3, Bins: 2, Data: make([]float64, 6)}
		big.Apply(x, rand.New(rand.NewPCG(seed, 9)))
	}
	if err := (SpecAugment{MaxTimeFraction: 2}).Check(); err == nil {
		t.Error("time fraction 2: no error")
	}
}

// TestPrepareFeatures runs the pipeline over the shipped recordings (as isolated digits) and,
// with the staged data, over the whole FSDD, logging the time it takes.
func TestPrepareFeatures(t *testing.T) {
	recs := shippedRecordings(t)
	recs[0].Take = 3 // one test recording of each kind
	c, err := IsolatedDigits(recs, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultFeatureConfig()
	p, err := PrepareFeatures(c, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range append(p.Train, p.Test...) {
		if x.Bins != cfg.Dim() || x.Frames == 0 {
			t.Errorf("utterance %d: %d × %d", i, x.Frames, x.Bins)
		}
	}
	// Without stacking, the training frames come out with zero mean and unit variance.
	flat := cfg
	flat.Stack, flat.Stride = 1, 1
	pf, err := PrepareFeatures(c, flat, 1)
	if err != nil {
		t.Fatal(err)
	}
	mean, variance := meanVar(pf.Train)
	for b := range mean {
		if math.Abs(mean[b]) > 1e-9 || math.Abs(variance[b]-1) > 1e-9 {
			t.Errorf("pipeline: bin %d mean %g variance %g on the training set", b, mean[b], variance[b])
		}
	}
	// Per speaker: every training speaker's own frames are normalised.
	flat.CMVN = "speaker"
	ps, err := PrepareFeatures(c, flat, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range ps.Train {
		mean, variance := meanVar([]*Features{x}) // one training utterance per speaker here
		for b := range mean {
			if math.Abs(mean[b]) > 1e-9 || math.Abs(variance[b]-1) > 1e-9 {
				t.Errorf("per-speaker pipeline: utterance %d bin %d mean %g variance %g", i, b, mean[b], variance[b])
			}
		}
	}
	cfg.CMVN = "cepstral"
	if _, err := PrepareFeatures(c, cfg, 2); err == nil {
		t.Error("unknown cmvn: no error")
	}
	if testing.Short() {
		return
	}
	iso, err := IsolatedDigits(stagedFSDD(t), "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err = PrepareFeatures(iso, DefaultFeatureConfig(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for b, inv := range p.CMVN.InvStd {
		if inv > 10 { // a constant bin (an empty mel band) would have a floored variance
			t.Errorf("bin %d: standard deviation %g", b, 1/inv)
		}
	}
	frames := 0
	for _, x := range append(p.Train, p.Test...) {
		frames += x.Frames
	}
	t.Logf("whole FSDD (3,000 recordings): fbank + CMVN + stacking in %v, %d stacked frames", time.Since(start).Round(time.Millisecond), frames)
}
