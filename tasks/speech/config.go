package speech

import "fmt"

// Corpora of the speech task (Config.Corpus).
const (
	CorpusConnectedDigits = "connected_digits"
	CorpusIsolatedDigits  = "isolated_digits"
	CorpusYesNo           = "yesno"
)

// Config is the [speech] section of an experiment.
type Config struct {
	// Corpus is "connected_digits", "isolated_digits" or "yesno".
	Corpus string `toml:"corpus"`
	// TestSpeaker empty is the official FSDD split (takes 0..4 test, speaker-dependent);
	// otherwise leave-one-speaker-out with that speaker's recordings as the test set. Only
	// the FSDD corpora have speakers to leave out.
	TestSpeaker string `toml:"test_speaker"`
	// Labels is "words" or "chars": the inventory the model outputs.
	Labels string `toml:"labels"`
	// ValidFraction of the training utterances (drawn with ValidSeed, at least one) are held
	// out for validation and model selection; the test set is never looked at during
	// training.
	ValidFraction float64 `toml:"valid_fraction"`
	ValidSeed     uint64  `toml:"valid_seed"`
	// Connected describes the connected-digits corpus.
	Connected ConnectedConfig `toml:"connected"`
	// Features is the feature pipeline.
	Features FeaturesConfig `toml:"features"`
	// SpecAugment masks training batches (all counts 0: off).
	SpecAugment SpecAugmentConfig `toml:"specaugment"`
	// Model is the acoustic model.
	Model ModelConfig `toml:"model"`
	// Batches group utterances of similar lengths, at most MaxUtterances of them and at most
	// MaxFrames padded (stacked) frames per batch; training batches are re-bucketed every
	// epoch.
	MaxUtterances int `toml:"max_utterances"`
	MaxFrames     int `toml:"max_frames"`
	// Selection is the validation metric that picks the model: "wer" (the default) or
	// "loss" (the CTC loss, for a validation set so small that its WER reaches 0 at once and
	// cannot tell later models apart), both lower-is-better.
	Selection string `toml:"selection"`
	// Beam is the decoding beam: 1 is greedy CTC, more is prefix beam search.
	Beam int `toml:"beam"`
	// Workers compute the features at construction (0: GOMAXPROCS).
	Workers int `toml:"workers"`
}

// ConnectedConfig is the [speech.connected] section (see ConnectedDigitsConfig).
type ConnectedConfig struct {
	Seed            uint64  `toml:"seed"`
	TrainUtterances int     `toml:"train_utterances"`
	TestUtterances  int     `toml:"test_utterances"`
	MinDigits       int     `toml:"min_digits"`
	MaxDigits       int     `toml:"max_digits"`
	MinGapSeconds   float64 `toml:"min_gap_seconds"`
	MaxGapSeconds   float64 `toml:"max_gap_seconds"`
	GapNoise        float64 `toml:"gap_noise"`
}

// FeaturesConfig is the [speech.features] section: the Kaldi fbank options that matter here
// (the others keep Kaldi's defaults, dither 0) and the pipeline after it (FeatureConfig).
type FeaturesConfig struct {
	SampleRate    float64 `toml:"sample_rate"`
	NumMelBins    int     `toml:"num_mel_bins"`
	FrameLengthMs float64 `toml:"frame_length_ms"`
	FrameShiftMs  float64 `toml:"frame_shift_ms"`
	WindowType    string  `toml:"window_type"`
	LowFreq       float64 `toml:"low_freq"`
	HighFreq      float64 `toml:"high_freq"`
	UseEnergy     bool    `toml:"use_energy"`
	// CMVN is "none", "global" or "speaker"; NormVars also scales to unit variance.
	CMVN     string `toml:"cmvn"`
	NormVars bool   `toml:"norm_vars"`
	// Stack frames are stacked, every Stride-th kept.
	Stack  int `toml:"stack"`
	Stride int `toml:"stride"`
}

// SpecAugmentConfig is the [speech.specaugment] section (see SpecAugment; masked values
// become 0, the mean after CMVN).
type SpecAugmentConfig struct {
	FreqMasks       int     `toml:"freq_masks"`
	MaxFreqWidth    int     `toml:"max_freq_width"`
	TimeMasks       int     `toml:"time_masks"`
	MaxTimeWidth    int     `toml:"max_time_width"`
	MaxTimeFraction float64 `toml:"max_time_fraction"`
}

// DefaultConfig is connected digits, official split, word labels, a 10% validation hold-out,
// the default features (40 bins, global CMVN, 3 frames stacked), no SpecAugment, a
// bidirectional SRU of 2 layers of 128, batches of up to 32 utterances or 4,000 frames, and
// greedy decoding.
func DefaultConfig() Config {
	cd := DefaultConnectedDigitsConfig()
	fc := DefaultFeatureConfig()
	return Config{
		Corpus: CorpusConnectedDigits, Labels: "words", ValidFraction: 0.1, ValidSeed: 1,
		Connected: ConnectedConfig{Seed: cd.Seed, TrainUtterances: cd.TrainUtterances, TestUtterances: cd.TestUtterances,
			MinDigits: cd.MinDigits, MaxDigits: cd.MaxDigits, MinGapSeconds: cd.MinGapSeconds,
			MaxGapSeconds: cd.MaxGapSeconds, GapNoise: cd.GapNoise},
		Features: FeaturesConfig{SampleRate: fc.Fbank.SampleRate, NumMelBins: fc.Fbank.NumMelBins,
			FrameLengthMs: fc.Fbank.FrameLengthMs, FrameShiftMs: fc.Fbank.FrameShiftMs, WindowType: fc.Fbank.WindowType,
			LowFreq: fc.Fbank.LowFreq, HighFreq: fc.Fbank.HighFreq, UseEnergy: fc.Fbank.UseEnergy,
			CMVN: fc.CMVN, NormVars: fc.NormVars, Stack: fc.Stack, Stride: fc.Stride},
		Model:         ModelConfig{Encoder: "sru", Hidden: 128, Layers: 2, Bidirectional: true},
		MaxUtterances: 32, MaxFrames: 4000, Selection: "wer", Beam: 1,
	}
}

// connectedDigits is the corpus configuration of the section.
func (c Config) connectedDigits() ConnectedDigitsConfig {
	k := c.Connected
	return ConnectedDigitsConfig{Seed: k.Seed, TrainUtterances: k.TrainUtterances, TestUtterances: k.TestUtterances,
		MinDigits: k.MinDigits, MaxDigits: k.MaxDigits, MinGapSeconds: k.MinGapSeconds, MaxGapSeconds: k.MaxGapSeconds,
		GapNoise: k.GapNoise, TestSpeaker: c.TestSpeaker}
}

// featureConfig is the pipeline of the section.
func (c Config) featureConfig() FeatureConfig {
	f := c.Features
	fb := DefaultFbankOptions()
	fb.SampleRate, fb.NumMelBins, fb.FrameLengthMs, fb.FrameShiftMs = f.SampleRate, f.NumMelBins, f.FrameLengthMs, f.FrameShiftMs
	fb.WindowType, fb.LowFreq, fb.HighFreq, fb.UseEnergy = f.WindowType, f.LowFreq, f.HighFreq, f.UseEnergy
	return FeatureConfig{Fbank: fb, CMVN: f.CMVN, NormVars: f.NormVars, Stack: f.Stack, Stride: f.Stride}
}

// specAugment is the masking of the section.
func (c Config) specAugment() SpecAugment {
	s := c.SpecAugment
	return SpecAugment{FreqMasks: s.FreqMasks, MaxFreqWidth: s.MaxFreqWidth, TimeMasks: s.TimeMasks,
		MaxTimeWidth: s.MaxTimeWidth, MaxTimeFraction: s.MaxTimeFraction}
}

// Validate reports the first impossible setting.
func (c Config) Validate() error {
	switch c.Corpus {
	case CorpusConnectedDigits:
		if err := c.connectedDigits().Check(); err != nil {
			return err
		}
	case CorpusIsolatedDigits:
	case CorpusYesNo:
		if c.TestSpeaker != "" {
			return fmt.Errorf("speech: yesno has one speaker; test_speaker %q has nothing to leave out", c.TestSpeaker)
		}
	default:
		return fmt.Errorf("speech: corpus %q (connected_digits, isolated_digits or yesno)", c.Corpus)
	}
	if c.Labels != "words" && c.Labels != "chars" {
		return fmt.Errorf("speech: labels %q (words or chars)", c.Labels)
	}
	if !(c.ValidFraction > 0 && c.ValidFraction < 1) {
		return fmt.Errorf("speech: valid_fraction %g outside (0, 1)", c.ValidFraction)
	}
	fc := c.featureConfig()
	if err := fc.Check(); err != nil {
		return err
	}
	if err := c.specAugment().Check(); err != nil {
		return err
	}
	if err := c.Model.Validate(fc.Dim()); err != nil {
		return err
	}
	if c.MaxUtterances < 1 || c.MaxFrames < 1 {
		return fmt.Errorf("speech: max_utterances %d, max_frames %d (both must be >= 1)", c.MaxUtterances, c.MaxFrames)
	}
	if c.Selection != "wer" && c.Selection != "loss" {
		return fmt.Errorf("speech: selection %q (wer or loss)", c.Selection)
	}
	if c.Beam < 1 {
		return fmt.Errorf("speech: beam %d < 1", c.Beam)
	}
	if c.Workers < 0 {
		return fmt.Errorf("speech: workers %d < 0", c.Workers)
	}
	return nil
}
