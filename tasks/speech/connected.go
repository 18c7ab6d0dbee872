package speech

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// ConnectedDigitsConfig describes a connected-digits corpus built from FSDD recordings.
type ConnectedDigitsConfig struct {
	// Seed makes the corpus: the same recordings, configuration and seed give the same
	// corpus, sample for sample. Train and test are drawn from separate streams, so the test
	// set does not depend on the size of the training set.
	Seed uint64
	// TrainUtterances and TestUtterances are the sizes of the two sets.
	TrainUtterances, TestUtterances int
	// MinDigits and MaxDigits bound the length of a digit string (drawn uniformly).
	MinDigits, MaxDigits int
	// MinGapSeconds and MaxGapSeconds bound the gaps before, between and after the digits
	// (each drawn uniformly).
	MinGapSeconds, MaxGapSeconds float64
	// GapNoise is the standard deviation of the Gaussian noise that fills the gaps, in int16
	// units, so that the gaps are not digital silence (whose log filterbank energies sit on
	// the floor).
	GapNoise float64
	// TestSpeaker empty selects the official FSDD split: strings of takes 0..4 are test,
	// strings of takes 5..49 train. Otherwise the split is leave-one-speaker-out: strings of
	// that speaker's recordings are test, those of the others train.
	TestSpeaker string
}

// DefaultConnectedDigitsConfig is 3,000 training and 500 test strings of 1 to 7 digits with
// gaps of 50 to 400 ms, the official split, seed 1.
func DefaultConnectedDigitsConfig() ConnectedDigitsConfig {
	return ConnectedDigitsConfig{Seed: 1, TrainUtterances: 3000, TestUtterances: 500, MinDigits: 1, MaxDigits: 7,
		MinGapSeconds: 0.05, MaxGapSeconds: 0.4, GapNoise: 2}
}

// Check reports a configuration that cannot make a corpus.
func (c ConnectedDigitsConfig) Check() error {
	switch {
	case c.TrainUtterances < 1 || c.TestUtterances < 1:
		return fmt.Errorf("speech: connected digits: %d train and %d test utterances (at least 1 each)", c.TrainUtterances, c.TestUtterances)
	case c.MinDigits < 1 || c.MaxDigits < c.MinDigits:
		return fmt.Errorf("speech: connected digits: digits per string %d..%d (need 1 <= min <= max)", c.MinDigits, c.MaxDigits)
	case c.MinGapSeconds < 0 || c.MaxGapSeconds < c.MinGapSeconds || math.IsInf(c.MaxGapSeconds, 0):
		return fmt.Errorf("speech: connected digits: gaps %g..%g s (need 0 <= min <= max)", c.MinGapSeconds, c.MaxGapSeconds)
	case c.GapNoise < 0 || math.IsNaN(c.GapNoise):
		return fmt.Errorf("speech: connected digits: gap noise %g < 0", c.GapNoise)
	}
	return nil
}

// ConnectedDigits builds a connected-digits corpus: each utterance is one speaker saying
// 1..7 digits (uniform length; recordings drawn uniformly, with replacement, from that
// speaker's recordings of the split) joined by noise-filled gaps, with a gap before the first
// digit and after the last. The speaker of each string is drawn uniformly among the split's
// speakers. Utterance ids are "train-00042" and "test-00007"; transcripts are digit words.
func ConnectedDigits(recs []FSDDRecording, cfg ConnectedDigitsConfig) (*Corpus, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	var train, test []*FSDDRecording
	rate := 0
	for i := range recs {
		r := &recs[i]
		if r.Audio.Channels != 1 {
			return nil, fmt.Errorf("speech: connected digits: %s has %d channels", r.ID(), r.Audio.Channels)
		}
		if rate == 0 {
			rate = r.Audio.SampleRate
		} else if r.Audio.SampleRate != rate {
			return nil, fmt.Errorf("speech: connected digits: %s is %d Hz, others %d Hz", r.ID(), r.Audio.SampleRate, rate)
		}
		if isTest(r, cfg.TestSpeaker) {
			test = append(test, r)
		} else {
			train = append(train, r)
		}
	}
	c := &Corpus{Name: "connected-digits", Words: DigitWords, Chars: DigitChars}
	if cfg.TestSpeaker != "" {
		c.Name += "-loso-" + cfg.TestSpeaker
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, fmt.Errorf("speech: %s: %d train and %d test recordings to draw from", c.Name, len(train), len(test))
	}
	c.Train = drawStrings("train", train, cfg.TrainUtterances, rate, cfg, rand.New(rand.NewPCG(cfg.Seed, 1)))
	c.Test = drawStrings("test", test, cfg.TestUtterances, rate, cfg, rand.New(rand.NewPCG(cfg.Seed, 2)))
	return c, nil
}

// drawStrings draws n digit strings from pool.
func drawStrings(split string, pool []*FSDDRecording, n, rate int, cfg ConnectedDigitsConfig, rng *rand.Rand) []Utterance {
	bySpeaker := map[string][]*FSDDRecording{}
	for _, r := range pool {
		bySpeaker[r.Speaker] = append(bySpeaker[r.Speaker], r)
	}
	speakers := make([]string, 0, len(bySpeaker))
	for s := range bySpeaker {
		speakers = append(speakers, s)
	}
	sort.Strings(speakers)
	signals := map[*FSDDRecording][]float64{}
	for _, r := range pool {
		signals[r] = r.Audio.Channel(0)
	}
	gap := func() int {
		return int(math.Round((cfg.MinGapSeconds + rng.Float64()*(cfg.MaxGapSeconds-cfg.MinGapSeconds)) * float64(rate)))
	}
	utts := make([]Utterance, n)
	for i := range utts {
		speaker := speakers[rng.IntN(len(speakers))]
		own := bySpeaker[speaker]
		k := cfg.MinDigits + rng.IntN(cfg.MaxDigits-cfg.MinDigits+1)
		// Draw the plan (gaps and recordings), then fill one buffer of the exact length.
		gaps := make([]int, k+1)
		chosen := make([]*FSDDRecording, k)
		words := make([]string, k)
		total := 0
		for j := range k {
			gaps[j] = gap()
			chosen[j] = own[rng.IntN(len(own))]
			words[j] = DigitWordList[chosen[j].Digit]
			total += gaps[j] + len(signals[chosen[j]])
		}
		gaps[k] = gap()
		total += gaps[k]
		samples := make([]float64, 0, total)
		for j := range k + 1 {
			for range gaps[j] {
				samples = append(samples, cfg.GapNoise*rng.NormFloat64())
			}
			if j < k {
				samples = append(samples, signals[chosen[j]]...)
			}
		}
		utts[i] = Utterance{ID: fmt.Sprintf("%s-%05d", split, i), Speaker: speaker,
			Transcript: strings.Join(words, " "), SampleRate: rate, Samples: samples}
	}
	return utts
}
