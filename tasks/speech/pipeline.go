package speech

import (
	"fmt"
	"runtime"
	"sync"
)

// FeatureConfig is the feature pipeline: Kaldi fbank, then CMVN with statistics from the
// training set, then frame stacking with subsampling. SpecAugment, which draws from the run's
// RNG each epoch, is applied by the trainer on top of these features.
type FeatureConfig struct {
	Fbank FbankOptions
	// CMVN is "none", "global" or "speaker".
	CMVN string
	// NormVars divides by the standard deviation too (unit variance), not just the mean.
	NormVars bool
	// Stack frames are stacked and every Stride-th kept (see StackFrames); 1 and 1 keep the
	// frames as they are.
	Stack, Stride int
}

// DefaultFeatureConfig is 40 log-mel bins of 8 kHz audio (25 ms windows every 10 ms, Kaldi's
// other defaults, dither 0), global mean and variance normalisation, and 3 frames stacked
// every 3 (30 ms frames of 120 values).
func DefaultFeatureConfig() FeatureConfig {
	fb := DefaultFbankOptions()
	fb.SampleRate = 8000
	fb.NumMelBins = 40
	return FeatureConfig{Fbank: fb, CMVN: "global", NormVars: true, Stack: 3, Stride: 3}
}

// Dim is the size of an output frame.
func (c FeatureConfig) Dim() int {
	bins := c.Fbank.NumMelBins
	if c.Fbank.UseEnergy {
		bins++
	}
	return bins * c.Stack
}

// Check reports a configuration the pipeline cannot run.
func (c FeatureConfig) Check() error {
	switch c.CMVN {
	case "none", "global", "speaker":
	default:
		return fmt.Errorf("speech: features: cmvn %q (none, global or speaker)", c.CMVN)
	}
	if c.Stack < 1 || c.Stride < 1 {
		return fmt.Errorf("speech: features: stack %d, stride %d (both must be >= 1)", c.Stack, c.Stride)
	}
	_, err := NewFbank(c.Fbank)
	return err
}

// ComputeFbanks computes the filterbank features of each utterance on `workers` goroutines
// (GOMAXPROCS when 0), each with its own Fbank. Every utterance must be at the options'
// sample rate.
func ComputeFbanks(opts FbankOptions, utts []Utterance, workers int) ([]*Features, error) {
	for i := range utts {
		if float64(utts[i].SampleRate) != opts.SampleRate {
			return nil, fmt.Errorf("speech: features: utterance %s is %d Hz, the fbank options %g Hz", utts[i].ID, utts[i].SampleRate, opts.SampleRate)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]*Features, len(utts))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fb, err := NewFbank(opts)
			if err != nil {
				errs[w] = err
				return
			}
			for i := w; i < len(utts); i += workers {
				out[i] = fb.Compute(utts[i].Samples)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PreparedFeatures are a corpus's features after the pipeline, parallel to its utterances.
type PreparedFeatures struct {
	Train, Test []*Features
	// CMVN holds the statistics (nil when CMVN is "none").
	CMVN *CMVN
}

// PrepareFeatures runs the pipeline over a corpus: fbank of every utterance, CMVN fitted on
// the training utterances only and applied to both sets, then stacking.
func PrepareFeatures(c *Corpus, cfg FeatureConfig, workers int) (*PreparedFeatures, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	train, err := ComputeFbanks(cfg.Fbank, c.Train, workers)
	if err != nil {
		return nil, err
	}
	test, err := ComputeFbanks(cfg.Fbank, c.Test, workers)
	if err != nil {
		return nil, err
	}
	p := &PreparedFeatures{}
	if cfg.CMVN != "none" {
		speakers := make([]string, len(c.Train))
		for i := range c.Train {
			speakers[i] = c.Train[i].Speaker
		}
		if p.CMVN, err = FitCMVN(train, speakers, cfg.CMVN == "speaker", cfg.NormVars); err != nil {
			return nil, err
		}
		for i, x := range train {
			p.CMVN.Apply(x, c.Train[i].Speaker)
		}
		for i, x := range test {
			p.CMVN.Apply(x, c.Test[i].Speaker)
		}
	}
	p.Train, p.Test = train, test
	if cfg.Stack != 1 || cfg.Stride != 1 {
		for i, x := range train {
			p.Train[i] = StackFrames(x, cfg.Stack, cfg.Stride)
		}
		for i, x := range test {
			p.Test[i] = StackFrames(x, cfg.Stack, cfg.Stride)
		}
	}
	return p, nil
}
