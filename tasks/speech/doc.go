// Package speech is the speech task: a WAV reader (RIFF/WAVE, 16-bit PCM), log-mel filterbank
// features identical to Kaldi's compute-fbank-feats, the corpora, the feature pipeline, CTC
// decoding, the acoustic model and the training task.
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
//
// The task (Task, registered as "speech": the [speech] section is Config) trains the
// acoustic model with nn's CTC loss (mean reduction, infeasible utterances skipped and
// counted) on one of three corpora: connected digits (the official FSDD split or
// leave-one-speaker-out), isolated digits, or yesno. Features are computed once when the
// task is built and kept as rows of the run's precision; the raw samples are dropped.
// Training batches group utterances of similar length and are re-bucketed every epoch with
// the run's RNG (BeginEpoch); SpecAugment masks are drawn from the graph's RNG inside Loss,
// so a resumed run draws the same ones. The validation split is a seeded fraction of the
// corpus's training utterances (Config.ValidFraction, ValidSeed), held out from training;
// the test split is the corpus's. Evaluate gives the CTC loss and the infeasible count;
// Predict writes `id transcript` lines (greedy or prefix beam decoding) and Score turns them
// into "wer", "cer" and "sentence_accuracy" (package score), the valid WER selecting the
// model unless Config.Selection is "loss".
package speech
