package speech

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// CMVN is cepstral mean and variance normalisation: per feature dimension, x ← (x − mean) /
// std, with statistics gathered from training data only. Global CMVN has one set of
// statistics; per-speaker CMVN has one per training speaker, and a speaker not seen in
// training (the held-out speaker of a leave-one-speaker-out split) is normalised with the
// global statistics.
type CMVN struct {
	Dim int
	// Mean and InvStd are the global statistics.
	Mean, InvStd []float64
	// Speakers holds the per-speaker statistics ({mean, inv std}); nil for global CMVN.
	Speakers map[string][2][]float64
	// NormVars false subtracts the mean only (Kaldi's apply-cmvn default); true also divides
	// by the standard deviation.
	NormVars bool
}

// cmvnVarianceFloor keeps a constant dimension from dividing by zero.
const cmvnVarianceFloor = 1e-10

// FitCMVN gathers CMVN statistics from training features; speakers[i] is the speaker of
// feats[i] (needed only when perSpeaker). All features must have the same number of bins, and
// there must be at least one frame.
func FitCMVN(feats []*Features, speakers []string, perSpeaker, normVars bool) (*CMVN, error) {
	if len(feats) == 0 {
		return nil, fmt.Errorf("speech: cmvn: no training features")
	}
	if perSpeaker && len(speakers) != len(feats) {
		return nil, fmt.Errorf("speech: cmvn: %d speakers for %d utterances", len(speakers), len(feats))
	}
	dim := feats[0].Bins
	c := &CMVN{Dim: dim, NormVars: normVars}
	global := newMoments(dim)
	bySpeaker := map[string]*moments{}
	for i, x := range feats {
		if x.Bins != dim {
			return nil, fmt.Errorf("speech: cmvn: utterance %d has %d bins, the first %d", i, x.Bins, dim)
		}
		global.add(x)
		if perSpeaker {
			m := bySpeaker[speakers[i]]
			if m == nil {
				m = newMoments(dim)
				bySpeaker[speakers[i]] = m
			}
			m.add(x)
		}
	}
	if global.n == 0 {
		return nil, fmt.Errorf("speech: cmvn: the training features have no frames")
	}
	c.Mean, c.InvStd = global.stats()
	if perSpeaker {
		c.Speakers = map[string][2][]float64{}
		for s, m := range bySpeaker {
			if m.n > 0 {
				mean, inv := m.stats()
				c.Speakers[s] = [2][]float64{mean, inv}
			}
		}
	}
	return c, nil
}

// moments accumulates per-dimension sums in float64.
type moments struct {
	n          int
	sum, sumSq []float64
}

func newMoments(dim int) *moments {
	return &moments{sum: make([]float64, dim), sumSq: make([]float64, dim)}
}

func (m *moments) add(x *Features) {
	for f := range x.Frames {
		for d, v := range x.Row(f) {
			m.sum[d] += v
			m.sumSq[d] += v * v
		}
	}
	m.n += x.Frames
}

func (m *moments) stats() (mean, invStd []float64) {
	mean, invStd = make([]float64, len(m.sum)), make([]float64, len(m.sum))
	for d := range m.sum {
		mean[d] = m.sum[d] / float64(m.n)
		variance := max(m.sumSq[d]/float64(m.n)-mean[d]*mean[d], cmvnVarianceFloor)
		invStd[d] = 1 / math.Sqrt(variance)
	}
	return mean, invStd
}

// Apply normalises x in place with the statistics of speaker (the global ones for global
// CMVN or an unseen speaker). A feature dimension other than the statistics' panics.
func (c *CMVN) Apply(x *Features, speaker string) {
	if x.Bins != c.Dim {
		panic(fmt.Sprintf("speech: cmvn of dimension %d applied to %d bins", c.Dim, x.Bins))
	}
	mean, inv := c.Mean, c.InvStd
	if s, ok := c.Speakers[speaker]; ok {
		mean, inv = s[0], s[1]
	}
	for f := range x.Frames {
		row := x.Row(f)
		for d := range row {
			row[d] -= mean[d]
			if c.NormVars {
				row[d] *= inv[d]
			}
		}
	}
}

// StackFrames stacks `stack` consecutive frames into one and keeps every `stride`-th stacked
// frame (a lower frame rate, so that the recurrence runs over shorter sequences): output
// frame j is the concatenation of input frames j·stride, …, j·stride+stack−1, the frames past
// the end repeating the last one. There are ceil(T/stride) output frames of stack·Bins
// values (none for an empty input). Stack 3, stride 3 turns 10 ms frames into 30 ms ones.
func StackFrames(x *Features, stack, stride int) *Features {
	if stack < 1 || stride < 1 {
		panic(fmt.Sprintf("speech: stack %d, stride %d (both must be >= 1)", stack, stride))
	}
	out := &Features{Bins: stack * x.Bins}
	if x.Frames == 0 {
		return out
	}
	out.Frames = (x.Frames + stride - 1) / stride
	out.Data = make([]float64, out.Frames*out.Bins)
	for j := range out.Frames {
		row := out.Row(j)
		for i := range stack {
			src := min(j*stride+i, x.Frames-1)
			copy(row[i*x.Bins:(i+1)*x.Bins], x.Row(src))
		}
	}
	return out
}

// SpecAugment masks bands of frequency and spans of time of a feature matrix (Park et al.
// 2019, without time warping). Each mask's width is drawn uniformly from 0..max and its start
// uniformly among the positions where it fits. Use it on training features only.
type SpecAugment struct {
	// FreqMasks masks of at most MaxFreqWidth bins each.
	FreqMasks, MaxFreqWidth int
	// TimeMasks masks of at most MaxTimeWidth frames each, and of at most MaxTimeFraction of
	// the utterance's frames (when > 0).
	TimeMasks, MaxTimeWidth int
	MaxTimeFraction         float64
	// Value is what masked entries become: 0, the mean after CMVN, is the usual choice.
	Value float64
}

// Check reports settings that make no sense.
func (s SpecAugment) Check() error {
	if s.FreqMasks < 0 || s.MaxFreqWidth < 0 || s.TimeMasks < 0 || s.MaxTimeWidth < 0 ||
		s.MaxTimeFraction < 0 || s.MaxTimeFraction > 1 || math.IsNaN(s.MaxTimeFraction) {
		return fmt.Errorf("speech: specaugment: negative counts or widths, or a time fraction outside [0, 1]: %+v", s)
	}
	return nil
}

// Apply masks x in place, drawing from rng (the run's RNG: the same state gives the same
// masks). Masks never exceed the matrix: a width is capped at the number of bins or frames.
func (s SpecAugment) Apply(x *Features, rng *rand.Rand) {
	if x.Frames == 0 || x.Bins == 0 {
		return
	}
	for range s.FreqMasks {
		w := rng.IntN(min(s.MaxFreqWidth, x.Bins) + 1)
		f0 := rng.IntN(x.Bins - w + 1)
		for t := range x.Frames {
			row := x.Row(t)
			for f := f0; f < f0+w; f++ {
				row[f] = s.Value
			}
		}
	}
	maxT := min(s.MaxTimeWidth, x.Frames)
	if s.MaxTimeFraction > 0 {
		maxT = min(maxT, int(s.MaxTimeFraction*float64(x.Frames)))
	}
	for range s.TimeMasks {
		w := rng.IntN(maxT + 1)
		t0 := rng.IntN(x.Frames - w + 1)
		for t := t0; t < t0+w; t++ {
			row := x.Row(t)
			for f := range row {
				row[f] = s.Value
			}
		}
	}
}
