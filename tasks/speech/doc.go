// Package speech is the speech task: a WAV reader (RIFF/WAVE, 16-bit PCM), log-mel filterbank
// features identical to Kaldi's compute-fbank-feats, the corpora, the feature pipeline, CTC
// decoding and the acoustic model.
//
// The paper's speech task is Switchboard with Kaldi fbank features. Switchboard is licensed, so
// the task here runs on freely licensed substitutes (the Free Spoken Digit Dataset and the Kaldi
// "yesno" corpus); its results are not the paper's Switchboard WER.
//
// Audio: ReadWAV (a path) and DecodeWAV (bytes, e.g. an archive member) return an Audio with
// the interleaved int16 samples of every channel; other sample formats, truncated or malformed
// files are errors naming the file. Audio.Channel(c) gives one channel as float64 values,
// unscaled (Kaldi's convention). Multi-channel files are read, not refused: like
// compute-fbank-feats without --channel, a caller that wants one signal takes Channel(0).
//
// Features: NewFbank(opts) checks the options and precomputes the window and the mel banks;
// Fbank.Compute(samples) returns a Features matrix (frames × bins, row-major) and
// Fbank.ComputeInto reuses one without allocating. FbankOptions has every option of
// compute-fbank-feats with Kaldi's names and defaults (DefaultFbankOptions), except dither,
// which is 0 unless a caller asks for it with its own RNG. Everything is computed in float64;
// the golden test holds the features to torchaudio.compliance.kaldi.fbank in float64 within
// 1e-6.
//
// Corpora (read from the data directory, $SRU_DATA): LoadFSDD reads the Free Spoken Digit
// Dataset's 3,000 recordings straight from its archive; IsolatedDigits is the common
// benchmark (the official split, takes 0..4 test, or leave-one-speaker-out);
// ConnectedDigits draws strings of 1..7 digits of one speaker joined by noise-filled gaps,
// seeded and deterministic, with the same two splits; LoadYesNo is the Kaldi yesno corpus
// with Kaldi's split (file names sorted, first half train, second half test). Transcripts are
// words; an Inventory (DigitWords, DigitChars, YesNoWords, YesNoChars) maps them to labels,
// with label 0 (Blank) reserved for the CTC blank.
//
// Feature pipeline (PrepareFeatures with a FeatureConfig): fbank, then CMVN (FitCMVN: global
// or per speaker, statistics from the training set only), then StackFrames (stacking with
// subsampling, e.g. 3 frames every 3 for 30 ms frames). SpecAugment masks bands and spans of
// training features, drawn from the run's RNG.
//
// Decoding (host side, over [T, C] log-probabilities): GreedyCTC (best path, repeats
// collapsed, blanks dropped) and PrefixBeamSearch. AcousticModel is an SRU or LSTM encoder
// (uni- or bidirectional, a unidirectional one with its labels delayed by ModelConfig.Delay
// frames) and a linear layer to the labels and the blank, giving per-frame log-probabilities;
// Transcribe decodes a batch of them.
package speech
